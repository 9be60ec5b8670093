//! An in-process stand-in for JumpCloud's API, served over real HTTP on loopback.
//!
//! It follows the published spec and reproduces the documented quirks (NOTES §2, §3,
//! §17, §19); it is never adjusted to suit the client.

mod auth;
mod error;
mod groups;
mod organizations;
mod query;
mod seed;
mod users;
mod world;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use seed::SimConfig;
use world::World;

/// What a started simulator tells its user: where it is and which credentials it accepts.
/// `jumpcloud-sim` prints exactly this as one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimInfo {
    /// The console root, like `https://console.jumpcloud.com`: v1 under `/api`, v2 under
    /// `/api/v2`.
    pub base_url: String,
    /// A multi-tenant (MSP) key that reaches every organization of the provider.
    pub msp_api_key: String,
    pub orgs: Vec<SimOrg>,
    pub service_account: SimServiceAccount,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimOrg {
    pub id: String,
    pub name: String,
    /// A single-organization admin key.
    pub api_key: String,
    /// False for the standalone organization outside the MSP.
    #[serde(default)]
    pub msp: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimServiceAccount {
    pub client_id: String,
    pub client_secret: String,
    pub secondary_secret: String,
    pub token_url: String,
}

pub(crate) type SharedWorld = Arc<RwLock<World>>;

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    pub info: SimInfo,
    world: SharedWorld,
    requests: Arc<AtomicU64>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Seeds a world from `config` and serves it on `addr` (port 0 picks a free port).
    pub async fn start(addr: SocketAddr, config: &SimConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let base_url = format!("http://{local}");
        let world = seed::seed(config);
        let info = world.info(&base_url);
        let requests = Arc::new(AtomicU64::new(0));
        let world = Arc::new(RwLock::new(world));
        let app = router(world.clone()).layer(middleware::from_fn_with_state(
            requests.clone(),
            count_request,
        ));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "JumpCloud simulator stopped");
            }
        });
        Ok(Simulator {
            info,
            world,
            requests,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// API requests served so far, for tests that count JumpCloud calls.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Replaces the service account's accepted secrets, as an admin rotating them in
    /// JumpCloud's console would.
    pub fn set_service_account_secrets(&self, secrets: &[&str]) {
        if let Ok(mut world) = self.world.write() {
            world.service_account.secrets = secrets.iter().map(|s| s.to_string()).collect();
        }
    }

    /// Invalidates every issued access token, as their expiry would.
    pub fn revoke_tokens(&self) {
        if let Ok(mut world) = self.world.write() {
            world.tokens.clear();
        }
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn count_request(
    axum::extract::State(counter): axum::extract::State<Arc<AtomicU64>>,
    request: Request,
    next: Next,
) -> Response {
    counter.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

fn router(world: SharedWorld) -> Router {
    Router::new()
        .route("/api/organizations", get(organizations::list))
        .route("/api/systemusers", get(users::list))
        .route("/api/systemusers/{id}", get(users::get_one))
        .route("/api/v2/usergroups", get(groups::list))
        .route("/oauth2/token", post(auth::token))
        .fallback(error::unknown_route)
        .with_state(world)
}
