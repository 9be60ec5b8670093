#![allow(clippy::unwrap_used)]
//! The audit log as people use it: the organization's page (search, export, chain
//! check), `lanyard audit verify` against a log edited behind Lanyard's back, and no
//! secret ever written into it.

mod common;

use common::{TestApp, json, location, signed_in_admin};

const ORG: &str = "acme-robotics";
const BINARY: &str = env!("CARGO_BIN_EXE_lanyard");

/// A user of the demo organization to act on.
async fn some_user(app: &TestApp) -> String {
    let list = json(app.call("/api/users/list", &[("org", ORG)]).await).await;
    list["users"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_audit_page_searches_exports_and_checks_the_chain() {
    let app = signed_in_admin().await;
    let user = some_user(&app).await;
    app.call_ok("/api/users/suspend", &[("org", ORG), ("id", user.as_str())])
        .await;
    app.call_ok(
        "/api/users/reactivate",
        &[("org", ORG), ("id", user.as_str())],
    )
    .await;

    let page = app
        .page_text(&format!("/o/{ORG}/audit?action=suspend&target={user}"))
        .await;
    assert!(page.contains("user.suspended"), "{page}");
    assert!(
        !page.contains("user.reactivated"),
        "the search narrows: {page}"
    );

    let export = app
        .get_page(&format!("/o/{ORG}/audit/export.csv?action=user."))
        .await;
    assert_eq!(export.status(), 200);
    let csv = export.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("seq,time,actor,action,target,summary,result,hash")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter().any(|row| row.contains("user.reactivated")),
        "{csv}"
    );
    assert!(rows.iter().all(|row| row.contains(",user.")), "{csv}");

    let checked = app.page_text(&format!("/o/{ORG}/audit?verify=1")).await;
    assert!(checked.contains("The chain is intact"), "{checked}");

    // A date that is not one is a clear 400, and the export refuses it too.
    let bad = app
        .get_page(&format!("/o/{ORG}/audit?from=yesterday"))
        .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("is not a date"));
    let bad_export = app
        .get_page(&format!("/o/{ORG}/audit/export.csv?until=2026-02-30"))
        .await;
    assert_eq!(bad_export.status(), 400);
}

#[tokio::test]
async fn verify_names_the_entry_edited_behind_the_logs_back() {
    let app = signed_in_admin().await;
    let user = some_user(&app).await;
    for _ in 0..3 {
        app.call_ok("/api/users/suspend", &[("org", ORG), ("id", user.as_str())])
            .await;
    }
    let verify = || {
        std::process::Command::new(BINARY)
            .env_clear()
            .env("DATABASE_URL", &app.database_url)
            .env("LANYARD_DATA_DIR", app.data_dir())
            .env("RUST_LOG", "warn")
            .args(["audit", "verify"])
            .output()
            .unwrap()
    };
    let intact = verify();
    assert!(intact.status.success(), "{intact:?}");
    assert!(String::from_utf8_lossy(&intact.stdout).contains("The audit log is intact"));

    // Someone with database access drops the guard and rewrites one entry.
    let db = app.db().await;
    let victim: i64 = app::on_db!(&db, |pool| sqlx::query_scalar(
        "SELECT seq FROM audit_log WHERE action = 'user.suspended' ORDER BY seq LIMIT 1"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    let drop_guard = match &db {
        app::db::Db::Sqlite(_) => "DROP TRIGGER audit_log_no_update",
        app::db::Db::Postgres(_) => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    app::on_db!(&db, |pool| sqlx::query(drop_guard)
        .execute(pool)
        .await
        .map(drop)
        .unwrap());
    app::on_db!(&db, |pool| sqlx::query(
        "UPDATE audit_log SET summary = 'nothing to see' WHERE seq = $1"
    )
    .bind(victim)
    .execute(pool)
    .await
    .map(drop)
    .unwrap());

    let broken = verify();
    assert_eq!(broken.status.code(), Some(1), "{broken:?}");
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(
        said.contains(&format!("broken at entry {victim} ")),
        "{said}"
    );
    let page = app.page_text(&format!("/o/{ORG}/audit?verify=1")).await;
    assert!(
        page.contains(&format!("The chain is broken at entry {victim} ")),
        "{page}"
    );
}

#[tokio::test]
async fn no_password_or_key_is_ever_written_to_the_audit_log() {
    let app = signed_in_admin().await;
    // A user created with a temporary password, shown once.
    let created = app
        .post_form(
            "/api/users/create",
            &format!("/o/{ORG}/users/new"),
            &[
                ("org", ORG),
                ("email", "audit.check@acme.example"),
                ("firstname", "Audit"),
                ("lastname", "Check"),
                ("username", ""),
                ("department", ""),
                ("job_title", ""),
                ("manager", ""),
                ("state", "active"),
            ],
        )
        .await;
    let shown = app.page_text(&location(&created)).await;
    let password = shown
        .split(r#"data-testid="temporary-password""#)
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split('<').next())
        .unwrap()
        .to_string();
    assert!(password.len() >= 16, "{password}");
    // A JumpCloud API key added as a connection.
    let sim = jumpcloud::sim::Simulator::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        &jumpcloud::sim::SimConfig::default(),
    )
    .await
    .unwrap();
    let api_key = common::connect_northwind(&app, &sim).await;
    // A dashboard account with its initial password.
    let account_password = "a-long-enough-password-for-audit";
    common::add_person(
        &app,
        "person@example.com",
        account_password,
        "northwind-traders",
        "requester",
    )
    .await;

    let db = app.db().await;
    let entries = app::audit::recent(&db, 10_000).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    for expected in ["user.created", "connection.added"] {
        assert!(actions.contains(&expected), "{actions:?}");
    }
    for secret in [password.as_str(), api_key.as_str(), account_password] {
        let leaked: Vec<_> = entries
            .iter()
            .filter(|entry| {
                [&entry.actor, &entry.action, &entry.target, &entry.summary]
                    .iter()
                    .any(|field| field.contains(secret))
            })
            .collect();
        assert!(
            leaked.is_empty(),
            "a secret is in the audit log: {leaked:?}"
        );
    }
}

#[tokio::test]
async fn directory_insights_shows_jumpcloud_events_by_service_a_page_at_a_time() {
    let app = signed_in_admin().await;
    // The simulator's seeded events are in December 2025.
    let search = |service: &'static str, after: String| {
        let app = &app;
        async move {
            app.call(
                "/api/insights",
                &[
                    ("org", ORG),
                    ("service", service),
                    ("from", "2025-11-01"),
                    ("until", "2026-01-31"),
                    ("after", after.as_str()),
                ],
            )
            .await
        }
    };
    let all = json(search("all", String::new()).await).await;
    let events = all["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{all}");
    let sso = json(search("sso", String::new()).await).await;
    let sso_events = sso["events"].as_array().unwrap();
    assert!(!sso_events.is_empty());
    assert!(
        sso_events.iter().all(|event| event["service"] == "sso"),
        "{sso}"
    );
    if let Some(cursor) = all["older"].as_str() {
        let older = json(search("all", cursor.to_string()).await).await;
        let first_older = &older["events"][0];
        assert!(!events.contains(first_older), "the next page moves on");
    }
    assert_eq!(search("nonsense", String::new()).await.status(), 400);
    let page = app
        .page_text(&format!(
            "/o/{ORG}/insights?service=sso&from=2025-11-01&until=2026-01-31"
        ))
        .await;
    assert!(page.contains(r#"aria-label="Events""#), "{page}");
}
