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
use app::email::Email;
use app::error::AppError;
use app::state::AppState;
use app::tenants::connections;
use app::vault::{Vault, VaultError};
use jumpcloud::ClientConfig;
use jumpcloud::sim::{SimConfig, Simulator};

use crate::config::{DemoMode, Settings};
use crate::oidc::{Oidc, OidcConfigError};
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
    #[error("cannot set up demo mode: {0}")]
    Demo(#[source] AppError),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Mail(String),
    #[error("cannot create the JumpCloud client: {0}")]
    JumpCloud(#[source] jumpcloud::Error),
    #[error("{0}")]
    Oidc(#[from] OidcConfigError),
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

        let vault = Vault::load(settings.secret_key.as_deref(), &settings.secret_key_file())?;
        let simulator = start_demo(settings, &db, &vault).await?;

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
        let oidc = Oidc::from_settings(&settings.oidc, settings.oidc_redirect_url(address))?;
        if let Some(oidc) = &oidc {
            let provider = oidc.provider();
            tracing::info!(issuer = %provider.issuer, redirect_url = %provider.redirect_url, "single sign-on is on");
            if oidc.is_public_client() {
                tracing::info!(
                    "no LANYARD_OIDC_CLIENT_SECRET: single sign-on runs as a public client (PKCE only)"
                );
            }
        }
        let pkg = settings.site_root.join("pkg");
        let hydrated = pkg.join("lanyard.js").is_file() && pkg.join("lanyard.wasm").is_file();
        let state = AppState {
            leptos_options,
            db,
            jumpcloud: jumpcloud::Client::new(ClientConfig {
                rate_limit: Some(jumpcloud::RateLimit::per_second(
                    settings.jumpcloud_calls_per_second,
                )),
                timeout: std::time::Duration::from_secs(settings.jumpcloud_timeout_seconds),
                ..ClientConfig::default()
            })
            .map_err(StartupError::JumpCloud)?,
            vault,
            login_throttle: Default::default(),
            clock: Default::default(),
            work_queued: Default::default(),
            sso: oidc.as_ref().map(Oidc::provider),
            users: Default::default(),
            overview: Default::default(),
            mailer: settings
                .smtp
                .mail()
                .map(|mail| app::notifications::mail::Mailer::new(&mail))
                .transpose()
                .map_err(StartupError::Mail)?,
            http: app::notifications::webhook_client().map_err(StartupError::Mail)?,
            public_url: settings
                .public_url
                .as_ref()
                .map(|url| url.as_str().trim_end_matches('/').to_string()),
        };
        tokio::spawn(crate::worker::run(
            state.clone(),
            Duration::from_millis(settings.worker_interval_ms),
        ));
        let router = crate::routes::router(state, store, settings, hydrated, oidc);
        Ok(Application {
            listener,
            address,
            router,
            hydrated,
            _simulator: simulator,
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
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
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

/// Demo mode: with no real connection configured (and `LANYARD_DEMO` not `off`), the
/// built-in simulator runs and its organizations are mapped so the console has data.
async fn start_demo(
    settings: &Settings,
    db: &Db,
    vault: &Vault,
) -> Result<Option<Simulator>, StartupError> {
    let has_real_connection = connections::all(db)
        .await
        .map_err(StartupError::Demo)?
        .iter()
        .any(|connection| !connection.demo);
    if settings.demo == DemoMode::Off || has_real_connection {
        return Ok(None);
    }
    // Its state lives in the data directory, so demo changes survive a restart.
    let simulator = Simulator::start_persistent(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &SimConfig::default(),
        settings.data_dir.join("demo-jumpcloud.json"),
    )
    .await
    .map_err(StartupError::Simulator)?;
    connections::ensure_demo(db, vault, &simulator.info)
        .await
        .map_err(StartupError::Demo)?;
    // Where the simulator listens and its (fake) keys, for scripts and browser tests that
    // check what a demo action did to "JumpCloud".
    let info = serde_json::to_vec(&simulator.info).unwrap_or_default();
    std::fs::write(settings.data_dir.join("demo-simulator.json"), info)
        .map_err(StartupError::Simulator)?;
    tracing::info!(simulator = %simulator.info.base_url, "demo mode: using the built-in JumpCloud simulator");
    Ok(Some(simulator))
}
