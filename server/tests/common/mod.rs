// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

//! Starts the real application on a random loopback port with a fresh database.

use std::path::PathBuf;

use reqwest::header::{ACCEPT, REFERER};
use reqwest::redirect::Policy;
use server::config::Settings;
use server::startup::Application;
use tempfile::TempDir;
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "integration-test-password";

pub struct TestApp {
    pub address: String,
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
    }
}

pub async fn spawn_app() -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let app = Application::build(&settings_for(&data_dir)).await.unwrap();
    let address = format!("http://{}", app.address());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: browser_like_client(),
        _data_dir: data_dir,
        _stop: stop,
    }
}

pub fn browser_like_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
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
