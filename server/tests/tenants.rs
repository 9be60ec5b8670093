#![allow(clippy::unwrap_used)]
//! Connections, organization mapping, roles and cross-tenant isolation, through the real
//! app over HTTP against a JumpCloud simulator.

mod common;

use std::net::SocketAddr;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, json, location, spawn_app, spawn_app_with};
use jumpcloud::sim::{SimConfig, Simulator};
use serde_json::Value;
use server::config::DemoMode;

async fn simulator() -> Simulator {
    Simulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), &SimConfig::default())
        .await
        .unwrap()
}

async fn signed_in_without_demo() -> TestApp {
    let app = spawn_app_with(|settings| settings.demo = DemoMode::Off).await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    app
}

fn api_key_form<'a>(name: &'a str, base_url: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("kind", "api_key"),
        ("region", "custom"),
        ("base_url", base_url),
        ("api_key", key),
    ]
}

#[tokio::test]
async fn a_bad_key_is_refused_with_a_message_and_nothing_is_stored() {
    let sim = simulator().await;
    let app = signed_in_without_demo().await;
    let base = sim.info.base_url.as_str();

    let refused = app
        .call(
            "/api/connections/add",
            &api_key_form("Wrong", base, "0123456789abcdef-not-a-key"),
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("JumpCloud refused these credentials"),
        "{body}"
    );
    assert_eq!(
        json(app.call("/api/connections", &[]).await).await,
        Value::Array(vec![])
    );

    // Without JavaScript the form comes back with the message.
    let form = app
        .post_form(
            "/api/connections/add",
            "/settings/connections",
            &api_key_form("Wrong", base, "0123456789abcdef-not-a-key"),
        )
        .await;
    assert_eq!(form.status(), 302);
    let back = app
        .get_page(&location(&form).replace(&app.address, ""))
        .await;
    let html = back.text().await.unwrap();
    assert!(
        html.contains("JumpCloud refused these credentials"),
        "{html}"
    );

    let bad_url = app
        .call(
            "/api/connections/add",
            &api_key_form("Bad URL", "ftp://x", "k"),
        )
        .await;
    assert_eq!(bad_url.status(), 400);
}

