#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Two Lanyard server processes on one Postgres, as behind a load balancer: sessions
//! carry over, approvals made on either are carried out once each, and when one process
//! is killed mid-run, the other finishes its claimed jobs after their leases expire.
//!
//! Several instances is a Postgres deployment (SQLite is for one instance), so that test
//! runs in the suite's Postgres pass (`scripts/test` runs every test on both backends).
//! A server killed under load and restarted is tested on both.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, browser_like_client};
use jumpcloud::sim::{Faults, Payload, SimConfig, Simulator};
use reqwest::Method;
use serde_json::Value;

const ORG: &str = "northwind-traders";
const PASSWORD: &str = "a-long-enough-password";
const REQUESTS: usize = 200;

const BINARY: &str = env!("CARGO_BIN_EXE_lanyard");

/// A `lanyard` server process; killing it stops it wherever it is, as a crash would.
struct Instance {
    address: String,
    process: Child,
}

impl Instance {
    fn start(data_dir: &Path, database_url: &str) -> Instance {
        let mut process = Command::new(BINARY)
            .env("LANYARD_ADDR", "127.0.0.1:0")
            .env("LANYARD_DATA_DIR", data_dir)
            .env("DATABASE_URL", database_url)
            .env("LANYARD_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("LANYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LANYARD_DEMO", "off")
            .env("LANYARD_TEST_HOOKS", "true")
            .env("LANYARD_WORKER_INTERVAL_MS", "20")
            // The default pacing (10 calls a second) would make this a minute-long test.
            .env("LANYARD_JUMPCLOUD_CALLS_PER_SECOND", "500")
            .env("LANYARD_SITE_ROOT", "/nonexistent-site-root")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("Lanyard is listening on ")
                    .map(str::to_string)
            })
            .expect("the server says where it listens");
        // Whatever else it prints must not fill the pipe and stall it.
        std::thread::spawn(move || lines.for_each(drop));
        Instance { address, process }
    }

    /// Sends a signal (`STOP`, `CONT`) to the process.
    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.process.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
    }

    fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    fn browser(&self, client: &reqwest::Client) -> TestApp {
        TestApp::at(&self.address, client.clone())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The user's status in an instance's users list.
async fn user_status(app: &TestApp, user: &jumpcloud::users::SystemUser) -> Value {
    let list = app
        .call_ok(
            "/api/users/list",
            &[("org", ORG), ("filter[q]", user.username.as_str())],
        )
        .await;
    list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["id"] == user.id.as_str())
        .map(|listed| listed["status"].clone())
        .unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) {
    assert_eq!(app.login(email, password).await.status(), 302, "{email}");
}

