//! SSR vs static: the cached users page served by Lanyard against the same HTML served
//! by nginx as a file, under the same load. The page has as many rows as the list's page
//! size (`app::users::PAGE_SIZE`).

use std::time::Duration;

use anyhow::bail;

use crate::directory::Directory;
use crate::lanyard::user_rows;
use crate::load::{Load, Nginx, Throughput, wrk};
use crate::report::{Report, ms};

const SECTION: &str = "SSR vs static";

const LOAD: Load = Load {
    threads: 2,
    connections: 32,
    duration: Duration::from_secs(10),
};

fn describe(result: &Throughput) -> String {
    let errors = if result.errors > 0 {
        format!(", {} ERRORS", result.errors)
    } else {
        String::new()
    };
    format!(
        "{:.0} req/s, p99 {}{errors}",
        result.requests_per_second,
        ms(result.p99)
    )
}

pub async fn run(directory: &Directory<'_>, report: &mut Report) -> anyhow::Result<()> {
    let path = format!("/o/{}/users", directory.org);
    let browser = &directory.browser;
    // The first load fills the cache; the one saved is served from it.
    browser.page(&path).await?;
    directory.proxy.take();
    let html = browser.page(&path).await?;
    let calls = directory.proxy.take().len();
    let rows = user_rows(&html);
    let page_size = app::users::PAGE_SIZE as usize;
    if rows != page_size {
        bail!("the users page shows {rows} rows, not {page_size}");
    }

    let nginx = Nginx::serve("users.html", &html).await?;
    let static_file = wrk(&LOAD, &format!("{}/users.html", nginx.base_url), &[]).await;
    nginx.stop().await?;
    let static_file = static_file?;
    let cookie = browser.cookie_header()?;
    let lanyard = wrk(
        &LOAD,
        &browser.url(&path),
        &[("Cookie", &cookie), ("Accept", "text/html")],
    )
    .await?;

    report.recorded(
        SECTION,
        format!(
            "Lanyard: {path} from the users cache ({rows} rows, {} KiB, {calls} JumpCloud calls)",
            html.len() / 1024
        ),
        describe(&lanyard),
    );
    report.recorded(
        SECTION,
        "nginx: the same HTML saved to a file",
        describe(&static_file),
    );
    let ratio = lanyard.requests_per_second / static_file.requests_per_second;
    report.checked(
        SECTION,
        format!("Lanyard ÷ nginx requests/s ({})", LOAD.describe()),
        format!("{ratio:.3} (1/{:.1})", 1.0 / ratio),
        ">= 0.333 (1/3)",
        ratio >= 1.0 / 3.0 && lanyard.errors == 0 && static_file.errors == 0,
    );
    report.recorded(
        SECTION,
        "p99 latency, Lanyard ÷ nginx",
        format!(
            "{:.1}",
            lanyard.p99.as_secs_f64() / static_file.p99.as_secs_f64()
        ),
    );

    // Where the users page's cost lies, under the same load: Lanyard's HTTP stack alone
    // (no session, no rendering), and its smallest rendered page (signed out: one query).
    let stack = wrk(&LOAD, &browser.url("/healthz"), &[]).await?;
    report.recorded(
        SECTION,
        "Lanyard: /healthz (no session, nothing rendered)",
        describe(&stack),
    );
    let smallest = wrk(&LOAD, &browser.url("/login"), &[("Accept", "text/html")]).await?;
    report.recorded(
        SECTION,
        "Lanyard: /login signed out (the smallest rendered page)",
        describe(&smallest),
    );
    Ok(())
}
