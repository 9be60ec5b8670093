//! HTTP load from a second process (Debian's `wrk`), and Debian's nginx serving a file
//! from a directory of its own, on loopback only, as the static baseline.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::lanyard::terminate;

/// The same for every server measured.
pub struct Load {
    pub threads: u32,
    pub connections: u32,
    pub duration: Duration,
}

impl Load {
    pub fn describe(&self) -> String {
        format!(
            "wrk, {} threads, {} connections, {} s",
            self.threads,
            self.connections,
            self.duration.as_secs()
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub requests_per_second: f64,
    pub p99: Duration,
    /// Non-2xx/3xx answers plus socket errors: a fast error is no result.
    pub errors: u64,
}

pub async fn wrk(load: &Load, url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Throughput> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration.as_secs()))
        .arg("--latency");
    for (name, value) in headers {
        command.arg("-H").arg(format!("{name}: {value}"));
    }
    command.arg(url).stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("cannot read wrk's report:\n{text}"))
}

fn parse_wrk(text: &str) -> Option<Throughput> {
    let value_after = |label: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label).map(str::trim))
    };
    let requests_per_second = value_after("Requests/sec:")?.parse().ok()?;
    let p99 = wrk_duration(value_after("99%")?)?;
    let non_2xx: u64 = value_after("Non-2xx or 3xx responses:")
        .and_then(|count| count.parse().ok())
        .unwrap_or(0);
    let socket_errors: u64 = value_after("Socket errors:")
        .map(|counts| {
            counts
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Some(Throughput {
        requests_per_second,
        p99,
        errors: non_2xx + socket_errors,
    })
}

/// `812.00us`, `1.23ms`, `2.01s`, `1.00m`.
fn wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// nginx serving `www/` of a temporary directory on a loopback port, with its own
/// configuration, pid file and logs there (never the system service).
pub struct Nginx {
    master: Child,
    pub base_url: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub async fn serve(file_name: &str, contents: &str) -> anyhow::Result<Nginx> {
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        let www = root.join("www");
        std::fs::create_dir_all(&www)?;
        std::fs::write(www.join(file_name), contents)?;
        // Workers run as nobody when the master is root: they must reach the file.
        for path in [root, www.as_path()] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
        }
        std::fs::set_permissions(www.join(file_name), std::fs::Permissions::from_mode(0o644))?;
        let port = free_port()?;
        let config = root.join("nginx.conf");
        std::fs::write(&config, configuration(root, &www, port))?;
        let master = Command::new(nginx_binary())
            .arg("-p")
            .arg(root)
            .arg("-e")
            .arg(root.join("error.log"))
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nginx")?;
        let base_url = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        let started = Instant::now();
        while probe
            .get(format!("{base_url}/{file_name}"))
            .send()
            .await
            .map_or(true, |response| !response.status().is_success())
        {
            if started.elapsed() > Duration::from_secs(10) {
                let log = std::fs::read_to_string(root.join("error.log")).unwrap_or_default();
                bail!("nginx did not serve {file_name}: {log}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Nginx {
            master,
            base_url,
            _dir: dir,
        })
    }

    pub fn version() -> String {
        // nginx prints its version on stderr.
        match Command::new(nginx_binary()).arg("-v").output() {
            Ok(output) => String::from_utf8_lossy(&output.stderr)
                .trim()
                .trim_start_matches("nginx version: ")
                .to_string(),
            Err(_) => "not found".into(),
        }
    }

    /// SIGTERM to the master stops the workers too (a killed master would orphan them).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        terminate(&mut self.master).await
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if matches!(self.master.try_wait(), Ok(None)) {
            // SAFETY: kill(2) with this process's own child's pid and a plain signal.
            unsafe {
                libc::kill(self.master.id() as libc::pid_t, libc::SIGTERM);
            }
            let _ = self.master.wait();
        }
    }
}

fn nginx_binary() -> PathBuf {
    // Debian installs it in sbin, which a non-root PATH may lack.
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from("nginx")
    }
}

/// Debian's defaults where they matter for a static file (sendfile, keep-alive), a
/// worker per core, no access log (Lanyard keeps none either at `warn`).
fn configuration(root: &Path, www: &Path, port: u16) -> String {
    let root = root.display();
    format!(
        "worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    types {{ text/html html; }}
    default_type text/html;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {www};
    }}
}}
",
        www = www.display()
    )
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

pub fn wrk_version() -> String {
    match Command::new("wrk").arg("-v").output() {
        Ok(output) => String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        Err(_) => "not found".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_reports() {
        let report = "Running 10s test @ http://127.0.0.1:8080/users.html
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   600.12us  300.00us   9.00ms   90.00%
    Req/Sec    25.00k     1.00k   27.00k    70.00%
  Latency Distribution
     50%  550.00us
     75%  700.00us
     90%    0.90ms
     99%    1.50ms
  497000 requests in 10.00s, 20.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  49700.00
Transfer/sec:      2.00GB
";
        let parsed = parse_wrk(report).unwrap();
        assert_eq!(parsed.errors, 7);
        assert!((parsed.requests_per_second - 49_700.0).abs() < 0.01);
        assert_eq!(parsed.p99, Duration::from_micros(1500));
        assert_eq!(wrk_duration("812.00us"), Some(Duration::from_micros(812)));
        assert_eq!(wrk_duration("2.00s"), Some(Duration::from_secs(2)));
    }
}
