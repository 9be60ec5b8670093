#![allow(clippy::unwrap_used)]
//! The overview across organizations and the cross-organization search, through the real
//! app over HTTP: an MSP with 50 simulated organizations behind a slow JumpCloud, one
//! of them down, and a JumpCloud rate limit exactly as large as the app's own budget.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, add_person, jumpcloud_for, spawn_app_with};
use jumpcloud::sim::{Faults, RateLimitFault, SimConfig, SimOrg, Simulator};
use jumpcloud::systems::System;
use jumpcloud::users::{SystemUser, UserState};
use server::config::DemoMode;

const CLIENT_ORGS: usize = 50;
/// Six pages of users and at least two of systems: eight calls or more per
/// organization, more than JumpCloud allows in its window, so only the app's pacing
/// keeps it under the limit.
const USERS_PER_ORG: usize = 600;
const CALLS_PER_ORG: u64 = 8;
/// The app's budget per organization: `RateLimit::per_second(1)` is 1 call a second
/// with bursts of 2, so at most 2 + 2 calls in any two-second window. JumpCloud's
/// window here is two seconds with one call to spare, so a busy machine's scheduling
/// jitter is not taken for a broken budget; unpaced, the calls would come within one.
const APP_CALLS_PER_SECOND: u32 = 1;
const JUMPCLOUD_WINDOW: Duration = Duration::from_secs(2);
const JUMPCLOUD_CALLS_PER_WINDOW: u32 = 5;

/// The overview's directory figures, as this test expects them from what the
/// simulator holds.
#[derive(Debug, Default, PartialEq, Eq)]
struct Figures {
    active: u64,
    staged: u64,
    suspended: u64,
    locked: u64,
    without_mfa: u64,
    unencrypted: u64,
    stale: u64,
}

impl Figures {
    const COLUMNS: [&str; 7] = [
        "active",
        "staged",
        "suspended",
        "locked",
        "without_mfa",
        "unencrypted",
        "stale",
    ];

    fn expected(users: &[SystemUser], systems: &[System], now: i64) -> Figures {
        let count =
            |keep: &dyn Fn(&SystemUser) -> bool| users.iter().filter(|u| keep(u)).count() as u64;
        let enrolled = |status: &Option<String>| status.as_deref() == Some("ENROLLED");
        let thirty_days_ago = now - 30 * 86_400;
        Figures {
            active: count(&|u| u.state == Some(UserState::Activated)),
            staged: count(&|u| u.state == Some(UserState::Staged)),
            suspended: count(&|u| u.state == Some(UserState::Suspended)),
            locked: count(&|u| u.account_locked == Some(true)),
            without_mfa: count(&|u| {
                u.totp_enabled != Some(true)
                    && !u.mfa_enrollment.as_ref().is_some_and(|mfa| {
                        enrolled(&mfa.overall_status)
                            || enrolled(&mfa.totp_status)
                            || enrolled(&mfa.web_authn_status)
                            || enrolled(&mfa.push_status)
                    })
            }),
            unencrypted: systems
                .iter()
                .filter(|s| s.fde.and_then(|fde| fde.active) != Some(true))
                .count() as u64,
            stale: systems
                .iter()
                .filter(|s| {
                    s.last_contact
                        .as_deref()
                        .and_then(app::when::parse_rfc3339)
                        .is_none_or(|seen| seen <= thirty_days_ago)
                })
                .count() as u64,
        }
    }

    fn on_page(row: &str) -> Figures {
        let [
            active,
            staged,
            suspended,
            locked,
            without_mfa,
            unencrypted,
            stale,
        ] = Figures::COLUMNS.map(|column| cell(row, column).1.parse().unwrap());
        Figures {
            active,
            staged,
            suspended,
            locked,
            without_mfa,
            unencrypted,
            stale,
        }
    }
}

