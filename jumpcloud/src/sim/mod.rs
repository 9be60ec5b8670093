//! An in-process stand-in for JumpCloud's API, served over real HTTP on loopback.
//!
//! It follows the published spec and reproduces the documented quirks (NOTES §2, §3,
//! §17, §19); it is never adjusted to suit the client.

mod applications;
mod approval_flows;
mod auth;
mod commands;
mod directories;
mod error;
mod faults;
mod graph;
mod groups;
mod insights;
mod ip_lists;
mod organizations;
mod policies;
mod query;
mod recorder;
mod seed;
mod software_apps;
mod system_groups;
mod systems;
mod user_states;
mod users;
mod world;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use faults::FaultState;
pub use faults::{Failure, Faults, RateLimitFault};
use recorder::Recorder;
pub use recorder::{Exchange, Payload};
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
    /// The provider the MSP key and the service account administer.
    #[serde(default)]
    pub provider_id: String,
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
    recorder: Arc<Recorder>,
    faults: Arc<FaultState>,
    persistence: Option<Persistence>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Where a persistent simulator keeps its world, and the task that writes it there.
struct Persistence {
    state_file: PathBuf,
    saver: JoinHandle<()>,
}

impl Simulator {
    /// Seeds a world from `config` and serves it on `addr` (port 0 picks a free port).
    pub async fn start(addr: SocketAddr, config: &SimConfig) -> std::io::Result<Simulator> {
        Simulator::serve(addr, config, seed::seed(config), None).await
    }

    /// Like [`Simulator::start`], but the world lives in `state_file`: loaded from it when
    /// it exists (so `config` only matters the first time), else seeded and written there,
    /// and written again after every successful change, so demo changes survive a restart.
    pub async fn start_persistent(
        addr: SocketAddr,
        config: &SimConfig,
        state_file: impl Into<PathBuf>,
    ) -> std::io::Result<Simulator> {
        let state_file = state_file.into();
        let world = if state_file.exists() {
            World::load(&state_file)?
        } else {
            let world = seed::seed(config);
            world.save(&state_file)?;
            world
        };
        Simulator::serve(addr, config, world, Some(state_file)).await
    }

    async fn serve(
        addr: SocketAddr,
        config: &SimConfig,
        world: World,
        state_file: Option<PathBuf>,
    ) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let base_url = format!("http://{local}");
        let info = world.info(&base_url);
        let requests = Arc::new(AtomicU64::new(0));
        let faults = FaultState::new(config.seed);
        let world = Arc::new(RwLock::new(world));
        let recorder = Arc::new(Recorder::default());
        let mut app = router(world.clone());
        let mut persistence = None;
        if let Some(state_file) = state_file {
            let changed = Arc::new(Notify::new());
            app = app.layer(middleware::from_fn_with_state(changed.clone(), note_change));
            persistence = Some(Persistence {
                saver: tokio::spawn(save_on_change(world.clone(), state_file.clone(), changed)),
                state_file,
            });
        }
        // Outermost first to see a request: the recorder (so it sees injected faults
        // and unknown routes too), the counter, then fault injection.
        let app = app
            .layer(middleware::from_fn_with_state(
                faults.clone(),
                faults::inject,
            ))
            .layer(middleware::from_fn_with_state(
                requests.clone(),
                count_request,
            ))
            .layer(middleware::from_fn_with_state(
                recorder.clone(),
                recorder::record,
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
            recorder,
            faults,
            persistence,
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

    /// Replaces the standing faults (latency, rate limit, error rate, hanging path,
    /// failing organizations).
    pub fn set_faults(&self, faults: Faults) {
        self.faults.set(faults);
    }

    pub fn faults(&self) -> Faults {
        self.faults.get()
    }

    /// Requests answered 429 by the `rate_limit` fault so far: a client that paces itself
    /// within the simulated budget keeps this at zero.
    pub fn throttled(&self) -> u64 {
        self.faults.throttled()
    }

    /// Answers the next `count` requests with `failure`, whatever they are.
    pub fn fail_next(&self, count: usize, failure: Failure) {
        self.faults.queue(count, failure);
    }

    /// The file a persistent simulator keeps its world in.
    pub fn state_file(&self) -> Option<&Path> {
        self.persistence
            .as_ref()
            .map(|persistence| persistence.state_file.as_path())
    }

    /// Stops accepting connections and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.faults.release();
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
        self.faults.release();
        // A last write, so a change the saver had not reached yet is not lost.
        if let Some(persistence) = self.persistence.take() {
            persistence.saver.abort();
            let saved = match self.world.read() {
                Ok(world) => world.save(&persistence.state_file),
                Err(_) => Err(std::io::Error::other("simulator state unavailable")),
            };
            if let Err(error) = saved {
                tracing::error!(%error, file = %persistence.state_file.display(), "cannot save simulator state");
            }
        }
    }
}

/// Wakes the saver after a request that may have changed the world.
async fn note_change(State(changed): State<Arc<Notify>>, request: Request, next: Next) -> Response {
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD);
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        changed.notify_one();
    }
    response
}

/// Writes the world after changes. Wake-ups that arrive while a write is under way
/// collapse into one more write, and a snapshot equal to the last one written (a search
/// or a token, which change nothing saved) is not written again.
async fn save_on_change(world: SharedWorld, state_file: PathBuf, changed: Arc<Notify>) {
    let mut last_written = Vec::new();
    loop {
        changed.notified().await;
        let snapshot = match world.read() {
            Ok(world) => world.snapshot(),
            Err(_) => continue,
        };
        let written = match snapshot {
            Ok(snapshot) if snapshot == last_written => continue,
            Ok(snapshot) => {
                let path = state_file.clone();
                let bytes = snapshot.clone();
                tokio::task::spawn_blocking(move || world::write_atomically(&path, &bytes))
                    .await
                    .map_err(std::io::Error::other)
                    .and_then(|result| result)
                    .map(|()| snapshot)
            }
            Err(error) => Err(error),
        };
        match written {
            Ok(snapshot) => last_written = snapshot,
            Err(error) => {
                tracing::error!(%error, file = %state_file.display(), "cannot save simulator state");
            }
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

/// Each resource module contributes its own routes.
fn router(world: SharedWorld) -> Router {
    Router::new()
        .merge(organizations::routes())
        .merge(users::routes())
        .merge(groups::routes())
        .merge(user_states::routes())
        .merge(systems::routes())
        .merge(system_groups::routes())
        .merge(commands::routes())
        .merge(applications::routes())
        .merge(policies::routes())
        .merge(ip_lists::routes())
        .merge(directories::routes())
        .merge(software_apps::routes())
        .merge(approval_flows::routes())
        .merge(insights::routes())
        .route("/oauth2/token", post(auth::token))
        .fallback(error::unknown_route)
        .layer(middleware::from_fn_with_state(
            world.clone(),
            user_states::apply_due,
        ))
        .with_state(world)
}
