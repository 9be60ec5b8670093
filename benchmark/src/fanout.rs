//! MSP fan-out: `/overview` across 500 client organizations behind a JumpCloud that
//! takes 50 ms per call. A warm-up pass records the simulator's answers; the measured
//! pass, on a restarted Lanyard with nothing cached, gets them replayed after the
//! latency, so this machine's cores go to Lanyard and not to the simulator's JSON (a
//! real JumpCloud's CPU is not on the machine Lanyard runs on).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use jumpcloud::sim::Simulator;

use crate::lanyard::{Browser, Config, DEFAULT_CALLS_PER_SECOND, Lanyard, cpu_time_of};
use crate::proxy::{Call, Proxy, peak_overall, peak_per_org};
use crate::report::Report;
use crate::setup;

const SECTION: &str = "MSP fan-out";

pub const LATENCY: Duration = Duration::from_millis(50);
const TARGET: Duration = Duration::from_secs(2);

/// Loads `/overview` until every organization has answered; the last page and how many
/// loads it took. The page shows what has answered after a few seconds and says so; the
/// reads carry on and a reload joins them, as the page's own refresh does.
async fn overview_until_complete(browser: &Browser) -> anyhow::Result<(String, usize)> {
    let started = Instant::now();
    let mut loads = 0;
    loop {
        let html = browser.page("/overview").await?;
        loads += 1;
        if !html.contains(r#"data-testid="overview-progress""#) {
            return Ok((html, loads));
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the overview was still loading after 120 s");
        }
    }
}

pub async fn run(
    binary: &Path,
    msp: &Simulator,
    users_per_org: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let proxy = Proxy::start(&msp.info.base_url).await?;
    let data = tempfile::tempdir()?;
    let budget = DEFAULT_CALLS_PER_SECOND;
    let config = Config {
        binary,
        data_dir: data.path(),
        calls_per_second: budget,
    };
    let warm_up = Lanyard::start(&config).await?;
    let browser = warm_up.sign_in().await?;
    let slugs = setup::msp_installation(&warm_up, &browser, &proxy.base_url, msp).await?;
    proxy.record_answers();
    overview_until_complete(&browser).await?;
    warm_up.stop().await?;

    proxy.replay_answers(LATENCY);
    let lanyard = Lanyard::start(&config).await?;
    let browser = lanyard.sign_in().await?;
    proxy.take();
    let lanyard_cpu_before = lanyard.cpu_time()?;
    let bench_cpu_before = cpu_time_of("/proc/self/stat")?;
    let started = Instant::now();
    let (html, loads) = overview_until_complete(&browser).await?;
    let wall = started.elapsed();
    let lanyard_cpu = lanyard.cpu_time()? - lanyard_cpu_before;
    let bench_cpu = cpu_time_of("/proc/self/stat")? - bench_cpu_before;
    let calls = proxy.take();

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
    // The client's pacing allows a burst of twice the rate, then the rate: at most three
    // times the rate within any one second.
    let allowed_per_second = 3 * budget as usize;
    let peak = peak_per_org(&calls, Duration::from_secs(1));
    report.checked(
        SECTION,
        "Peak calls to one org within any 1 s",
        peak.to_string(),
        format!(
            "<= {allowed_per_second} (budget {budget}/s, bursts of {})",
            2 * budget
        ),
        peak <= allowed_per_second,
    );
    report.recorded(
        SECTION,
        "Peak calls to JumpCloud (all orgs) within any 1 s",
        peak_overall(&calls, Duration::from_secs(1)).to_string(),
    );
    // Where the time went: how long a call took as Lanyard's peer saw it, how many were
    // in flight, how much JSON came back, and the CPU Lanyard and this process (the
    // replaying proxy) used meanwhile.
    let busy: Duration = calls.iter().map(Call::took).sum();
    let megabytes = calls.iter().map(|call| call.bytes).sum::<usize>() as f64 / 1e6;
    println!(
        "      mean call {:.1} ms, {:.1} calls in flight on average, {megabytes:.0} MB of \
         JSON; CPU: Lanyard {:.2} s, proxy {:.2} s, in {:.2} s",
        busy.as_secs_f64() * 1000.0 / calls.len().max(1) as f64,
        busy.as_secs_f64() / wall.as_secs_f64(),
        lanyard_cpu.as_secs_f64(),
        bench_cpu.as_secs_f64(),
        wall.as_secs_f64()
    );
    lanyard.stop().await
}