/// The `<tr>` of one organization in the overview table.
fn row<'a>(html: &'a str, slug: &str) -> &'a str {
    let marker = format!(r#"data-org="{slug}""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {slug}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

fn try_attribute<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(r#"{name}=""#);
    let start = html.find(&marker)? + marker.len();
    Some(&html[start..start + html[start..].find('"')?])
}

fn attribute<'a>(html: &'a str, name: &str) -> &'a str {
    try_attribute(html, name).unwrap_or_else(|| panic!("no {name} in {html}"))
}

/// A number cell of a row: its link (none when the role does not show the number) and
/// its text.
fn cell<'a>(row: &'a str, column: &str) -> (Option<&'a str>, String) {
    let marker = format!(r#"data-column="{column}""#);
    let at = row
        .find(&marker)
        .unwrap_or_else(|| panic!("no {column} cell in {row}"));
    let start = row[..at].rfind("<td").unwrap();
    let cell = &row[start..at + row[at..].find("</td>").unwrap()];
    (try_attribute(cell, "href"), text_of(cell))
}

/// Text without tags or hydration markers.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

fn client_orgs(sim: &Simulator) -> Vec<SimOrg> {
    sim.info
        .orgs
        .iter()
        .filter(|org| org.msp)
        .cloned()
        .collect()
}

async fn figures_in_simulator(sim: &Simulator, org: &SimOrg) -> Figures {
    let api = jumpcloud_for(sim, &org.api_key);
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    let systems = api.list_all_systems(&mut |_, _| {}).await.unwrap();
    assert!(!users.is_empty() && !systems.is_empty());
    Figures::expected(
        &users,
        &systems,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
}

/// The app (demo off) with the owner signed in, the simulator's MSP connection added
/// and all its client organizations mapped; their slugs, in the simulator's order.
async fn msp_app(sim: &Simulator) -> (TestApp, Vec<String>) {
    let app = spawn_app_with(|settings| {
        settings.demo = DemoMode::Off;
        settings.jumpcloud_calls_per_second = APP_CALLS_PER_SECOND;
    })
    .await;
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    app.call_ok(
        "/api/connections/add",
        &[
            ("name", "Our MSP"),
            ("kind", "api_key"),
            ("region", "custom"),
            ("base_url", sim.info.base_url.as_str()),
            ("api_key", sim.info.msp_api_key.as_str()),
        ],
    )
    .await;
    let connections = app.call_ok("/api/connections", &[]).await;
    let connection_id = connections[0]["id"].as_i64().unwrap();
    let orgs = client_orgs(sim);
    // The first as an owner maps it (checked against what the connection reaches); the
    // other 49 straight into the database: each mapping re-reads the provider's list,
    // which at this test's small call budget would take minutes (tenants.rs tests it).
    app.call_ok(
        "/api/connections/map",
        &[
            ("connection_id", connection_id.to_string().as_str()),
            ("jumpcloud_org_id", orgs[0].id.as_str()),
            ("name", orgs[0].name.as_str()),
        ],
    )
    .await;
    let db = app.db().await;
    let mut slugs = vec![app::tenants::orgs::slugify(&orgs[0].name)];
    for org in &orgs[1..] {
        let mapped = app::tenants::orgs::map(&db, connection_id, &org.id, &org.name)
            .await
            .unwrap();
        slugs.push(mapped.slug);
    }
    (app, slugs)
}

#[tokio::test]
async fn fifty_organizations_render_within_their_budgets_and_one_failing_breaks_nothing() {
    let sim = Simulator::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &SimConfig {
            client_orgs: CLIENT_ORGS,
            users_per_org: USERS_PER_ORG,
            extra_groups_per_org: 0,
            seed: 10,
        },
    )
    .await
    .unwrap();
    let orgs = client_orgs(&sim);
    assert_eq!(orgs.len(), CLIENT_ORGS);
    let failing = 16;
    let mut expected = Vec::new();
    for (index, org) in orgs.iter().enumerate() {
        if index != failing {
            expected.push((index, figures_in_simulator(&sim, org).await));
        }
    }
    sim.set_faults(Faults {
        latency: Duration::from_millis(50),
        rate_limit: Some(RateLimitFault {
            requests: JUMPCLOUD_CALLS_PER_WINDOW,
            window: JUMPCLOUD_WINDOW,
            retry_after: true,
        }),
        failing_orgs: vec![orgs[failing].id.clone()],
        ..Faults::default()
    });
    let (app, slugs) = msp_app(&sim).await;
    let requests_before = sim.requests();

    // The first render comes after a few seconds with what has answered; the failing
    // organization is still being retried, so the page says it is loading and reloads.
    let started = Instant::now();
    let first = app.page_text("/overview").await;
    assert!(
        first.contains(r#"data-testid="overview-progress""#),
        "{first}"
    );
    assert!(first.contains("Loaded "), "{first}");
    // It reloads without `refresh=true`, which would start every load over.
    assert!(
        first.contains(r#"http-equiv="refresh" content="2; url=/overview""#),
        "{first}"
    );
    assert_eq!(
        attribute(row(&first, &slugs[failing]), "data-state"),
        "loading"
    );
    assert!(row(&first, &slugs[failing]).contains("Loading…"));

    let mut html = first;
    for _ in 0..30 {
        if !html.contains(r#"data-testid="overview-progress""#) {
            break;
        }
        html = app.page_text("/overview").await;
    }
    assert!(
        !html.contains(r#"data-testid="overview-progress""#),
        "still loading: {html}"
    );
    assert!(!html.contains(r#"http-equiv="refresh""#));
    // Read one after another, 50 organizations at 8 calls or more paced to 1 a second
    // after a burst of 2 would take over 300 s; together (32 at a time) they take two
    // organizations' time.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    for (slug, org) in slugs.iter().zip(&orgs) {
        assert!(html.contains(&org.name), "{} missing", org.name);
        let _ = row(&html, slug);
    }
    let down = row(&html, &slugs[failing]);
    assert_eq!(attribute(down, "data-state"), "failed");
    assert!(
        down.contains("This organization could not be read.") && down.contains("503"),
        "{down}"
    );
    for (index, figures) in &expected {
        let slug = &slugs[*index];
        let shown = row(&html, slug);
        assert_eq!(attribute(shown, "data-state"), "figures", "{slug}");
        assert_eq!(&Figures::on_page(shown), figures, "{slug}");
        assert_eq!(
            cell(shown, "locked").0,
            Some(format!("/o/{slug}/users?locked=true").as_str())
        );
        assert_eq!(
            cell(shown, "stale").0,
            Some(format!("/o/{slug}/devices?stale_days=30").as_str())
        );
        assert_eq!(
            cell(shown, "pending"),
            (Some(format!("/o/{slug}/requests").as_str()), "0".into())
        );
    }
    assert!(
        expected
            .iter()
            .any(|(_, figures)| figures.locked > 0 && figures.suspended > 0),
        "the seed gives the figures something to count"
    );

    // Within the minute the figures are reused: a sorted reload calls JumpCloud no more.
    let before_sort = sim.requests();
    let sorted = app.page_text("/overview?sort=locked&desc=true").await;
    assert_eq!(sim.requests(), before_sort);
    let most_locked = expected
        .iter()
        .map(|(_, figures)| figures.locked)
        .max()
        .unwrap();
    let first_row = &sorted[sorted.find(r#"data-testid="overview-row""#).unwrap()..];
    assert_eq!(
        cell(first_row, "locked").1,
        most_locked.to_string(),
        "most locked first"
    );
    assert!(sorted.contains(r#"href="/overview?sort=locked""#));

    // Every call went through the app's budget for its organization: none throttled.
    assert!(sim.requests() - requests_before >= CALLS_PER_ORG * (CLIENT_ORGS as u64 - 1));
    assert_eq!(sim.throttled(), 0);

    // Search: an email that exists in one organization only. (This test's own reads
    // of the simulator are not paced, so JumpCloud's limit goes; the failing org stays.)
    sim.set_faults(Faults {
        latency: Duration::from_millis(50),
        failing_orgs: vec![orgs[failing].id.clone()],
        ..Faults::default()
    });
    let acme = &orgs[0];
    let acme_user = jumpcloud_for(&sim, &acme.api_key)
        .list_all_users(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.email.ends_with("@acme.example"))
        .unwrap();
    let page = app
        .page_text(&format!("/search?q={}", acme_user.email))
        .await;
    let groups: Vec<&str> = page
        .match_indices(r#"data-testid="search-group" data-org=""#)
        .map(|(at, marker)| {
            let slug = &page[at + marker.len()..];
            &slug[..slug.find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        groups,
        [slugs[0].as_str(), slugs[failing].as_str()],
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"href="/o/{}/users/{}""#, slugs[0], acme_user.id)),
        "{page}"
    );
    let failing_group = &page[page
        .find(&format!(r#"data-org="{}""#, slugs[failing]))
        .unwrap()..];
    assert!(failing_group.contains(r#"data-testid="org-error""#));
    assert!(
        page.contains("No matches in 48 other organizations."),
        "{page}"
    );

    // And a device by its hostname.
    let org = &orgs[30];
    let device = jumpcloud_for(&sim, &org.api_key)
        .list_all_systems(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .find(|system| {
            system
                .hostname
                .as_deref()
                .is_some_and(|name| name.starts_with("LT-"))
        })
        .unwrap();
    let hostname = device.hostname.clone().unwrap();
    let page = app.page_text(&format!("/search?q={hostname}")).await;
    let group = &page[page.find(&format!(r#"data-org="{}""#, slugs[30])).unwrap()..];
    assert!(
        group.contains(&format!(r#"href="/o/{}/devices/{}""#, slugs[30], device.id)),
        "{page}"
    );
    assert!(group.contains(&hostname));
    assert_eq!(sim.throttled(), 0);
}

/// Inserts requests straight into the database: pending and failed ones are what the
/// overview counts, and how they came to be does not matter here.
async fn add_requests(app: &TestApp, org_slug: &str, statuses: &[&str]) {
    let db = app.db().await;
    let org = app::tenants::orgs::by_slug(&db, org_slug)
        .await
        .unwrap()
        .unwrap();
    let item: i64 = app::on_db!(&db, |pool| sqlx::query_scalar(
        "INSERT INTO catalog_items (org_id, kind, name, allowed_durations, \
         max_duration_minutes, policy, created_at) \
         VALUES ($1, 'group', $2, '60', 60, '{\"steps\":[]}', 0) RETURNING id"
    )
    .bind(org.id)
    .bind(format!("Overview test item {}", statuses.join(" ")))
    .fetch_one(pool)
    .await)
    .unwrap();
    let far_future = time::OffsetDateTime::now_utc().unix_timestamp() + 30 * 86_400;
    for (index, status) in statuses.iter().enumerate() {
        app::on_db!(&db, |pool| sqlx::query(
            "INSERT INTO requests (org_id, item_id, requester_account_id, target_user_id, \
             target_email, justification, status, created_at, expires_at) \
             VALUES ($1, $2, (SELECT id FROM accounts WHERE email = $3), $4, $5, 'test', \
             $6, $7, $8)"
        )
        .bind(org.id)
        .bind(item)
        .bind(ADMIN_EMAIL)
        .bind(format!("{index:024x}"))
        .bind(format!("person{index}@example.com"))
        .bind(*status)
        .bind(far_future - 30 * 86_400)
        .bind(far_future)
        .execute(pool)
        .await
        .map(drop))
        .unwrap();
    }
}

/// An account sees only the organizations it may enter, each as far as its role there
/// reaches, on the overview and in search.
#[tokio::test]
async fn people_see_only_their_organizations_as_far_as_their_role_reaches() {
    let owner = spawn_app_with(|_| {}).await;
    assert_eq!(owner.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    add_requests(
        &owner,
        "acme-robotics",
        &["pending", "pending", "failed", "done"],
    )
    .await;
    add_requests(&owner, "globex-health", &["pending"]).await;
    add_person(
        &owner,
        "bob@example.com",
        "bob-has-a-long-password",
        "acme-robotics",
        "approver",
    )
    .await;
    add_person(
        &owner,
        "carol@example.com",
        "carol-has-a-long-password",
        "globex-health",
        "requester",
    )
    .await;

    // The owner: every organization, with request counts from one grouped query.
    let html = owner.page_text("/overview").await;
    for slug in [
        "acme-robotics",
        "globex-health",
        "initech-logistics",
        "northwind-traders",
    ] {
        assert_eq!(
            attribute(row(&html, slug), "data-state"),
            "figures",
            "{slug}"
        );
    }
    let acme = row(&html, "acme-robotics");
    assert_eq!(cell(acme, "pending").1, "2");
    assert_eq!(
        cell(acme, "failed"),
        (Some("/o/acme-robotics/requests/manage"), "1".into())
    );
    assert_eq!(cell(row(&html, "globex-health"), "pending").1, "1");
    assert_eq!(cell(row(&html, "initech-logistics"), "pending").1, "0");
    // The top bar leads here and to the search.
    assert!(html.contains(r#"href="/overview""#));
    assert!(html.contains(r#"action="/search""#));

    // Bob approves in Acme only: Acme's row, with pending requests but not failed ones
    // (managing the organization is an admin's).
    let bob = owner.another_browser();
    assert_eq!(
        bob.login("bob@example.com", "bob-has-a-long-password")
            .await
            .status(),
        302
    );
    let html = bob.page_text("/overview").await;
    assert_eq!(
        html.matches(r#"data-testid="overview-row""#).count(),
        1,
        "{html}"
    );
    let acme = row(&html, "acme-robotics");
    assert_eq!(attribute(acme, "data-state"), "figures");
    assert_eq!(cell(acme, "pending").1, "2");
    assert_eq!(cell(acme, "failed"), (None, "—".into()));
    assert!(!html.contains("Globex") && !html.contains("Initech") && !html.contains("Northwind"));
    // Every seeded address ends in `.example`: a search that matches everyone.
    let found = bob.call_ok("/api/search", &[("q", ".example")]).await;
    let groups = found["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{found}");
    assert_eq!(groups[0]["slug"], "acme-robotics");
    assert!(!groups[0]["users"].as_array().unwrap().is_empty());
    assert!(!found.to_string().contains("globex"), "{found}");
    let page = bob.page_text("/search?q=.example").await;
    assert!(page.contains(r#"data-org="acme-robotics""#));
    assert!(!page.contains("globex"), "{page}");

    // Carol only requests in Globex: the row says her role does not include the
    // directory, and search does not look there.
    let carol = owner.another_browser();
    assert_eq!(
        carol
            .login("carol@example.com", "carol-has-a-long-password")
            .await
            .status(),
        302
    );
    let html = carol.page_text("/overview").await;
    assert_eq!(html.matches(r#"data-testid="overview-row""#).count(), 1);
    assert_eq!(
        attribute(row(&html, "globex-health"), "data-state"),
        "not-in-role"
    );
    assert!(html.contains("does not include its directory"));
    let found = carol.call_ok("/api/search", &[("q", ".example")]).await;
    assert_eq!(found["groups"], serde_json::json!([]));
    assert_eq!(found["not_in_role"], 1);

    // Too short a search is refused with a reason, not run.
    let page = owner.page_text("/search?q=a").await;
    assert!(page.contains(r#"data-testid="search-refused""#), "{page}");
    assert!(page.contains("Search for 2 to 100 characters"));
    // Nobody signed in: no data, the layout sends to the login page.
    let stranger = owner.another_browser();
    assert_eq!(stranger.call("/api/overview", &[]).await.status(), 401);
    assert_eq!(
        stranger.call("/api/search", &[("q", "ada")]).await.status(),
        401
    );
}