#[tokio::test]
async fn two_instances_share_sessions_and_carry_out_each_approval_once() {
    let sim = Simulator::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &SimConfig {
            client_orgs: 1,
            users_per_org: 4,
            extra_groups_per_org: REQUESTS + 50,
            seed: 21,
        },
    )
    .await
    .unwrap();
    let Some(database_url) = common::fresh_postgres_database().await else {
        eprintln!("several instances need Postgres: this test runs in the Postgres pass");
        return;
    };
    // Both read the same data directory, so the same key opens the stored JumpCloud
    // credentials. The second starts once the first has migrated the database.
    let data_dir = tempfile::tempdir().unwrap();
    let path = data_dir.path().to_path_buf();
    let url = database_url.clone();
    let mut first = tokio::task::spawn_blocking(move || Instance::start(&path, &url))
        .await
        .unwrap();
    let path = data_dir.path().to_path_buf();
    let url = database_url.clone();
    let second = tokio::task::spawn_blocking(move || Instance::start(&path, &url))
        .await
        .unwrap();

    // Signed in through the first instance, the admin is signed in on the second too.
    let admin_client = browser_like_client();
    let admin_a = first.browser(&admin_client);
    let admin_b = second.browser(&admin_client);
    sign_in(&admin_a, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let session = admin_b.call_ok("/api/session_info", &[]).await;
    assert_eq!(session["email"], ADMIN_EMAIL, "{session}");

    let api_key = common::connect_northwind(&admin_b, &sim).await;
    let jumpcloud = common::jumpcloud_for(&sim, &api_key);
    let users = jumpcloud.list_all_users(&mut |_, _| {}).await.unwrap();
    let requester_user = users
        .iter()
        .find(|user| user.state == Some(jumpcloud::users::UserState::Activated))
        .unwrap()
        .clone();
    // A user suspended through the first instance shows suspended on the second at once,
    // though the second had the user list cached.
    assert_eq!(user_status(&admin_b, &requester_user).await, "Active");
    admin_a
        .call_ok(
            "/api/users/suspend",
            &[("org", ORG), ("id", requester_user.id.as_str())],
        )
        .await;
    assert_eq!(user_status(&admin_b, &requester_user).await, "Suspended");
    admin_a
        .call_ok(
            "/api/users/reactivate",
            &[("org", ORG), ("id", requester_user.id.as_str())],
        )
        .await;

    // A write through the first instance makes the second read again what it touched,
    // and only that: a user it did not touch is still served from the second's memory.
    let (edited, untouched) = users
        .iter()
        .flat_map(|edited| users.iter().map(move |untouched| (edited, untouched)))
        .find(|(edited, untouched)| {
            edited.id != untouched.id && untouched.manager.as_deref() != Some(edited.id.as_str())
        })
        .unwrap();
    let page_of = |user: &jumpcloud::users::SystemUser| format!("/o/{ORG}/users/{}", user.id);
    admin_b.page_text(&page_of(untouched)).await;
    admin_b.page_text(&page_of(edited)).await;
    let edit = admin_a
        .post_form(
            "/api/users/update",
            &page_of(edited),
            &[
                ("org", ORG),
                ("id", edited.id.as_str()),
                ("firstname", edited.firstname.as_deref().unwrap_or("")),
                ("lastname", edited.lastname.as_deref().unwrap_or("")),
                ("email", edited.email.as_str()),
                ("username", edited.username.as_str()),
                ("department", edited.department.as_deref().unwrap_or("")),
                ("job_title", "Cache Invalidation Tester"),
            ],
        )
        .await;
    assert_eq!(edit.status(), 302);
    sim.record_exchanges();
    sim.clear_exchanges();
    admin_b.page_text(&page_of(untouched)).await;
    let edited_page = admin_b.page_text(&page_of(edited)).await;
    let reads_of = |user: &jumpcloud::users::SystemUser| {
        let path = format!("/api/systemusers/{}", user.id);
        sim.exchanges()
            .iter()
            .filter(|exchange| exchange.method == Method::GET && exchange.path == path)
            .count()
    };
    assert_eq!(reads_of(untouched), 0, "the write did not touch this user");
    assert_eq!(reads_of(edited), 1, "the write touched this user");
    assert!(edited_page.contains("Cache Invalidation Tester"));

    // A bulk run started through the first instance: its progress and results page is
    // served by the second.
    let keys: Vec<String> = (0..users.len()).map(|i| format!("ids[{i}]")).collect();
    let mut form = vec![("org", ORG), ("action", "unlock")];
    form.extend(
        keys.iter()
            .map(String::as_str)
            .zip(users.iter().map(|user| user.id.as_str())),
    );
    let run = admin_a
        .post_form(
            "/api/users/bulk/run",
            &format!("/o/{ORG}/users/bulk"),
            &form,
        )
        .await;
    let results = common::location(&run);
    assert!(results.contains("results="), "{results}");
    let mut finished = String::new();
    for _ in 0..100 {
        let page = admin_b.page_text(&results).await;
        if !page.contains("bulk-progress") {
            finished = page;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let summary = finished
        .split("data-testid=\"bulk-result-summary\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_string();
    let counted: usize = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<usize>().ok())
        .sum();
    assert_eq!(
        counted,
        users.len(),
        "every user's outcome, read on the other instance: {summary:?}"
    );

    let already: Vec<String> = jumpcloud
        .list_user_member_of(&requester_user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|group| group.id)
        .collect();
    let groups: Vec<String> = jumpcloud
        .list_all_user_groups(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .filter(|group| group.name.starts_with("Project ") && !already.contains(&group.id))
        .map(|group| group.id)
        .take(REQUESTS)
        .collect();
    assert_eq!(groups.len(), REQUESTS, "enough seeded groups to ask for");

    for (email, role) in [
        (requester_user.email.as_str(), "requester"),
        ("approver@example.com", "approver"),
    ] {
        common::add_person(&admin_a, email, PASSWORD, ORG, role).await;
    }
    let requester_client = browser_like_client();
    let requester = second.browser(&requester_client);
    sign_in(&requester, &requester_user.email, PASSWORD).await;
    let approver_client = browser_like_client();
    let approver_a = first.browser(&approver_client);
    let approver_b = second.browser(&approver_client);
    sign_in(&approver_a, "approver@example.com", PASSWORD).await;

    let mut request_ids = Vec::with_capacity(REQUESTS);
    for (index, group) in groups.iter().enumerate() {
        let item = admin_b
            .call_ok(
                "/api/requests/catalog/create",
                &[
                    ("org", ORG),
                    ("name", &format!("Group {index}")),
                    ("jumpcloud_group_id", group),
                    ("durations", "480"),
                    ("max_duration_minutes", "480"),
                ],
            )
            .await
            .to_string();
        let id = requester
            .call_ok(
                "/api/requests/submit",
                &[
                    ("org", ORG),
                    ("item_id", &item),
                    ("duration_minutes", "480"),
                    ("justification", "load balanced"),
                ],
            )
            .await
            .to_string();
        request_ids.push(id);
    }

    sim.clear_exchanges();
    // A JumpCloud a little slower than loopback keeps the workers busy while the
    // approvals come in, so the first instance is caught mid-job below.
    sim.set_faults(Faults {
        latency: Duration::from_millis(15),
        ..Faults::default()
    });
    // Approvals alternate between the instances; both workers carry them out.
    for (index, id) in request_ids.iter().enumerate() {
        let approver = if index % 2 == 0 {
            &approver_a
        } else {
            &approver_b
        };
        approver
            .call_ok(
                "/api/requests/decide",
                &[
                    ("org", ORG),
                    ("request_id", id),
                    ("verdict", "approve"),
                    ("comment", ""),
                ],
            )
            .await;
    }

    // The first instance dies partway through the work...
    let active = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|request| request["status"] == "active")
            .count()
    };
    for _ in 0..400 {
        let list = admin_b.call_ok("/api/requests/list", &[("org", ORG)]).await;
        if active(&list) >= REQUESTS / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // It is frozen until it is caught holding a claimed job, then killed: the job stays
    // claimed by a process that no longer exists.
    let jobs = sqlx::PgPool::connect(&database_url).await.unwrap();
    let first_owner = format!("{}-%", first.process.id());
    let mut orphaned: Vec<i64> = Vec::new();
    for _ in 0..500 {
        first.signal("STOP");
        orphaned = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE status = 'running' AND lease_owner LIKE $1",
        )
        .bind(&first_owner)
        .fetch_all(&jobs)
        .await
        .unwrap();
        if !orphaned.is_empty() {
            break;
        }
        first.signal("CONT");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(!orphaned.is_empty(), "the first instance never held a job");
    first.kill();

    // ...and once its leases have expired (the second instance's clock moved past them),
    // the second finishes every claimed job.
    let advanced = admin_client
        .post(admin_b.url("/test-hooks/advance-clock?seconds=61"))
        .send()
        .await
        .unwrap();
    assert!(advanced.status().is_success());
    let mut list = Value::Null;
    for _ in 0..600 {
        list = admin_b.call_ok("/api/requests/list", &[("org", ORG)]).await;
        if active(&list) == REQUESTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let unfinished: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| request["status"] != "active")
        .collect();
    assert!(
        unfinished.is_empty(),
        "every approved request is active: {unfinished:?}"
    );
    let finished: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM jobs WHERE id = ANY($1)")
            .bind(&orphaned)
            .fetch_all(&jobs)
            .await
            .unwrap();
    assert!(
        finished.len() == orphaned.len() && finished.iter().all(|(_, status)| status == "done"),
        "the dead instance's jobs were finished by the other: {finished:?}"
    );

    // JumpCloud got exactly one membership change per request.
    let mut adds: HashMap<String, usize> = HashMap::new();
    for exchange in sim.exchanges() {
        let is_add = exchange.method == Method::POST
            && exchange.path.ends_with("/members")
            && matches!(&exchange.request_body, Payload::Json(body) if body["op"] == "add")
            && exchange.status.is_success();
        if is_add {
            *adds.entry(exchange.path.clone()).or_default() += 1;
        }
    }
    assert_eq!(adds.len(), REQUESTS, "one group per request: {adds:?}");
    assert!(
        adds.values().all(|count| *count == 1),
        "no change was made twice: {adds:?}"
    );
    let member_of = jumpcloud
        .list_user_member_of(&requester_user.id)
        .await
        .unwrap();
    for group in &groups {
        assert!(member_of.iter().any(|reached| &reached.id == group));
    }
}

/// Pages loaded over and over while the server restarts: how many answered, and the
/// answers that were errors (not counting refused connections while it was down).
async fn keep_loading(
    address: std::sync::Arc<std::sync::Mutex<String>>,
    client: reqwest::Client,
    stop: tokio::sync::watch::Receiver<bool>,
) -> (usize, Vec<String>) {
    let (mut answered, mut errors) = (0, Vec::new());
    while !*stop.borrow() {
        let base = address.lock().unwrap().clone();
        for path in [format!("/o/{ORG}/users"), format!("/o/{ORG}/requests")] {
            match client
                .get(format!("{base}{path}"))
                .header("accept", "text/html")
                .send()
                .await
            {
                Ok(response) if response.status().is_success() => answered += 1,
                Ok(response) => errors.push(format!("{path}: {}", response.status())),
                Err(error) if error.is_connect() => {}
                // A response cut off by the kill is the crash, not a wrong answer.
                Err(error) if error.is_request() || error.is_body() => {}
                Err(error) => errors.push(format!("{path}: {error}")),
            }
        }
    }
    (answered, errors)
}

#[tokio::test]
async fn a_server_killed_under_load_restarts_with_every_request_carried_out_once() {
    const WORK: usize = 60;
    let sim = Simulator::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &SimConfig {
            client_orgs: 1,
            users_per_org: 4,
            extra_groups_per_org: WORK + 20,
            seed: 22,
        },
    )
    .await
    .unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let postgres = common::fresh_postgres_database().await;
    let database_url = postgres
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.path().join("lanyard.db").display()));
    let start = |database_url: String| {
        let path = data_dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || Instance::start(&path, &database_url))
    };
    let mut server = start(database_url.clone()).await.unwrap();

    let admin_client = browser_like_client();
    let admin = server.browser(&admin_client);
    sign_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api_key = common::connect_northwind(&admin, &sim).await;
    let jumpcloud = common::jumpcloud_for(&sim, &api_key);
    let requester_user = jumpcloud
        .list_all_users(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.state == Some(jumpcloud::users::UserState::Activated))
        .unwrap();
    let already: Vec<String> = jumpcloud
        .list_user_member_of(&requester_user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|group| group.id)
        .collect();
    let groups: Vec<String> = jumpcloud
        .list_all_user_groups(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .filter(|group| group.name.starts_with("Project ") && !already.contains(&group.id))
        .map(|group| group.id)
        .take(WORK)
        .collect();
    for (email, role) in [
        (requester_user.email.as_str(), "requester"),
        ("approver@example.com", "approver"),
    ] {
        common::add_person(&admin, email, PASSWORD, ORG, role).await;
    }
    let requester_client = browser_like_client();
    let requester = server.browser(&requester_client);
    sign_in(&requester, &requester_user.email, PASSWORD).await;
    let approver_client = browser_like_client();
    let approver = server.browser(&approver_client);
    sign_in(&approver, "approver@example.com", PASSWORD).await;
    let mut request_ids = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        let item = admin
            .call_ok(
                "/api/requests/catalog/create",
                &[
                    ("org", ORG),
                    ("name", &format!("Restart {index}")),
                    ("jumpcloud_group_id", group),
                    ("durations", "480"),
                ],
            )
            .await
            .to_string();
        let id = requester
            .call_ok(
                "/api/requests/submit",
                &[
                    ("org", ORG),
                    ("item_id", &item),
                    ("duration_minutes", "480"),
                    ("justification", "restart under load"),
                ],
            )
            .await
            .to_string();
        request_ids.push(id);
    }

    // Pages are loaded throughout; approvals come in; JumpCloud is a little slow, so
    // the worker is mid-way when the server is killed.
    sim.record_exchanges();
    sim.set_faults(Faults {
        latency: Duration::from_millis(20),
        ..Faults::default()
    });
    let address = std::sync::Arc::new(std::sync::Mutex::new(server.address.clone()));
    let (stop_load, load_stopped) = tokio::sync::watch::channel(false);
    let load = tokio::spawn(keep_loading(
        address.clone(),
        admin_client.clone(),
        load_stopped,
    ));
    for id in &request_ids {
        approver
            .call_ok(
                "/api/requests/decide",
                &[
                    ("org", ORG),
                    ("request_id", id),
                    ("verdict", "approve"),
                    ("comment", ""),
                ],
            )
            .await;
    }
    let count_active = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|request| request["status"] == "active")
            .count()
    };
    for _ in 0..400 {
        let list = admin.call_ok("/api/requests/list", &[("org", ORG)]).await;
        if count_active(&list) >= WORK / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let restarted = start(database_url.clone()).await.unwrap();
    *address.lock().unwrap() = restarted.address.clone();
    let admin = restarted.browser(&admin_client);
    // Sessions are in the database: still signed in. Leases of the dead process expire.
    let advanced = admin_client
        .post(admin.url("/test-hooks/advance-clock?seconds=61"))
        .send()
        .await
        .unwrap();
    assert!(advanced.status().is_success());
    let mut list = Value::Null;
    for _ in 0..600 {
        list = admin.call_ok("/api/requests/list", &[("org", ORG)]).await;
        if count_active(&list) == WORK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_load.send(true).unwrap();
    let (answered, errors) = load.await.unwrap();
    let unfinished: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| request["status"] != "active")
        .collect();
    assert!(unfinished.is_empty(), "lost or stuck: {unfinished:?}");
    assert!(errors.is_empty(), "pages failed under load: {errors:?}");
    assert!(answered > 0, "the pages were loaded throughout");

    // Exactly one membership change per request in JumpCloud.
    let mut adds: HashMap<String, usize> = HashMap::new();
    for exchange in sim.exchanges() {
        if exchange.method == Method::POST
            && exchange.path.ends_with("/members")
            && matches!(&exchange.request_body, Payload::Json(body) if body["op"] == "add")
            && exchange.status.is_success()
        {
            *adds.entry(exchange.path.clone()).or_default() += 1;
        }
    }
    assert_eq!(adds.len(), WORK, "{adds:?}");
    assert!(adds.values().all(|count| *count == 1), "twice: {adds:?}");

    // Nothing corrupted: the audit chain verifies, and SQLite's own check passes.
    let verify = std::process::Command::new(BINARY)
        .env_clear()
        .env("DATABASE_URL", &database_url)
        .env("LANYARD_DATA_DIR", data_dir.path())
        .env("RUST_LOG", "warn")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("The audit log is intact"),
        "{verify:?}"
    );
    if postgres.is_none() {
        let db = app::db::Db::connect(&database_url).await.unwrap();
        let app::db::Db::Sqlite(pool) = db else {
            unreachable!("an SQLite URL")
        };
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
    common::report(
        &format!(
            "restart-{}.txt",
            if postgres.is_some() {
                "postgres"
            } else {
                "sqlite"
            }
        ),
        &format!(
            "restart under load ({}): killed with {WORK} approvals in flight; {WORK} carried out once each after the restart; {answered} page loads, 0 errors; audit chain intact",
            if postgres.is_some() {
                "Postgres"
            } else {
                "SQLite"
            }
        ),
    );
}
