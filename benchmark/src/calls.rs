//! JumpCloud calls, counted by the recording proxy: listing and exporting 10,000 users,
//! the user page's calls under 50 ms of latency, and what a write makes the next page
//! loads read again.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jumpcloud::sim::Faults;
use jumpcloud::users::{UserListQuery, UserState};

use crate::directory::Directory;
use crate::lanyard::{user_ids, user_rows};
use crate::proxy::{Call, sequential_rounds};
use crate::report::{Report, ms};
use crate::setup;

const SECTION: &str = "JumpCloud calls";

const LATENCY: Duration = Duration::from_millis(50);

/// JumpCloud's largest page: reading every user costs one call per 100 at best.
const JUMPCLOUD_PAGE: usize = 100;

/// The export and the listing spend the organization's call budget; the pages after
/// them are measured as a person opening them would meet them, with the budget's burst
/// back (twice the per-second rate, refilled at that rate: two seconds).
const BUDGET_REFILL: Duration = Duration::from_millis(2_100);

pub async fn run(
    directory: &Directory<'_>,
    users: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    export(directory, users, report).await?;
    list_every_page(directory, users, report).await?;
    tokio::time::sleep(BUDGET_REFILL).await;
    directory.sim.set_faults(Faults {
        latency: LATENCY,
        ..Faults::default()
    });
    let detail = user_page(directory, report).await;
    directory.sim.set_faults(Faults::default());
    detail?;
    tokio::time::sleep(BUDGET_REFILL).await;
    write_then_reload(directory, report).await
}

async fn export(
    directory: &Directory<'_>,
    users: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    directory.proxy.take();
    let started = Instant::now();
    let csv = directory
        .browser
        .page(&format!("/o/{}/users/export.csv", directory.org))
        .await?;
    let took = started.elapsed();
    let calls = directory.proxy.take().len();
    // One line per user after the header.
    let exported = csv.lines().count().saturating_sub(1);
    let fewest = users.div_ceil(JUMPCLOUD_PAGE);
    report.checked(
        SECTION,
        format!("Export {exported} users as CSV"),
        format!("{calls} calls ({:.1} s)", took.as_secs_f64()),
        format!("= {fewest} (one per {JUMPCLOUD_PAGE} users)"),
        calls == fewest && exported == users,
    );
    Ok(())
}

/// Every page of the list, in an order nothing has cached yet.
async fn list_every_page(
    directory: &Directory<'_>,
    users: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let page_size = app::users::PAGE_SIZE as usize;
    directory.proxy.take();
    let started = Instant::now();
    let mut listed = 0;
    for skip in (0..users).step_by(page_size) {
        let html = directory
            .browser
            .page(&format!(
                "/o/{}/users?sort=email&skip={skip}",
                directory.org
            ))
            .await?;
        listed += user_rows(&html);
    }
    let took = started.elapsed();
    let calls = directory.proxy.take().len();
    let fewest = users.div_ceil(JUMPCLOUD_PAGE);
    report.checked(
        SECTION,
        format!(
            "List {listed} users: every page of the users list ({} rows a page)",
            page_size
        ),
        format!("{calls} calls ({:.1} s)", took.as_secs_f64()),
        format!("= {fewest} (one per {JUMPCLOUD_PAGE} users)"),
        calls == fewest && listed == users,
    );
    Ok(())
}

/// A user with everything the page shows: a manager, groups and devices.
async fn fully_populated_user(directory: &Directory<'_>) -> anyhow::Result<String> {
    let jumpcloud = setup::direct_client(directory.sim, &directory.org_api_key)?;
    let page = jumpcloud
        .list_users(&UserListQuery {
            state: Some(UserState::Activated),
            limit: 100,
            ..UserListQuery::default()
        })
        .await?;
    for user in page.items.iter().filter(|user| user.manager.is_some()) {
        let groups = jumpcloud.list_user_member_of(&user.id).await?;
        let devices = jumpcloud.list_user_systems(&user.id).await?;
        if groups.len() >= 2 && !devices.is_empty() {
            return Ok(user.id.clone());
        }
    }
    bail!("no user on the first page has a manager, groups and devices")
}

/// How deep the user page's calls depend on each other's answers.
const DEPENDENT_ROUNDS: usize = 2;

