// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

//! Starts the real application on a random loopback port with a fresh database.

use std::path::PathBuf;

use reqwest::header::{ACCEPT, REFERER};
use reqwest::redirect::Policy;
use server::config::{DemoMode, OidcSettings, Settings};
use server::startup::Application;
use tempfile::TempDir;
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "integration-test-password";

pub struct TestApp {
    pub address: String,
    /// The database this app uses: a fresh SQLite file, or a fresh Postgres database
    /// when `LANYARD_TEST_POSTGRES` names a server (scripts/test runs the suite both ways).
    pub database_url: String,
    /// Keeps cookies like a browser and does not follow redirects, so tests see them.
    pub client: reqwest::Client,
    /// The fresh data directory, deleted when the test ends.
    _data_dir: TempDir,
    _stop: oneshot::Sender<()>,
}

pub fn settings_for(data_dir: &TempDir) -> Settings {
    Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        database_url: None,
        admin_email: ADMIN_EMAIL.into(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        public_url: None,
        site_root: PathBuf::from("/nonexistent-site-root"),
        log: "warn".into(),
        session_idle_minutes: 480,
        secret_key: None,
        demo: DemoMode::Auto,
        worker_interval_ms: 50,
        jumpcloud_calls_per_second: 10,
        jumpcloud_timeout_seconds: 30,
        test_hooks: true,
        oidc: OidcSettings::default(),
        smtp: Default::default(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with settings adjusted first (e.g. demo mode off).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(&data_dir);
    settings.database_url = fresh_postgres_database().await;
    adjust(&mut settings);
    let database_url = settings.database_url();
    let app = Application::build(&settings).await.unwrap();
    let address = format!("http://{}", app.address());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        database_url,
        client: browser_like_client(),
        _data_dir: data_dir,
        _stop: stop,
    }
}

/// With `LANYARD_TEST_POSTGRES=postgres://user@host:port`, a new empty database on that
/// server for one test; without it, `None` (the app's SQLite default).
pub async fn fresh_postgres_database() -> Option<String> {
    use sqlx::Connection;
    let server = std::env::var("LANYARD_TEST_POSTGRES").ok()?;
    let name = format!("lanyard_test_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    Some(format!("{server}/{name}"))
}

impl TestApp {
    /// The app's database, for checks no page shows (e.g. the audit chain).
    pub async fn db(&self) -> app::db::Db {
        app::db::Db::connect(&self.database_url).await.unwrap()
    }
}

/// A fresh demo app with the first administrator signed in.
pub async fn signed_in_admin() -> TestApp {
    let app = spawn_app().await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    app
}

/// The JSON body of a successful response; any other status fails the test with the body.
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap()
}

pub fn browser_like_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        // A request the app never answers fails its test instead of stalling the suite.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl TestApp {
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    /// Another browser on the same server: its own cookie jar, nobody signed in.
    pub fn another_browser(&self) -> TestApp {
        TestApp {
            database_url: self.database_url.clone(),
            ..TestApp::at(&self.address, browser_like_client())
        }
    }

    /// A browser (`client`, with its cookies) on a server this test started itself.
    pub fn at(address: &str, client: reqwest::Client) -> TestApp {
        TestApp {
            address: address.to_string(),
            database_url: String::new(),
            client,
            _data_dir: tempfile::tempdir().unwrap(),
            _stop: oneshot::channel().0,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A page load as a browser without JavaScript makes it.
    pub async fn get_page(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(ACCEPT, "text/html")
            .send()
            .await
            .unwrap()
    }

    /// A plain HTML form post to a server function, as a browser without JavaScript
    /// sends it from `from_page`.
    pub async fn post_form(
        &self,
        endpoint: &str,
        from_page: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(endpoint))
            .header(ACCEPT, "text/html")
            .header(REFERER, self.url(from_page))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A page load carrying only `cookie` (e.g. a replayed, supposedly dead session).
    pub async fn get_page_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        browser_like_client()
            .get(self.url(path))
            .header(ACCEPT, "text/html")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    /// A server function called as the hydrated app calls it (not an HTML form post):
    /// errors come back with their HTTP status.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(endpoint))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// [`TestApp::call`] that must succeed; its JSON result.
    pub async fn call_ok(&self, endpoint: &str, form: &[(&str, &str)]) -> serde_json::Value {
        json(self.call(endpoint, form).await).await
    }

    /// A page that must load (200); its HTML.
    pub async fn page_text(&self, path: &str) -> String {
        let response = self.get_page(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/api/login",
            "/login",
            &[("email", email), ("password", password), ("next", "")],
        )
        .await
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .find(|cookie| cookie.starts_with("lanyard_session="))
}

/// A JumpCloud client for one simulated organization's API key, without retries or
/// pacing, to check what the app did.
pub fn jumpcloud_for(sim: &jumpcloud::sim::Simulator, api_key: &str) -> jumpcloud::OrgClient {
    jumpcloud::Client::new(jumpcloud::ClientConfig {
        max_retries: 0,
        rate_limit: None,
        ..jumpcloud::ClientConfig::default()
    })
    .unwrap()
    .for_org(jumpcloud::Connection {
        base_url: jumpcloud::custom_console_url(&sim.info.base_url).unwrap(),
        credentials: jumpcloud::Credentials::ApiKey(jumpcloud::Secret::new(api_key)),
        org_id: None,
    })
}

/// Adds the simulator's standalone organization as an API-key connection named
/// "Northwind" (its Lanyard slug: `northwind-traders`), as an owner does in Settings;
/// that organization's key.
pub async fn connect_northwind(app: &TestApp, sim: &jumpcloud::sim::Simulator) -> String {
    let org = sim.info.orgs.iter().find(|org| !org.msp).unwrap();
    app.call_ok(
        "/api/connections/add",
        &[
            ("name", "Northwind"),
            ("kind", "api_key"),
            ("region", "custom"),
            ("base_url", sim.info.base_url.as_str()),
            ("api_key", org.api_key.as_str()),
        ],
    )
    .await;
    org.api_key.clone()
}

/// Creates an account with `password` (no installation role) and makes it `role` in the
/// organization `org`, as an owner does in Settings → People.
pub async fn add_person(owner: &TestApp, email: &str, password: &str, org: &str, role: &str) {
    owner
        .call_ok(
            "/api/people/create",
            &[
                ("email", email),
                ("display_name", email),
                ("password", password),
                ("installation_role", "none"),
            ],
        )
        .await;
    owner
        .call_ok(
            "/api/people/membership",
            &[("email", email), ("org", org), ("role", role)],
        )
        .await;
}

/// A figure or table the test command shows a reviewer: written under
/// `LANYARD_TEST_REPORTS` when set (scripts/test prints those at the end), and to the
/// test's output either way.
pub fn report(name: &str, text: &str) {
    println!("{text}");
    if let Ok(dir) = std::env::var("LANYARD_TEST_REPORTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), text).unwrap();
    }
}
