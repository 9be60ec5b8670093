//! Building and running the application: database, migrations, first administrator,
//! sessions, demo simulator, router. Tests call [`Application::build`] with port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tower_sessions::session_store::ExpiredDeletion;

use app::auth::accounts::{self, FirstAdmin};
use app::db::{Db, DbError};
use app::demo::{Demo, DemoOrg};
use app::email::Email;
use app::error::AppError;
use app::state::AppState;
use jumpcloud::sim::{SimConfig, Simulator};
use jumpcloud::{ClientConfig, Secret};

use crate::config::Settings;
use crate::sessions::Store;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Database(#[from] DbError),
    #[error("cannot prepare the session table: {0}")]
    Sessions(#[source] sqlx::Error),
    #[error("LANYARD_ADMIN_EMAIL: {0}")]
    AdminEmail(#[source] AppError),
    #[error("cannot create the first administrator: {0}")]
    FirstAdmin(#[source] AppError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the demo JumpCloud simulator: {0}")]
    Simulator(#[source] std::io::Error),
    #[error("the demo JumpCloud simulator reported a bad address: {0}")]
    SimulatorAddress(#[source] url::ParseError),
    #[error("cannot create the JumpCloud client: {0}")]
    JumpCloud(#[source] jumpcloud::Error),
}

pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: axum::Router,
    hydrated: bool,
    /// Kept alive for as long as the application runs: demo mode talks to it.
    _simulator: Option<Simulator>,
}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let admin_email = Email::parse(&settings.admin_email).map_err(StartupError::AdminEmail)?;
        let db = Db::connect(&settings.database_url()).await?;
        db.migrate().await?;
        create_first_admin(&db, &admin_email, settings.admin_password.as_deref()).await?;

        let store = Store::for_db(&db).await.map_err(StartupError::Sessions)?;
        tokio::spawn(
            store
                .clone()
                .continuously_delete_expired(Duration::from_secs(600)),
        );

        // Demo mode until JumpCloud connections can be configured.
        let simulator =
            Simulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), &SimConfig::default())
                .await
                .map_err(StartupError::Simulator)?;
        let demo = demo_from(&simulator)?;
        tracing::info!(simulator = %demo.base_url, "demo mode: using the built-in JumpCloud simulator");

        let listener =
            TcpListener::bind(settings.addr)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.addr,
                    source,
                })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.addr,
            source,
        })?;
        let site_root = settings.site_root.display().to_string();
        let leptos_options = LeptosOptions::builder()
            .output_name("lanyard")
            .site_root(site_root)
            .site_pkg_dir("pkg")
            .site_addr(address)
            .build();
        let pkg = settings.site_root.join("pkg");
        let hydrated = pkg.join("lanyard.js").is_file() && pkg.join("lanyard.wasm").is_file();
        let state = AppState {
            leptos_options,
            db,
            jumpcloud: jumpcloud::Client::new(ClientConfig::default())
                .map_err(StartupError::JumpCloud)?,
            demo: Some(demo),
        };
        let router = crate::routes::router(state, store, settings, hydrated);
        Ok(Application {
            listener,
            address,
            router,
            hydrated,
            _simulator: Some(simulator),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Whether pages carry the hydration scripts (the WASM bundle was found).
    pub fn hydrated(&self) -> bool {
        self.hydrated
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

async fn create_first_admin(
    db: &Db,
    email: &Email,
    password: Option<&str>,
) -> Result<(), StartupError> {
    match accounts::ensure_first_admin(db, email, password)
        .await
        .map_err(StartupError::FirstAdmin)?
    {
        FirstAdmin::AlreadyPresent => {}
        FirstAdmin::Created => tracing::info!(%email, "created the first administrator"),
        FirstAdmin::CreatedWithGeneratedPassword(password) => {
            // Printed, not logged: log pipelines must never carry a password.
            println!(
                "\nLanyard created the first administrator.\n  email:    {email}\n  password: {password}\n\
                 This password is shown only this once. Change it with `lanyard reset-password --email {email}`.\n"
            );
        }
    }
    Ok(())
}

fn demo_from(simulator: &Simulator) -> Result<Demo, StartupError> {
    let base_url = simulator
        .info
        .base_url
        .parse()
        .map_err(StartupError::SimulatorAddress)?;
    Ok(Demo {
        base_url,
        orgs: simulator
            .info
            .orgs
            .iter()
            .map(|org| DemoOrg {
                name: org.name.clone(),
                api_key: Secret::new(org.api_key.clone()),
            })
            .collect(),
    })
}
