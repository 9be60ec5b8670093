//! Footprint: the release binary's size, a cold start on a fresh database, resident
//! memory idle and with 100,000 users in the users cache.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use jumpcloud::sim::Simulator;

use crate::lanyard::{Config, DEFAULT_CALLS_PER_SECOND, Lanyard, user_rows};
use crate::report::{Report, mib, ms};
use crate::setup;

const SECTION: &str = "Footprint";

/// The users cache keeps a page for 30 s (`app/src/users/cache.rs`): the pages must all
/// be loaded within that for all of them to be in memory at once.
const CACHE_TIME_TO_LIVE: Duration = Duration::from_secs(30);

/// Page loads in flight while filling the cache: a few browsers' worth.
const LOADS_IN_FLIGHT: usize = 8;

// The issue sets no targets here; these are Lanyard's own budgets, so a regression shows
// as a failure rather than a number nobody compares.
const BINARY_BUDGET_MIB: u64 = 128;
const COLD_START_BUDGET: Duration = Duration::from_secs(1);
const IDLE_RSS_BUDGET_MIB: u64 = 64;
const CACHED_RSS_BUDGET_MIB: u64 = 512;
const MIB: u64 = 1024 * 1024;

pub async fn run(
    binary: &Path,
    msp: &Simulator,
    users_per_org: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let size = std::fs::metadata(binary)?.len();
    report.checked(
        SECTION,
        "Release binary size (lanyard)",
        mib(size),
        format!("<= {BINARY_BUDGET_MIB} MiB (own budget)"),
        size <= BINARY_BUDGET_MIB * MIB,
    );
    let data = tempfile::tempdir()?;
    let lanyard = Lanyard::start(&Config {
        binary,
        data_dir: data.path(),
        calls_per_second: DEFAULT_CALLS_PER_SECOND,
    })
    .await?;
    report.checked(
        SECTION,
        "Cold start: new SQLite database, migrations, first admin, until /healthz answers",
        ms(lanyard.started_in),
        format!("<= {} (own budget)", ms(COLD_START_BUDGET)),
        lanyard.started_in <= COLD_START_BUDGET,
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = lanyard.rss_bytes()?;
    report.checked(
        SECTION,
        "RSS idle, 1 s after start",
        mib(idle),
        format!("<= {IDLE_RSS_BUDGET_MIB} MiB (own budget)"),
        idle <= IDLE_RSS_BUDGET_MIB * MIB,
    );

    let browser = lanyard.sign_in().await?;
    let slugs = setup::msp_installation(&lanyard, &browser, &msp.info.base_url, msp).await?;
    let pages: Vec<String> = slugs
        .iter()
        .flat_map(|slug| {
            (0..users_per_org)
                .step_by(app::users::PAGE_SIZE as usize)
                .map(move |skip| format!("/o/{slug}/users?skip={skip}"))
        })
        .collect();
    let page_count = pages.len();
    let calls_before = msp.requests();
    let started = Instant::now();
    let browser = &browser;
    let cached_users = stream::iter(pages)
        .map(|path| async move { browser.page(&path).await.map(|html| user_rows(&html)) })
        .buffer_unordered(LOADS_IN_FLIGHT)
        .try_fold(0, |total, rows| async move { Ok(total + rows) })
        .await?;
    let filled_in = started.elapsed();
    let calls = msp.requests() - calls_before;
    let rss = lanyard.rss_bytes()?;
    // Every page read once from JumpCloud and none expired yet: all of them are cached.
    let all_cached = calls == page_count as u64 && filled_in < CACHE_TIME_TO_LIVE;
    report.checked(
        SECTION,
        format!(
            "RSS with {cached_users} users cached ({page_count} list pages of {} orgs, \
             {calls} JumpCloud calls, filled in {:.1} s)",
            slugs.len(),
            filled_in.as_secs_f64()
        ),
        mib(rss),
        format!("<= {CACHED_RSS_BUDGET_MIB} MiB (own budget), every page cached at once"),
        all_cached && rss <= CACHED_RSS_BUDGET_MIB * MIB,
    );
    lanyard.stop().await
}