#[tokio::test]
async fn single_org_and_msp_connections_map_organizations_and_never_leak_secrets() {
    let sim = simulator().await;
    let app = signed_in_without_demo().await;
    let base = sim.info.base_url.as_str();
    let standalone = sim.info.orgs.iter().find(|org| !org.msp).unwrap();

    // A single-organization key is verified and its organization mapped at once.
    let added = app
        .call(
            "/api/connections/add",
            &api_key_form("Northwind", base, &standalone.api_key),
        )
        .await;
    assert!(
        added.status().is_success(),
        "{}",
        added.text().await.unwrap()
    );
    let list = json(app.call("/api/connections", &[]).await).await;
    assert_eq!(list[0]["multi_tenant"], false);
    assert_eq!(list[0]["org_count"], 1);
    let hint = list[0]["secret_hint"].as_str().unwrap();
    assert!(standalone.api_key.ends_with(hint.trim_start_matches('…')));

    // An MSP key is recognised as multi-tenant; its organizations are discovered.
    app.call(
        "/api/connections/add",
        &api_key_form("Our MSP", base, &sim.info.msp_api_key),
    )
    .await;
    let list = json(app.call("/api/connections", &[]).await).await;
    let msp = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Our MSP")
        .unwrap();
    assert_eq!(msp["multi_tenant"], true);
    let msp_id = msp["id"].to_string();
    let detail = json(
        app.call("/api/connections/detail", &[("id", &msp_id)])
            .await,
    )
    .await;
    let discovered = detail["orgs"].as_array().unwrap();
    assert_eq!(discovered.len(), 3);
    assert!(discovered.iter().all(|org| org["mapped_slug"].is_null()));
    // With their basic settings, as the provider lists them.
    assert!(
        discovered
            .iter()
            .all(|org| org["licensed_users"].as_u64() > Some(0)),
        "{detail}"
    );

    for org in sim.info.orgs.iter().filter(|org| org.msp).take(2) {
        let mapped = app
            .call(
                "/api/connections/map",
                &[
                    ("connection_id", msp_id.as_str()),
                    ("jumpcloud_org_id", org.id.as_str()),
                    ("name", org.name.as_str()),
                ],
            )
            .await;
        assert!(mapped.status().is_success());
    }
    // An id the connection does not reach is refused.
    let foreign = app
        .call(
            "/api/connections/map",
            &[
                ("connection_id", msp_id.as_str()),
                ("jumpcloud_org_id", standalone.id.as_str()),
                ("name", "Sneaky"),
            ],
        )
        .await;
    assert_eq!(foreign.status(), 400);

    // Each organization's page is served with its own connection (x-org-id for the MSP).
    for (slug, name) in [
        ("northwind-traders", "Northwind Traders"),
        ("acme-robotics", "Acme Robotics"),
        ("globex-health", "Globex Health"),
    ] {
        let page = app.get_page(&format!("/o/{slug}")).await;
        assert_eq!(page.status(), 200, "{slug}");
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{name}</h1>")), "{html}");
        assert!(html.contains(r#"data-testid="user-count" class="num">60<"#));
    }
    // The switcher keeps the section when switching.
    let page = app.get_page("/o/acme-robotics/users").await;
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"href="/o/globex-health/users""#), "{html}");

    // No page and no server function response carries a secret.
    let mut seen = String::new();
    for path in [
        "/settings/connections",
        "/settings/connections/1",
        "/settings/connections/2",
        "/o/acme-robotics",
    ] {
        seen.push_str(&app.get_page(path).await.text().await.unwrap());
    }
    for (endpoint, form) in [
        ("/api/connections", vec![]),
        ("/api/connections/detail", vec![("id", "1")]),
        ("/api/connections/detail", vec![("id", msp_id.as_str())]),
        ("/api/session_info", vec![]),
    ] {
        seen.push_str(&app.call(endpoint, &form).await.text().await.unwrap());
    }
    for secret in [&standalone.api_key, &sim.info.msp_api_key] {
        assert!(
            !seen.contains(secret.as_str()),
            "a secret reached the browser"
        );
    }
    // Every change is in the audit log, by whom, chained.
    let db = app.db().await;
    let entries = app::audit::recent(&db, 100).await.unwrap();
    let count = |action: &str| entries.iter().filter(|e| e.action == action).count();
    assert_eq!(count("connection.added"), 2);
    assert_eq!(count("org.mapped"), 2);
    assert!(
        entries
            .iter()
            .all(|e| e.action.starts_with("login") || e.actor == ADMIN_EMAIL)
    );
    assert_eq!(app::audit::first_broken_entry(&db).await.unwrap(), None);

    // At rest they are sealed: the database files never hold them in the clear.
    for entry in std::fs::read_dir(app.data_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(standalone.api_key.as_str()));
        assert!(!text.contains(sim.info.msp_api_key.as_str()));
    }
}

#[tokio::test]
async fn a_service_account_falls_back_to_its_secondary_secret_and_rotates_by_edit() {
    let sim = simulator().await;
    let app = signed_in_without_demo().await;
    let account = &sim.info.service_account;
    let form = [
        ("name", "Service account"),
        ("kind", "service_account"),
        ("region", "custom"),
        ("base_url", sim.info.base_url.as_str()),
        ("client_id", account.client_id.as_str()),
        ("client_secret", "an-old-secret-that-was-rotated-away"),
        ("secondary_secret", account.secondary_secret.as_str()),
        ("token_url", account.token_url.as_str()),
    ];
    let added = app.call("/api/connections/add", &form).await;
    assert!(
        added.status().is_success(),
        "{}",
        added.text().await.unwrap()
    );
    let list = json(app.call("/api/connections", &[]).await).await;
    assert_eq!(list[0]["kind"], "ServiceAccount");
    assert_eq!(list[0]["multi_tenant"], true);

    // Rotating: a wrong new primary (with no working secondary) is refused...
    let id = list[0]["id"].to_string();
    let base = sim.info.base_url.as_str();
    sim.set_service_account_secrets(&[account.client_secret.as_str()]);
    sim.revoke_tokens();
    let edit = |secret: &'static str| {
        vec![
            ("id", id.clone()),
            ("name", "Service account".to_string()),
            ("region", "custom".to_string()),
            ("base_url", base.to_string()),
            ("client_id", account.client_id.clone()),
            ("client_secret", secret.to_string()),
            // Left blank, as the edit form leaves it: the stored custom token URL stays.
            ("token_url", String::new()),
        ]
    };
    let wrong: Vec<(&str, String)> = edit("still-not-the-secret");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.call("/api/connections/update", &wrong).await.status(),
        400
    );
    // ...and the right one is stored.
    let right_secret: &'static str = Box::leak(account.client_secret.clone().into_boxed_str());
    let right = edit(right_secret);
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated = app.call("/api/connections/update", &right).await;
    assert!(
        rotated.status().is_success(),
        "{}",
        rotated.text().await.unwrap()
    );
}

