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

pub async fn run(
    binary: &Path,
    msp: &Simulator,
    users_per_org: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    report.recorded(
        SECTION,
        "Release binary size (lanyard)",
        mib(std::fs::metadata(binary)?.len()),
    );
    let data = tempfile::tempdir()?;
    let lanyard = Lanyard::start(&Config {
        binary,
        data_dir: data.path(),
        calls_per_second: DEFAULT_CALLS_PER_SECOND,
    })
    .await?;
    report.recorded(
        SECTION,
        "Cold start: new SQLite database, migrations, first admin, until /healthz answers",
        ms(lanyard.started_in),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    report.recorded(
        SECTION,
        "RSS idle, 1 s after start",
        mib(lanyard.rss_bytes()?),
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
        "no target; valid only if every page is cached at once",
        all_cached,
    );
    lanyard.stop().await
}
