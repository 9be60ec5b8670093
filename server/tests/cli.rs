// Test crates: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

//! The `lanyard` binary as an operator runs it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{browser_like_client, location, session_cookie};

const BINARY: &str = env!("CARGO_BIN_EXE_lanyard");

fn lanyard(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("LANYARD_DATA_DIR", data_dir)
        .env("LANYARD_ADDR", "127.0.0.1:0")
        .env("LANYARD_SITE_ROOT", "/nonexistent-site-root")
        .env("RUST_LOG", "warn");
    command
}

/// Runs `command` until it serves, returning the child, its address and what it printed.
fn start(mut command: Command) -> (Child, String, Vec<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let address = line
            .strip_prefix("Lanyard is listening on ")
            .map(str::to_string);
        printed.push(line);
        if let Some(address) = address {
            return (child, address, printed);
        }
    }
    let status = child.wait();
    panic!("lanyard exited before listening ({status:?}): {printed:?}");
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn bad_settings_stop_with_one_clear_line_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "LANYARD_ADDR",
            "not-an-address",
            "invalid value 'not-an-address'",
        ),
        (
            "DATABASE_URL",
            "mysql://localhost/db",
            "DATABASE_URL must start with sqlite: or postgres://",
        ),
        ("LANYARD_ADMIN_EMAIL", "nobody", "LANYARD_ADMIN_EMAIL"),
        ("LANYARD_ADMIN_PASSWORD", "short", "at least 12 characters"),
        ("RUST_LOG", "=[", "RUST_LOG"),
        (
            "LANYARD_OIDC_ISSUER",
            "https://idp.example/",
            "LANYARD_OIDC_ISSUER is set but LANYARD_OIDC_CLIENT_ID is not",
        ),
        (
            "LANYARD_OIDC_CLIENT_ID",
            "lanyard",
            "single sign-on needs the issuer",
        ),
    ];
    for (variable, value, expected) in cases {
        let output = lanyard(dir.path()).env(variable, value).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{variable}={value} should fail");
        assert!(stderr.contains(expected), "{variable}={value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{variable}={value}: {stderr}");
    }
}

#[test]
fn help_lists_every_setting() {
    let output = Command::new(BINARY).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--addr",
        "--data-dir",
        "--database-url",
        "--admin-email",
        "--admin-password",
        "LANYARD_ADDR",
        "LANYARD_DATA_DIR",
        "DATABASE_URL",
        "LANYARD_ADMIN_EMAIL",
        "LANYARD_ADMIN_PASSWORD",
        "RUST_LOG",
        "--oidc-issuer",
        "--oidc-client-id",
        "--oidc-client-secret",
        "--oidc-scopes",
        "LANYARD_OIDC_ISSUER",
        "LANYARD_OIDC_CLIENT_ID",
        "LANYARD_OIDC_CLIENT_SECRET",
        "LANYARD_OIDC_SCOPES",
        "LANYARD_SECRET_KEY",
        "LANYARD_DEMO",
        "LANYARD_WORKER_INTERVAL_MS",
        "LANYARD_JUMPCLOUD_CALLS_PER_SECOND",
        "LANYARD_TEST_HOOKS",
        "reset-password",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
}

#[tokio::test]
async fn the_generated_admin_password_is_printed_once_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address, printed) = start(lanyard(dir.path()));
    let password = printed
        .iter()
        .find_map(|line| line.trim().strip_prefix("password:"))
        .map(|password| password.trim().to_string())
        .expect("a generated password on first start");
    assert!(
        dir.path().join("lanyard.db").exists(),
        "SQLite file in the data dir"
    );

    let client = browser_like_client();
    let login = client
        .post(format!("{address}/api/login"))
        .header("accept", "text/html")
        .header("referer", format!("{address}/login"))
        .form(&[
            ("email", "admin@localhost"),
            ("password", password.as_str()),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&login), "/");
    assert!(session_cookie(&login).is_some());
    stop(child);

    let (child, _, printed) = start(lanyard(dir.path()));
    assert!(
        !printed.iter().any(|line| line.contains("password:")),
        "the password is shown only on first start: {printed:?}"
    );
    stop(child);
}

#[test]
fn reset_password_sets_a_new_password() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _, _) = start(lanyard(dir.path()));
    stop(child);

    let output = lanyard(dir.path())
        .args(["reset-password", "--email", "admin@localhost"])
        .env("LANYARD_NEW_PASSWORD", "a-brand-new-password")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let unknown = lanyard(dir.path())
        .args(["reset-password", "--email", "ghost@localhost"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("was not found"));
}

#[tokio::test]
async fn no_password_temporary_password_or_api_key_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let admin_password = "admin-password-that-must-not-be-logged";
    let mut command = lanyard(dir.path());
    command
        .env("LANYARD_ADMIN_PASSWORD", admin_password)
        .env("RUST_LOG", "debug,tower_http=trace")
        .stderr(std::fs::File::create(&log_path).unwrap());
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (found, address) = std::sync::mpsc::channel();
    let printed = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.strip_prefix("Lanyard is listening on ") {
                let _ = found.send(address.to_string());
            }
            lines.push(line);
        }
        lines
    });
    let address = address
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap();
    let app = common::TestApp::at(&address, browser_like_client());
    assert_eq!(
        app.login("admin@localhost", admin_password).await.status(),
        302
    );

    // A user created with a generated password, read from the page that shows it once.
    let created = app
        .call(
            "/api/users/create",
            &[
                ("org", "acme-robotics"),
                ("email", "logged.nowhere@example.com"),
                ("firstname", "Logged"),
                ("lastname", "Nowhere"),
            ],
        )
        .await;
    let page = app.page_text(&location(&created)).await;
    let temporary = page
        .split("data-testid=\"temporary-password\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    assert!(temporary.len() >= 16);
    let person_password = "person-password-that-must-not-be-logged";
    app.call_ok(
        "/api/people/create",
        &[
            ("email", "person@example.com"),
            ("display_name", "Person"),
            ("password", person_password),
            ("installation_role", "none"),
        ],
    )
    .await;
    // A connection with a key (refused by the simulator: the key is made up).
    let sim: jumpcloud::sim::SimInfo =
        serde_json::from_slice(&std::fs::read(dir.path().join("demo-simulator.json")).unwrap())
            .unwrap();
    let api_key = "made-up-api-key-that-must-not-be-logged";
    app.call(
        "/api/connections/add",
        &[
            ("name", "Logged"),
            ("kind", "api_key"),
            ("region", "custom"),
            ("base_url", sim.base_url.as_str()),
            ("api_key", api_key),
        ],
    )
    .await;

    stop(child);
    let mut output = printed.join().unwrap().join("\n");
    output.push_str(&std::fs::read_to_string(&log_path).unwrap());
    assert!(
        output.lines().count() > 20,
        "debug logging was on: {output}"
    );
    for secret in [
        admin_password,
        temporary.as_str(),
        person_password,
        api_key,
        sim.msp_api_key.as_str(),
    ] {
        assert!(!output.contains(secret), "{secret:?} is in the logs");
    }
}