/// Every server function, called by a user of one organization with another
/// organization's slug and ids, is refused (404 for the organization, 403 for installation
/// settings) and returns none of its data. The sweep covers functions added later too.
#[tokio::test]
async fn cross_tenant_access_is_refused_on_every_route_and_server_function() {
    let app = spawn_app().await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    let created = app
        .call(
            "/api/people/create",
            &[
                ("email", "bob@example.com"),
                ("display_name", "Bob"),
                ("password", "bob-has-a-long-password"),
                ("installation_role", "none"),
            ],
        )
        .await;
    assert!(created.status().is_success());
    let granted = app
        .call(
            "/api/people/membership",
            &[
                ("email", "bob@example.com"),
                ("org", "acme-robotics"),
                ("role", "admin"),
            ],
        )
        .await;
    assert!(granted.status().is_success());
    let connections = json(app.call("/api/connections", &[]).await).await;
    let globex_connection = connections[0]["id"].to_string();

    let bob = app.another_browser();
    assert_eq!(
        bob.login("bob@example.com", "bob-has-a-long-password")
            .await
            .status(),
        302
    );
    assert_eq!(bob.get_page("/o/acme-robotics").await.status(), 200);
    for path in [
        "/o/globex-health",
        "/o/globex-health/users",
        "/o/globex-health/audit",
        "/o/no-such-org",
    ] {
        let page = bob.get_page(path).await;
        assert_eq!(page.status(), 404, "{path}");
        assert!(
            !page.text().await.unwrap().contains("Globex Health"),
            "{path}"
        );
    }
    // The streamed exports are plain routes, not server functions: same gate.
    for path in [
        "/o/globex-health/users/export.csv",
        "/o/globex-health/users/export.json",
        "/o/globex-health/devices/fleet.csv",
    ] {
        let export = bob.get_page(path).await;
        assert_eq!(export.status(), 404, "{path}");
        assert!(
            !export.text().await.unwrap().contains('@'),
            "{path} leaked addresses"
        );
    }
    for path in [
        "/settings",
        "/settings/connections",
        "/settings/people",
        "/settings/connections/1",
    ] {
        let page = bob.get_page(path).await;
        let html = page.text().await.unwrap();
        assert!(!html.contains("Globex Health"), "{path}");
        assert!(!html.contains("Demo MSP"), "{path}");
    }

    const PUBLIC: &[&str] = &[
        "/api/login",
        "/api/logout",
        "/api/session_info",
        "/api/demo_mode",
        "/api/landing",
        "/api/sso_enabled",
    ];
    let hostile = [
        ("org", "globex-health"),
        ("slug", "globex-health"),
        ("id", globex_connection.as_str()),
        ("connection_id", globex_connection.as_str()),
        ("jumpcloud_org_id", "000000000000000000000000"),
        ("name", "Taken over"),
        ("email", "bob@example.com"),
        ("display_name", "Bob"),
        ("password", "bob-has-a-long-password"),
        ("installation_role", "owner"),
        ("role", "admin"),
        ("org_group", "All"),
        ("kind", "api_key"),
        ("region", "us"),
        ("confirm", "yes"),
        ("item_id", "1"),
        ("request_id", "1"),
        ("duration_minutes", "60"),
        ("justification", "because"),
        ("verdict", "approve"),
        ("comment", "ok"),
        ("durations", "60"),
        ("max_duration_minutes", "60"),
        ("jumpcloud_group_id", "000000000000000000000000"),
        ("description", "x"),
        ("policy", ""),
        ("enabled", "true"),
        ("token", "00000000000000000000000000000000"),
        ("command", "erase"),
        ("system_ids[0]", "000000000000000000000000"),
        ("group_id", "000000000000000000000000"),
    ];
    // Across organizations (no slug): the caller's own organizations only, whatever the
    // form names.
    const ACROSS_ORGS: &[&str] = &["/api/overview", "/api/search"];
    for path in ACROSS_ORGS {
        let mut form = hostile.to_vec();
        form.push(("q", ".example"));
        let response = bob.call(path, &form).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "{path} answered {status}: {body}");
        assert!(body.contains("acme-robotics"), "{path}: {body}");
        assert!(
            !body.to_lowercase().contains("globex"),
            "{path} leaked: {body}"
        );
    }
    let mut swept = 0;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        if PUBLIC.contains(&path) || ACROSS_ORGS.contains(&path) {
            continue;
        }
        swept += 1;
        let response = bob.call(path, &hostile).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            status == 403 || status == 404,
            "{path} answered {status}: {body}"
        );
        assert!(!body.contains("Globex"), "{path} leaked: {body}");
    }
    assert!(swept >= 10, "only {swept} server functions swept");

    // Bob's own landing and session list only his organization.
    let session = bob
        .call("/api/session_info", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        session.contains("acme-robotics") && !session.contains("globex"),
        "{session}"
    );
    // And the owner's data is unchanged: nobody became an owner, nothing was renamed.
    let people = app.call("/api/people", &[]).await.text().await.unwrap();
    assert!(!people.contains("Taken over"));
    assert!(people.contains(r#""installation_role":"none""#), "{people}");
}

#[tokio::test]
async fn operators_limited_to_an_org_group_see_only_its_organizations() {
    let app = spawn_app().await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for (endpoint, form) in [
        (
            "/api/people/create",
            vec![
                ("email", "carol@msp.example"),
                ("display_name", "Carol"),
                ("password", "carol-has-a-long-password"),
                ("installation_role", "operator"),
            ],
        ),
        ("/api/org-groups/create", vec![("name", "EU clients")]),
        (
            "/api/org-groups/add",
            vec![("org_group", "EU clients"), ("org", "globex-health")],
        ),
        (
            "/api/people/scope",
            vec![("email", "carol@msp.example"), ("org_group", "EU clients")],
        ),
    ] {
        let response = app.call(endpoint, &form).await;
        assert!(
            response.status().is_success(),
            "{endpoint}: {}",
            response.text().await.unwrap()
        );
    }
    let carol = app.another_browser();
    carol
        .login("carol@msp.example", "carol-has-a-long-password")
        .await;
    let session = carol
        .call("/api/session_info", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(session.contains("globex-health"), "{session}");
    assert!(!session.contains("acme-robotics"), "{session}");
    assert_eq!(carol.get_page("/o/globex-health").await.status(), 200);
    assert_eq!(carol.get_page("/o/acme-robotics").await.status(), 404);
    // Operators are not owners: installation settings stay closed.
    assert_eq!(carol.call("/api/connections", &[]).await.status(), 403);
}

#[tokio::test]
async fn auditors_and_requesters_get_only_what_their_role_allows() {
    let app = spawn_app().await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.call(
        "/api/people/create",
        &[
            ("email", "rita@example.com"),
            ("display_name", "Rita"),
            ("password", "rita-has-a-long-password"),
            ("installation_role", "none"),
        ],
    )
    .await;
    app.call(
        "/api/people/membership",
        &[
            ("email", "rita@example.com"),
            ("org", "acme-robotics"),
            ("role", "requester"),
        ],
    )
    .await;
    let rita = app.another_browser();
    rita.login("rita@example.com", "rita-has-a-long-password")
        .await;
    let dashboard = json(
        rita.call("/api/org_dashboard", &[("org", "acme-robotics")])
            .await,
    )
    .await;
    assert_eq!(dashboard["role"], "Requester");
    assert!(
        dashboard["users"].is_null(),
        "requesters do not read the directory"
    );
}
