#![allow(clippy::unwrap_used)]
//! Two Lanyard instances on one Postgres, as behind a load balancer: sessions carry over,
//! approvals made on either are carried out once each, and when one instance dies
//! mid-run, the other finishes its claimed jobs after their leases expire.
//!
//! Several instances is a Postgres deployment (SQLite is for one instance), so this runs
//! in the suite's Postgres pass (`scripts/test` runs every test on both backends).

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, browser_like_client, settings_for};
use jumpcloud::sim::{Payload, SimConfig, Simulator};
use reqwest::Method;
use serde_json::Value;
use server::config::{DemoMode, Settings};
use server::startup::Application;

const ORG: &str = "northwind-traders";
const PASSWORD: &str = "a-long-enough-password";
const REQUESTS: usize = 200;

/// An instance on its own runtime and thread, so the test can kill it outright (its
/// tasks stop wherever they are, as when a process dies).
struct Instance {
    address: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Instance {
    fn start(settings: Settings) -> Instance {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let address = runtime.block_on(async {
            let app = Application::build(&settings).await.unwrap();
            let address = format!("http://{}", app.address());
            tokio::spawn(app.run_until(std::future::pending()));
            address
        });
        Instance {
            address,
            runtime: Some(runtime),
        }
    }

    fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
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

async fn sign_in(app: &TestApp, email: &str, password: &str) {
    assert_eq!(app.login(email, password).await.status(), 302, "{email}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(&data_dir);
    settings.database_url = Some(database_url);
    settings.demo = DemoMode::Off;
    settings.worker_interval_ms = 20;
    // The default pacing (10 calls a second) would make this a minute-long test.
    settings.jumpcloud_calls_per_second = 500;
    // Both instances read the same data directory, so the same key opens the stored
    // JumpCloud credentials.
    let mut first = tokio::task::spawn_blocking({
        let settings = settings.clone();
        move || Instance::start(settings)
    })
    .await
    .unwrap();
    let second = tokio::task::spawn_blocking(move || Instance::start(settings))
        .await
        .unwrap();

    // Signed in through the first instance, the admin is signed in on the second too.
    let admin_client = browser_like_client();
    let admin_a = first.browser(&admin_client);
    let admin_b = second.browser(&admin_client);
    sign_in(&admin_a, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let session = admin_b.call_ok("/api/session_info", &[]).await;
    assert_eq!(session["email"], ADMIN_EMAIL, "{session}");

    let org = sim.info.orgs.iter().find(|org| !org.msp).unwrap();
    admin_b
        .call_ok(
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
    let jumpcloud = common::jumpcloud_for(&sim, &org.api_key);
    let users = jumpcloud.list_all_users(&mut |_, _| {}).await.unwrap();
    let requester_user = users
        .iter()
        .find(|user| user.state == Some(jumpcloud::users::UserState::Activated))
        .unwrap()
        .clone();
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
        admin_a
            .call_ok(
                "/api/people/create",
                &[
                    ("email", email),
                    ("display_name", email),
                    ("password", PASSWORD),
                    ("installation_role", "none"),
                ],
            )
            .await;
        admin_a
            .call_ok(
                "/api/people/membership",
                &[("email", email), ("org", ORG), ("role", role)],
            )
            .await;
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

    sim.record_exchanges();
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
