//! The release `lanyard` binary as a child process (as it runs in production: its own
//! process, its own SQLite file, demo mode off) and a browser-like client signed in to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{ACCEPT, ORIGIN, REFERER};
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "admin@bench.example";
pub const ADMIN_PASSWORD: &str = "benchmark-admin-password";

/// What a started instance is configured with.
pub struct Config<'a> {
    pub binary: &'a Path,
    pub data_dir: &'a Path,
    /// `LANYARD_JUMPCLOUD_CALLS_PER_SECOND`: the budget per JumpCloud organization.
    pub calls_per_second: u32,
}

/// Lanyard's default JumpCloud budget per organization (`--jumpcloud-calls-per-second`).
pub const DEFAULT_CALLS_PER_SECOND: u32 = 10;

pub struct Lanyard {
    child: Child,
    pub address: String,
    pub data_dir: PathBuf,
    /// From spawning the process to the first healthy answer: opening (or creating) the
    /// database, migrations, the first administrator, binding.
    pub started_in: Duration,
}

impl Lanyard {
    pub async fn start(config: &Config<'_>) -> anyhow::Result<Lanyard> {
        let log = std::fs::File::create(config.data_dir.join("lanyard.log"))?;
        let mut command = Command::new(config.binary);
        // Only what this run sets: a developer's LANYARD_* or DATABASE_URL must not leak in.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy().into_owned();
            if name.starts_with("LANYARD_") || name == "DATABASE_URL" || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command
            .env("LANYARD_ADDR", "127.0.0.1:0")
            .env("LANYARD_DATA_DIR", config.data_dir)
            .env("LANYARD_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("LANYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LANYARD_DEMO", "off")
            // Server-rendered only: the pages measured are the HTML a browser gets first.
            .env("LANYARD_SITE_ROOT", config.data_dir.join("no-site"))
            .env(
                "LANYARD_JUMPCLOUD_CALLS_PER_SECOND",
                config.calls_per_second.to_string(),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", config.binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (listening, address) = oneshot::channel();
        // Reads every line, so a full pipe never blocks the server.
        std::thread::spawn(move || {
            let mut listening = Some(listening);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("Lanyard is listening on ")
                    && let Some(listening) = listening.take()
                {
                    let _ = listening.send(address.trim().to_string());
                }
            }
        });
        let mut lanyard = Lanyard {
            child,
            address: String::new(),
            data_dir: config.data_dir.to_path_buf(),
            started_in: Duration::ZERO,
        };
        lanyard.address = tokio::time::timeout(Duration::from_secs(60), address)
            .await
            .context("lanyard did not start within 60 s")?
            .with_context(|| {
                format!(
                    "lanyard exited before listening; see {}",
                    config.data_dir.join("lanyard.log").display()
                )
            })?;
        let address = lanyard.address.clone();
        let probe = reqwest::Client::new();
        loop {
            let healthy = probe
                .get(format!("{address}/healthz"))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if healthy {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("lanyard never answered /healthz");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lanyard.started_in = started.elapsed();
        Ok(lanyard)
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.data_dir.join("lanyard.db").display())
    }

    /// Resident set size, from the kernel.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .context("no VmRSS line")?
            .parse()?;
        Ok(kib * 1024)
    }

    /// CPU time (user and system) the process has used so far.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        cpu_time_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// SIGTERM (graceful: requests in flight finish), then waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(&mut self.child).await
    }

    /// A browser with the first administrator (an owner: admin in every organization)
    /// signed in.
    pub async fn sign_in(&self) -> anyhow::Result<Browser> {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()?;
        let browser = Browser {
            client,
            jar,
            address: self.address.clone(),
        };
        let response = browser
            .client
            .post(browser.url("/api/login"))
            .header(ACCEPT, "text/html")
            .header(REFERER, browser.url("/login"))
            .form(&[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", ""),
            ])
            .send()
            .await?;
        if response.status() != 302 {
            bail!("sign-in answered {}", response.status());
        }
        Ok(browser)
    }
}

impl Drop for Lanyard {
    /// A section that fails midway leaves no server behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Fields 14 and 15 of `/proc/…/stat`, in clock ticks (100 a second on Linux).
pub fn cpu_time_of(stat_path: &str) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(stat_path)?;
    // The command name may hold spaces; the fields after it may not.
    let after_name = stat.rsplit_once(')').context("unreadable stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> anyhow::Result<u64> {
        Ok(fields.get(index).context("short stat")?.parse()?)
    };
    // Counted from the state field (field 3), so utime (14) and stime (15) are 11 and 12.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// SIGTERM to a child of this process, then a wait of up to 15 s, then SIGKILL.
pub async fn terminate(child: &mut Child) -> anyhow::Result<()> {
    // SAFETY: kill(2) with this process's own child's pid and a plain signal.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let asked = Instant::now();
    while child.try_wait()?.is_none() {
        if asked.elapsed() > Duration::from_secs(15) {
            child.kill()?;
            child.wait()?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<Jar>,
    pub address: String,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The `Cookie` header this browser sends, for a load tool to send the same.
    pub fn cookie_header(&self) -> anyhow::Result<String> {
        let url = self.address.parse()?;
        let cookies = self.jar.cookies(&url).context("no session cookie")?;
        Ok(cookies.to_str()?.to_string())
    }

    /// A page load as a browser makes it; its HTML, which must come with a 200.
    pub async fn page(&self, path: &str) -> anyhow::Result<String> {
        let response = self
            .client
            .get(self.url(path))
            .header(ACCEPT, "text/html")
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status != 200 {
            bail!("GET {path} answered {status}: {}", excerpt(&body));
        }
        Ok(body)
    }

    /// A server function called as the hydrated app calls it; its JSON answer.
    pub async fn call(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<serde_json::Value> {
        let response = self
            .client
            .post(self.url(endpoint))
            .header(ORIGIN, &self.address)
            .form(form)
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("POST {endpoint} answered {status}: {}", excerpt(&body));
        }
        Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
    }

    /// Adds a JumpCloud API-key connection with a custom base URL, as an owner does in
    /// Settings → Connections.
    pub async fn connect(&self, name: &str, base_url: &str, api_key: &str) -> anyhow::Result<()> {
        self.call(
            "/api/connections/add",
            &[
                ("name", name),
                ("kind", "api_key"),
                ("region", "custom"),
                ("base_url", base_url),
                ("api_key", api_key),
            ],
        )
        .await
        .map(drop)
    }
}

fn excerpt(body: &str) -> String {
    body.chars().take(300).collect()
}

/// How many user rows a users-list page shows (one checkbox per row).
pub fn user_rows(html: &str) -> usize {
    html.matches(r#"type="checkbox" name="id""#).count()
}

/// The user ids a users-list page shows, in order.
pub fn user_ids(html: &str) -> Vec<String> {
    let marker = r#"name="id" value=""#;
    html.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .collect()
}