async fn user_page(directory: &Directory<'_>, report: &mut Report) -> anyhow::Result<()> {
    let id = fully_populated_user(directory).await?;
    directory.proxy.take();
    let started = Instant::now();
    directory
        .browser
        .page(&format!("/o/{}/users/{id}", directory.org))
        .await?;
    let wall = started.elapsed();
    let calls = directory.proxy.take();
    let sum: Duration = calls.iter().map(Call::took).sum();
    let slowest = calls.iter().map(Call::took).max().unwrap_or_default();
    let rounds = sequential_rounds(&calls);
    // The page's calls depend on each other only one level deep: the user's record names
    // the manager, the memberships name the groups and devices. So two rounds, each as
    // long as its slowest call; anything serial beyond that is a missed join.
    let allowed = slowest.mul_f64(DEPENDENT_ROUNDS as f64 * 1.25);
    report.checked(
        SECTION,
        format!(
            "User page (manager, groups, devices; not cached), {} ms per call",
            LATENCY.as_millis()
        ),
        format!(
            "{} wall; {} calls: sum {}, slowest {}, {rounds} rounds one after another",
            ms(wall),
            calls.len(),
            ms(sum),
            ms(slowest)
        ),
        format!(
            "{DEPENDENT_ROUNDS} rounds (the user, then what it names), each ≈ its slowest call \
             (<= {DEPENDENT_ROUNDS} × 1.25 × slowest = {})",
            ms(allowed)
        ),
        rounds <= DEPENDENT_ROUNDS && wall <= allowed,
    );
    // Which calls waited for which: the page's critical path, for BENCHMARKS.md.
    for call in &calls {
        println!(
            "      {:>4} ms → {:>4} ms  {} {}",
            (call.started - started).as_millis(),
            (call.finished - started).as_millis(),
            call.method,
            call.path
        );
    }
    Ok(())
}

/// Calls made by loading `path` once.
async fn calls_for(directory: &Directory<'_>, path: &str) -> anyhow::Result<usize> {
    directory.proxy.take();
    directory.browser.page(path).await?;
    Ok(directory.proxy.take().len())
}

/// Edits one user's job title, then loads pages the write did and did not touch.
async fn write_then_reload(directory: &Directory<'_>, report: &mut Report) -> anyhow::Result<()> {
    let list = format!("/o/{}/users", directory.org);
    let other_org_list = format!("/o/{}/users", directory.other_org);
    let ids = user_ids(&directory.browser.page(&list).await?);
    let [written, untouched, ..] = ids.as_slice() else {
        bail!("the users page lists fewer than two users");
    };
    let untouched_page = format!("/o/{}/users/{untouched}", directory.org);
    // Warm: each page once, so what a load costs from the cache is known.
    directory.browser.page(&untouched_page).await?;
    let untouched_warm = calls_for(directory, &untouched_page).await?;
    directory.browser.page(&other_org_list).await?;
    let list_warm = calls_for(directory, &list).await?;

    let jumpcloud = setup::direct_client(directory.sim, &directory.org_api_key)?;
    let user = jumpcloud.get_user(written).await?;
    let unchanged = |value: &Option<String>| value.clone().unwrap_or_default();
    directory
        .browser
        .call(
            "/api/users/update",
            &[
                ("org", directory.org.as_str()),
                ("id", written.as_str()),
                ("firstname", &unchanged(&user.firstname)),
                ("lastname", &unchanged(&user.lastname)),
                ("department", &unchanged(&user.department)),
                ("job_title", "Benchmark Engineer"),
            ],
        )
        .await
        .context("the profile edit")?;

    let list_after = calls_for(directory, &list).await?;
    let untouched_after = calls_for(directory, &untouched_page).await?;
    let other_org_after = calls_for(directory, &other_org_list).await?;
    report.checked(
        SECTION,
        "After editing one user: the list page showing them",
        format!("{list_after} calls (warm: {list_warm})"),
        "= 1 (read again)",
        list_after == 1,
    );
    report.checked(
        SECTION,
        "After editing one user: another user's page, same org",
        format!("{untouched_after} calls (warm: {untouched_warm})"),
        format!("= {untouched_warm} (as warm)"),
        untouched_after == untouched_warm,
    );
    report.checked(
        SECTION,
        "After editing one user: the users list of another org",
        format!("{other_org_after} calls"),
        "= 0",
        other_org_after == 0,
    );
    Ok(())
}
