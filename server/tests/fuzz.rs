#![allow(clippy::unwrap_used)]
//! Every server function fed generated input: over-long strings, unicode, numbers where
//! text belongs and text where numbers belong, missing fields, ids of another
//! organization. Called as the owner (who passes every gate, so the input reaches the
//! code behind it). None may answer 5xx or break the server; every refusal carries a
//! message. The seed is fixed, so a failure replays; the counts go to the report.

mod common;

use std::collections::BTreeMap;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, spawn_app};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Cases per server function.
const CASES: usize = 24;
const VICTIM: &str = "acme-robotics";

/// Field names the server functions take, from every form in the app.
const FIELDS: &[&str] = &[
    "org",
    "id",
    "user_id",
    "group_id",
    "system_id",
    "application_id",
    "command_id",
    "system_group_id",
    "request_id",
    "item_id",
    "review_id",
    "q",
    "justification",
    "verdict",
    "name",
    "department",
    "kind",
    "connection_id",
    "slug",
    "command",
    "org_group",
    "email",
    "duration_minutes",
    "enabled",
    "token",
    "region",
    "jumpcloud_org_id",
    "display_name",
    "role",
    "installation_role",
    "capability",
    "password",
    "firstname",
    "lastname",
    "username",
    "job_title",
    "manager",
    "state",
    "at",
    "confirm",
    "comment",
    "minutes",
    "action",
    "days",
    "status",
    "durations",
    "max_duration_minutes",
    "policy",
    "departments",
    "owners",
    "expire_after_days",
    "description",
    "target",
    "device",
    "start_date",
    "delete_after_days",
    "from",
    "step",
    "entries",
    "csv",
    "refresh",
    "sort",
    "desc",
    "skip",
    "api_key",
    "client_id",
    "client_secret",
    "base_url",
    "webhook_url",
    "webhook_kind",
    "decision",
    "note",
    "due_days",
    "exclusion_days",
    "mfa_days",
    "clear_reports",
    "issuer",
];

/// Indexed fields (`name[0]`), as multi-selects post them.
const LISTS: &[&str] = &[
    "groups",
    "request_ids",
    "system_ids",
    "user_ids",
    "eligible_groups",
    "group_ids",
];

/// A value meant to break something.
fn hostile(rng: &mut StdRng, other_org_id: &str) -> String {
    match rng.gen_range(0..14) {
        0 => "x".repeat(rng.gen_range(1_000..20_000)),
        1 => "é🦀\u{202e}ǅ\u{0301}中文".repeat(rng.gen_range(1..200)),
        2 => "\u{0}\u{1}\u{7f}".into(),
        3 => i64::MAX.to_string(),
        4 => "-1".into(),
        5 => "1.5e308".into(),
        6 => "NaN".into(),
        7 => String::new(),
        8 => other_org_id.into(),
        9 => "../../etc/passwd".into(),
        10 => "' OR 1=1 --".into(),
        11 => "<script>alert(1)</script>".into(),
        12 => "0123456789abcdef01234567".into(),
        _ => format!("{}", rng.gen_range(-5..100_000)),
    }
}

/// A value that parses for the field, so that a mutated neighbour is what gets tested.
fn plausible(field: &str) -> String {
    match field {
        "org" | "slug" => VICTIM.into(),
        "request_id" | "item_id" | "review_id" | "connection_id" => "1".into(),
        "duration_minutes"
        | "minutes"
        | "days"
        | "max_duration_minutes"
        | "expire_after_days"
        | "delete_after_days"
        | "due_days"
        | "exclusion_days"
        | "mfa_days"
        | "skip" => "7".into(),
        "enabled" | "refresh" | "desc" | "clear_reports" => "true".into(),
        "email" => "someone@fuzz.example".into(),
        "capability" => "ViewDirectory".into(),
        "verdict" => "approve".into(),
        "kind" => "group".into(),
        "role" => "requester".into(),
        "installation_role" => "none".into(),
        "start_date" => "2031-01-01".into(),
        _ if field.ends_with("id") => "0123456789abcdef01234567".into(),
        _ => "fuzz text".into(),
    }
}

#[tokio::test]
async fn no_server_function_answers_5xx_to_hostile_input() {
    let app = spawn_app().await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    let info: jumpcloud::sim::SimInfo =
        serde_json::from_slice(&std::fs::read(app.data_dir().join("demo-simulator.json")).unwrap())
            .unwrap();
    let other_org_user = info
        .orgs
        .iter()
        .find(|org| org.name == "Globex Health")
        .unwrap()
        .id
        .clone();
    let mut rng = StdRng::seed_from_u64(12);
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        // Signing out would end the fuzzing session.
        .filter(|path| path != "/api/logout")
        .collect();
    paths.sort();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in &paths {
        for _ in 0..CASES {
            let mut form: Vec<(String, String)> = Vec::new();
            let well_formed = rng.gen_bool(0.5);
            for field in FIELDS {
                if well_formed {
                    let value = match *field {
                        "base_url" => info.base_url.clone(),
                        "region" => "custom".to_string(),
                        // A few fields broken, the rest as a form would send them.
                        _ if rng.gen_bool(0.1) => hostile(&mut rng, &other_org_user),
                        _ if rng.gen_bool(0.05) => continue,
                        _ => plausible(field),
                    };
                    form.push((field.to_string(), value));
                    continue;
                }
                // Connections are always to the simulator: nothing may reach the
                // internet, and a real console would answer the same refusal.
                let value = match *field {
                    "region" => "custom".to_string(),
                    "base_url" => info.base_url.clone(),
                    _ if !rng.gen_bool(0.5) => continue,
                    "org" if rng.gen_bool(0.7) => VICTIM.to_string(),
                    _ => hostile(&mut rng, &other_org_user),
                };
                form.push((field.to_string(), value));
            }
            if let Some(list) = LISTS.choose(&mut rng) {
                for index in 0..rng.gen_range(0..3) {
                    form.push((
                        format!("{list}[{index}]"),
                        hostile(&mut rng, &other_org_user),
                    ));
                }
            }
            form.shuffle(&mut rng);
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let response = app.call(path, &pairs).await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            *statuses.entry(status).or_default() += 1;
            let explained = status < 400
                || serde_json::from_str::<app::error::AppError>(&body)
                    .is_ok_and(|error| !error.to_string().trim().is_empty());
            if status >= 500 || !explained {
                let fields: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
                failures.push(format!(
                    "{path} → {status} {}\n    fields: {fields:?}",
                    body.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    assert_eq!(
        app.get_page("/healthz").await.status(),
        200,
        "still serving"
    );
    let counts: Vec<String> = statuses
        .iter()
        .map(|(status, count)| format!("{status}: {count}"))
        .collect();
    common::report(
        "fuzz.txt",
        &format!(
            "fuzz: {} server functions × {CASES} generated inputs = {} calls; answers {}; {} failures",
            paths.len(),
            paths.len() * CASES,
            counts.join(", "),
            failures.len()
        ),
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
