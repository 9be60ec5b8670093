//! MSP fan-out: `/overview` across 500 client organizations behind a JumpCloud that
//! takes 50 ms per call and throttles at Lanyard's own budget.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use jumpcloud::sim::{Faults, RateLimitFault, Simulator};

use crate::lanyard::{Config, DEFAULT_CALLS_PER_SECOND, Lanyard};
use crate::proxy::{Call, Proxy, peak_overall, peak_per_org};
use crate::report::Report;
use crate::setup;

const SECTION: &str = "MSP fan-out";

pub const LATENCY: Duration = Duration::from_millis(50);
const TARGET: Duration = Duration::from_secs(2);

pub async fn run(
    binary: &Path,
    msp: &Simulator,
    users_per_org: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let proxy = Proxy::start(&msp.info.base_url).await?;
    let data = tempfile::tempdir()?;
    let budget = DEFAULT_CALLS_PER_SECOND;
    let lanyard = Lanyard::start(&Config {
        binary,
        data_dir: data.path(),
        calls_per_second: budget,
    })
    .await?;
    let browser = lanyard.sign_in().await?;
    let slugs = setup::msp_installation(&lanyard, &browser, &proxy.base_url, msp).await?;

    // The client's pacing allows a burst of twice the rate, then the rate: at most three
    // times the rate within any one second. JumpCloud here refuses anything beyond that.
    let allowed_per_second = 3 * budget;
    msp.set_faults(Faults {
        latency: LATENCY,
        rate_limit: Some(RateLimitFault {
            requests: allowed_per_second,
            window: Duration::from_secs(1),
            retry_after: true,
        }),
        ..Faults::default()
    });
    let throttled_before = msp.throttled();
    proxy.take();
    let started = Instant::now();
    let mut loads = 0;
    let html = loop {
        let html = browser.page("/overview").await?;
        loads += 1;
        // The page shows what has answered after a few seconds and says so; the loads
        // carry on and a reload joins them, as the page's own refresh does.
        if !html.contains(r#"data-testid="overview-progress""#) {
            break html;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the overview was still loading after 120 s");
        }
    };
    let wall = started.elapsed();
    let calls = proxy.take();
    let throttled = msp.throttled() - throttled_before;
    msp.set_faults(Faults::default());

    let with_figures = html.matches(r#"data-state="figures""#).count();
    let failed_calls = calls.iter().filter(|call| call.status >= 400).count();
    report.checked(
        SECTION,
        format!(
            "/overview of {} orgs ({users_per_org} users, {} devices each), {} ms per call: \
             until every org has figures",
            slugs.len(),
            users_per_org.div_ceil(2),
            LATENCY.as_millis()
        ),
        format!(
            "{:.2} s ({loads} page load{}, {} calls, {failed_calls} failed, {with_figures} orgs \
             with figures)",
            wall.as_secs_f64(),
            if loads == 1 { "" } else { "s" },
            calls.len()
        ),
        format!("< {} s", TARGET.as_secs()),
        wall < TARGET && with_figures == slugs.len(),
    );
    let peak = peak_per_org(&calls, Duration::from_secs(1));
    report.checked(
        SECTION,
        "Peak calls to one org within any 1 s",
        peak.to_string(),
        format!(
            "<= {allowed_per_second} (budget {budget}/s, bursts of {})",
            2 * budget
        ),
        peak <= allowed_per_second as usize,
    );
    report.checked(
        SECTION,
        "429 answers from JumpCloud during the overview",
        throttled.to_string(),
        "0",
        throttled == 0,
    );
    report.recorded(
        SECTION,
        "Peak calls to JumpCloud (all orgs) within any 1 s",
        peak_overall(&calls, Duration::from_secs(1)).to_string(),
    );
    // Where the time went: how long JumpCloud took per call, and how many calls were in
    // flight on average (the rest of the wall time is Lanyard between calls).
    let busy: Duration = calls.iter().map(Call::took).sum();
    println!(
        "      mean call {:.1} ms; {:.1} calls in flight on average",
        busy.as_secs_f64() * 1000.0 / calls.len().max(1) as f64,
        busy.as_secs_f64() / wall.as_secs_f64()
    );
    lanyard.stop().await
}
