//! Queue: 100,000 access requests in the database; the approver inbox's latency and the
//! worker's throughput, against an unlimited JumpCloud and a rate-limited one.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use app::db::Db;
use jumpcloud::groups::UserGroupFields;
use jumpcloud::sim::{Faults, RateLimitFault, Simulator};
use jumpcloud::users::UserListQuery;
use sqlx::SqlitePool;

use crate::lanyard::{ADMIN_EMAIL, Browser, Config, DEFAULT_CALLS_PER_SECOND, Lanyard};
use crate::proxy::Proxy;
use crate::report::{Report, ms, percentile};
use crate::setup;

const SECTION: &str = "Queue";

const REQUESTS: i64 = 100_000;
/// One request in a hundred waits for a decision: a large but believable backlog.
const PENDING_EVERY: i64 = 100;
/// People the requests come from (an approver never decides their own).
const REQUESTERS: usize = 5;
/// Distinct users the history's requests are about.
const HISTORY_TARGETS: usize = 1_000;
/// The flag's upper bound: Lanyard's pacing out of the way.
const UNLIMITED_CALLS_PER_SECOND: u32 = 1_000;
const INBOX_SAMPLES: usize = 200;
/// At the default budget one inbox load waits seconds; sampling stops here.
const INBOX_SAMPLING: Duration = Duration::from_secs(15);
const INBOX_TARGET: Duration = Duration::from_millis(20);
const JOBS_UNLIMITED: usize = 1_000;
/// Jobs run one after another; at JumpCloud's latency each waits for its calls.
const JOBS_WITH_LATENCY: usize = 100;
const JOBS_LIMITED: usize = 100;
/// About what a call to JumpCloud's API takes from outside its network.
const LATENCY: Duration = Duration::from_millis(50);
/// A limited run's throughput must reach this share of what the budget allows.
const BUDGET_SHARE: f64 = 0.9;

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs() as i64)
        .unwrap_or_default()
}

/// A JumpCloud user a request is about.
struct Target {
    id: String,
    email: String,
}

/// Ids of the rows the seeded requests refer to.
struct Installation {
    org_id: i64,
    admin_id: i64,
    requester_ids: Vec<i64>,
}

pub async fn run(binary: &Path, sim: &Simulator, report: &mut Report) -> anyhow::Result<()> {
    let proxy = Proxy::start(&sim.info.base_url).await?;
    let data = tempfile::tempdir()?;
    let org = setup::standalone(sim)?;
    let slug = setup::slug(org);
    let jumpcloud = setup::direct_client(sim, &org.api_key)?;
    let targets = targets(
        &jumpcloud,
        HISTORY_TARGETS + JOBS_UNLIMITED + JOBS_WITH_LATENCY + JOBS_LIMITED,
    )
    .await?;
    let (history_targets, job_targets) = targets.split_at(HISTORY_TARGETS);
    let (unlimited_targets, job_targets) = job_targets.split_at(JOBS_UNLIMITED);
    let (latency_targets, limited_targets) = job_targets.split_at(JOBS_WITH_LATENCY);
    let history_groups: Vec<String> = jumpcloud
        .list_all_user_groups(&mut |_, _| {})
        .await?
        .into_iter()
        .map(|group| group.id)
        .collect();
    // Groups nobody is in yet: every grant job reads, then adds.
    let job_group = |name: &'static str| {
        let jumpcloud = &jumpcloud;
        async move {
            let fields = UserGroupFields {
                name: name.into(),
                ..UserGroupFields::default()
            };
            Ok::<_, anyhow::Error>(jumpcloud.create_user_group(&fields).await?.id)
        }
    };
    let unlimited_group = job_group("Benchmark grants, unlimited").await?;
    let latency_group = job_group("Benchmark grants, with latency").await?;
    let limited_group = job_group("Benchmark grants, rate-limited").await?;

    let unlimited = Lanyard::start(&Config {
        binary,
        data_dir: data.path(),
        calls_per_second: UNLIMITED_CALLS_PER_SECOND,
    })
    .await?;
    let browser = unlimited.sign_in().await?;
    browser
        .connect("Directory", &proxy.base_url, &org.api_key)
        .await?;
    for n in 0..REQUESTERS {
        let email = format!("requester{n}@bench.example");
        browser
            .call(
                "/api/people/create",
                &[
                    ("email", email.as_str()),
                    ("display_name", email.as_str()),
                    ("password", "requester-password-for-bench"),
                    ("installation_role", "none"),
                ],
            )
            .await?;
        browser
            .call(
                "/api/people/membership",
                &[
                    ("email", email.as_str()),
                    ("org", &slug),
                    ("role", "requester"),
                ],
            )
            .await?;
    }
    let db = Db::connect(&unlimited.database_url()).await?;
    let Db::Sqlite(pool) = &db else {
        bail!("the bench seeds SQLite");
    };
    let installation = installation(pool, &slug).await?;
    let history_items = catalog(pool, &installation, &history_groups).await?;
    let pending = seed_history(pool, &installation, &history_items, history_targets).await?;
    let unlimited_item = catalog(pool, &installation, &[unlimited_group]).await?;
    let latency_item = catalog(pool, &installation, &[latency_group]).await?;
    let limited_item = catalog(pool, &installation, &[limited_group]).await?;

    let inbox_path = format!("/o/{slug}/requests");
    let fast_inbox = inbox(&browser, &proxy, &inbox_path).await?;
    report.recorded(
        SECTION,
        format!(
            "Approver inbox ({pending} pending of {REQUESTS} requests), budget \
             {UNLIMITED_CALLS_PER_SECOND} calls/s"
        ),
        fast_inbox.describe(),
    );
    let queries = inbox_queries(&db, &installation).await?;
    report.recorded(
        SECTION,
        "The inbox's database reads alone (its queries, run by the bench)",
        format!(
            "p99 {} ({} samples)",
            ms(percentile(&queries, 0.99)),
            queries.len()
        ),
    );
    let fast = work_through(
        pool,
        &proxy,
        &installation,
        unlimited_item[0],
        unlimited_targets,
    )
    .await?;
    report.recorded(
        SECTION,
        format!(
            "Worker: {JOBS_UNLIMITED} grant jobs, JumpCloud unlimited, budget \
             {UNLIMITED_CALLS_PER_SECOND} calls/s"
        ),
        fast.describe(),
    );
    sim.set_faults(Faults {
        latency: LATENCY,
        ..Faults::default()
    });
    let waiting = work_through(
        pool,
        &proxy,
        &installation,
        latency_item[0],
        latency_targets,
    )
    .await;
    sim.set_faults(Faults::default());
    let waiting = waiting?;
    report.recorded(
        SECTION,
        format!(
            "Worker: {JOBS_WITH_LATENCY} grant jobs, JumpCloud unlimited but {} ms per call",
            LATENCY.as_millis()
        ),
        waiting.describe(),
    );
    unlimited.stop().await?;

    let budget = DEFAULT_CALLS_PER_SECOND;
    sim.set_faults(Faults {
        rate_limit: Some(RateLimitFault {
            requests: 3 * budget,
            window: Duration::from_secs(1),
            retry_after: true,
        }),
        ..Faults::default()
    });
    let throttled_before = sim.throttled();
    let measured = async {
        let limited = Lanyard::start(&Config {
            binary,
            data_dir: data.path(),
            calls_per_second: budget,
        })
        .await?;
        let browser = limited.sign_in().await?;
        let inbox = inbox(&browser, &proxy, &inbox_path).await?;
        let run = work_through(
            pool,
            &proxy,
            &installation,
            limited_item[0],
            limited_targets,
        )
        .await?;
        limited.stop().await?;
        Ok::<_, anyhow::Error>((inbox, run))
    }
    .await;
    sim.set_faults(Faults::default());
    let (slow_inbox, slow) = measured?;
    let throttled = sim.throttled() - throttled_before;

    let p99 = percentile(&slow_inbox.samples, 0.99);
    report.checked(
        SECTION,
        format!(
            "Approver inbox ({pending} pending of {REQUESTS} requests), default budget \
             {budget} calls/s"
        ),
        slow_inbox.describe(),
        format!("p99 < {}", ms(INBOX_TARGET)),
        p99 < INBOX_TARGET,
    );
    let allowed = f64::from(budget) / slow.calls_per_job;
    report.checked(
        SECTION,
        format!(
            "Worker: {JOBS_LIMITED} grant jobs, JumpCloud limited to Lanyard's default budget \
             ({budget} calls/s, bursts of {})",
            2 * budget
        ),
        format!("{}; {throttled} answers 429", slow.describe()),
        format!(
            ">= {:.0}% of {budget} calls/s ÷ {:.1} calls per job = {:.1} jobs/s, no 429",
            BUDGET_SHARE * 100.0,
            slow.calls_per_job,
            BUDGET_SHARE * allowed
        ),
        slow.jobs_per_second >= BUDGET_SHARE * allowed && throttled == 0 && slow.failed == 0,
    );
    report.recorded(
        SECTION,
        "Worker throughput, unlimited ÷ rate-limited",
        format!("{:.1}", fast.jobs_per_second / slow.jobs_per_second),
    );
    Ok(())
}

/// The first `count` users of the organization, by username.
async fn targets(jumpcloud: &jumpcloud::OrgClient, count: usize) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::with_capacity(count);
    while targets.len() < count {
        let page = jumpcloud
            .list_users(&UserListQuery {
                skip: targets.len() as u64,
                limit: 100,
                ..UserListQuery::default()
            })
            .await?;
        if page.items.is_empty() {
            bail!("the organization has fewer than {count} users");
        }
        targets.extend(page.items.into_iter().map(|user| Target {
            id: user.id,
            email: user.email,
        }));
    }
    targets.truncate(count);
    Ok(targets)
}

async fn installation(pool: &SqlitePool, slug: &str) -> anyhow::Result<Installation> {
    let org_id = sqlx::query_scalar("SELECT id FROM orgs WHERE slug = $1")
        .bind(slug)
        .fetch_one(pool)
        .await
        .context("the organization")?;
    let admin_id = sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1")
        .bind(ADMIN_EMAIL)
        .fetch_one(pool)
        .await
        .context("the administrator")?;
    let requester_ids = sqlx::query_scalar("SELECT id FROM accounts WHERE email <> $1 ORDER BY id")
        .bind(ADMIN_EMAIL)
        .fetch_all(pool)
        .await?;
    Ok(Installation {
        org_id,
        admin_id,
        requester_ids,
    })
}

/// A group item per group, under the default policy (the manager or an approver).
async fn catalog(
    pool: &SqlitePool,
    installation: &Installation,
    groups: &[String],
) -> anyhow::Result<Vec<i64>> {
    let policy = serde_json::to_string(&app::requests::policy::Policy::default())?;
    let mut items = Vec::new();
    for group in groups {
        let id = sqlx::query_scalar(
            "INSERT INTO catalog_items (org_id, kind, name, jumpcloud_group_id, \
             allowed_durations, max_duration_minutes, policy, created_at) \
             VALUES ($1, 'group', $2, $3, '60,480,10080', 20160, $4, $5) RETURNING id",
        )
        .bind(installation.org_id)
        .bind(format!("Group {group}"))
        .bind(group)
        .bind(&policy)
        .bind(unix_now())
        .fetch_one(pool)
        .await?;
        items.push(id);
    }
    Ok(items)
}

/// `REQUESTS` requests as months of use leave them: 1% pending, 9% denied, expired or
/// cancelled, 20% active grants, 70% revoked after their week, with their decisions and
/// finished jobs. Returns how many are pending.
async fn seed_history(
    pool: &SqlitePool,
    installation: &Installation,
    items: &[i64],
    targets: &[Target],
) -> anyhow::Result<i64> {
    let now = unix_now();
    let mut tx = pool.begin().await?;
    // Lookup tables for the generating statement, on this connection only.
    sqlx::query("CREATE TEMP TABLE bench_items (n INTEGER PRIMARY KEY, id BIGINT)")
        .execute(&mut *tx)
        .await?;
    sqlx::query("CREATE TEMP TABLE bench_requesters (n INTEGER PRIMARY KEY, id BIGINT)")
        .execute(&mut *tx)
        .await?;
    sqlx::query("CREATE TEMP TABLE bench_targets (n INTEGER PRIMARY KEY, id TEXT, email TEXT)")
        .execute(&mut *tx)
        .await?;
    for (n, item) in items.iter().enumerate() {
        sqlx::query("INSERT INTO bench_items VALUES ($1, $2)")
            .bind(n as i64)
            .bind(item)
            .execute(&mut *tx)
            .await?;
    }
    for (n, requester) in installation.requester_ids.iter().enumerate() {
        sqlx::query("INSERT INTO bench_requesters VALUES ($1, $2)")
            .bind(n as i64)
            .bind(requester)
            .execute(&mut *tx)
            .await?;
    }
    for (n, target) in targets.iter().enumerate() {
        sqlx::query("INSERT INTO bench_targets VALUES ($1, $2, $3)")
            .bind(n as i64)
            .bind(&target.id)
            .bind(&target.email)
            .execute(&mut *tx)
            .await?;
    }
    let week = 7 * 86_400;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1), \
         shaped AS (SELECT i, \
           CASE WHEN i % $2 = 0 THEN 'pending' \
                WHEN i % 100 < 10 THEN (CASE i % 3 WHEN 0 THEN 'denied' WHEN 1 THEN 'expired' \
                                        ELSE 'cancelled' END) \
                WHEN i % 100 < 30 THEN 'active' ELSE 'revoked' END AS status, \
           $3 - ($1 - i) * 60 AS created FROM n) \
         INSERT INTO requests (org_id, item_id, requester_account_id, target_user_id, \
           target_email, justification, duration_minutes, status, step, created_at, expires_at, \
           decided_at, starts_at, ends_at) \
         SELECT $4, (SELECT id FROM bench_items WHERE n = i % $5), \
           (SELECT id FROM bench_requesters WHERE n = i % $6), t.id, t.email, \
           'Project work', 10080, status, 0, \
           CASE status WHEN 'pending' THEN $3 - 60 ELSE created END, \
           CASE status WHEN 'pending' THEN $3 + $7 ELSE created + $7 END, \
           CASE WHEN status IN ('pending', 'expired', 'cancelled') THEN NULL ELSE created + 3600 END, \
           CASE status WHEN 'active' THEN $3 - 86400 WHEN 'revoked' THEN created + 3600 END, \
           CASE status WHEN 'active' THEN $3 + 6 * 86400 WHEN 'revoked' THEN created + 3600 + $7 END \
         FROM shaped JOIN bench_targets t ON t.n = i % $8",
    )
    .bind(REQUESTS)
    .bind(PENDING_EVERY)
    .bind(now)
    .bind(installation.org_id)
    .bind(items.len() as i64)
    .bind(installation.requester_ids.len() as i64)
    .bind(week)
    .bind(targets.len() as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO decisions (request_id, approver_account_id, step, verdict, decided_at) \
         SELECT id, $1, 0, CASE status WHEN 'denied' THEN 'deny' ELSE 'approve' END, decided_at \
         FROM requests WHERE org_id = $2 AND status IN ('active', 'revoked', 'denied')",
    )
    .bind(installation.admin_id)
    .bind(installation.org_id)
    .execute(&mut *tx)
    .await?;
    for (kind, statuses) in [
        ("grant", "('active', 'revoked')"),
        ("revoke", "('revoked')"),
    ] {
        sqlx::query(&format!(
            "INSERT INTO jobs (org_id, request_id, kind, idempotency_key, status, attempts, \
             next_run_at, created_at, updated_at) \
             SELECT org_id, id, '{kind}', '{kind}:' || id, 'done', 1, decided_at, decided_at, \
             decided_at FROM requests WHERE org_id = $1 AND status IN {statuses}"
        ))
        .bind(installation.org_id)
        .execute(&mut *tx)
        .await?;
    }
    let pending = sqlx::query_scalar(
        "SELECT COUNT(*) FROM requests WHERE org_id = $1 AND status = 'pending'",
    )
    .bind(installation.org_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    // Statistics for the planner, as a long-running installation would have them.
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(pending)
}

struct InboxLoads {
    samples: Vec<Duration>,
    calls: usize,
    shown: usize,
    html_bytes: usize,
}

impl InboxLoads {
    fn describe(&self) -> String {
        format!(
            "p99 {}, median {} ({} loads; {} requests shown, {} KiB; {:.0} JumpCloud calls \
             per load)",
            ms(percentile(&self.samples, 0.99)),
            ms(percentile(&self.samples, 0.5)),
            self.samples.len(),
            self.shown,
            self.html_bytes / 1024,
            self.calls as f64 / self.samples.len().max(1) as f64
        )
    }
}

/// Loads the requests page as the approver, back to back, after one load that warms
/// the database's pages.
async fn inbox(browser: &Browser, proxy: &Proxy, path: &str) -> anyhow::Result<InboxLoads> {
    let html = browser.page(path).await?;
    let shown = html.matches(r#"value="approve:"#).count();
    if shown == 0 {
        bail!("the approver's inbox shows no request");
    }
    proxy.take();
    let started = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < INBOX_SAMPLES && started.elapsed() < INBOX_SAMPLING {
        let load = Instant::now();
        browser.page(path).await?;
        samples.push(load.elapsed());
    }
    Ok(InboxLoads {
        samples,
        calls: proxy.take().len(),
        shown,
        html_bytes: html.len(),
    })
}

/// The database reads of one inbox load for an admin (catalog, own requests, a page of
/// pending requests with their count, approvals and items, notifications), through the
/// app's own functions in the page's order.
async fn inbox_queries(db: &Db, installation: &Installation) -> anyhow::Result<Vec<Duration>> {
    use app::requests::store;
    let org = installation.org_id;
    let mut samples = Vec::with_capacity(INBOX_SAMPLES);
    for _ in 0..INBOX_SAMPLES {
        let started = Instant::now();
        store::items(db, org).await?;
        let mine = store::Filter {
            requester: Some(installation.admin_id),
            ..store::Filter::default()
        };
        store::list(db, org, &mine).await?;
        let pending = store::Filter {
            status: Some("pending"),
            not_requester: Some(installation.admin_id),
            ..store::Filter::default()
        };
        store::count(db, org, &pending).await?;
        let page = store::Filter {
            limit: Some(app::requests::INBOX_PAGE_SIZE as i64),
            ..pending
        };
        let listed = store::list(db, org, &page).await?;
        let ids: Vec<i64> = listed.iter().map(|request| request.id).collect();
        let stored = store::pending_with_approvals(db, org, &ids).await?;
        let mut items: Vec<i64> = stored.values().map(|(row, _)| row.item_id).collect();
        items.sort_unstable();
        items.dedup();
        for item in items {
            store::item(db, org, item).await?;
        }
        app::notifications::recent(db, org, installation.admin_id, 5).await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

struct WorkerRun {
    jobs: usize,
    jobs_per_second: f64,
    calls_per_job: f64,
    failed: i64,
}

impl WorkerRun {
    fn describe(&self) -> String {
        let failed = if self.failed > 0 {
            format!(", {} FAILED", self.failed)
        } else {
            String::new()
        };
        format!(
            "{:.1} jobs/s ({} jobs, {:.1} calls per job{failed})",
            self.jobs_per_second, self.jobs, self.calls_per_job
        )
    }
}

/// Queues one approved grant per target, as approvals do, and times the worker through
/// them. The rate is taken from a quarter of the jobs done to the last, past the start's
/// wake-up and the budget's initial burst.
async fn work_through(
    pool: &SqlitePool,
    proxy: &Proxy,
    installation: &Installation,
    item: i64,
    targets: &[Target],
) -> anyhow::Result<WorkerRun> {
    let now = unix_now();
    let mut tx = pool.begin().await?;
    let mut request_ids = Vec::with_capacity(targets.len());
    for (n, target) in targets.iter().enumerate() {
        let requester = installation.requester_ids[n % installation.requester_ids.len()];
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO requests (org_id, item_id, requester_account_id, target_user_id, \
             target_email, justification, duration_minutes, status, created_at, expires_at, \
             decided_at) VALUES ($1, $2, $3, $4, $5, 'Project work', 480, 'approved', $6, $7, $6) \
             RETURNING id",
        )
        .bind(installation.org_id)
        .bind(item)
        .bind(requester)
        .bind(&target.id)
        .bind(&target.email)
        .bind(now)
        .bind(now + 7 * 86_400)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO decisions (request_id, approver_account_id, step, verdict, decided_at) \
             VALUES ($1, $2, 0, 'approve', $3)",
        )
        .bind(id)
        .bind(installation.admin_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(app::requests::jobs::ENQUEUE)
            .bind(installation.org_id)
            .bind(id)
            .bind("grant")
            .bind(format!("grant:{id}"))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        request_ids.push(id);
    }
    let (first, last) = match (request_ids.first(), request_ids.last()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => bail!("no jobs to run"),
    };
    proxy.take();
    tx.commit().await?;

    let total = targets.len() as i64;
    let started = Instant::now();
    let mut progress: Vec<(Instant, i64)> = Vec::new();
    let failed = loop {
        let (done, failed): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(status = 'done'), 0), COALESCE(SUM(status = 'failed'), 0) \
             FROM jobs WHERE request_id BETWEEN $1 AND $2",
        )
        .bind(first)
        .bind(last)
        .fetch_one(pool)
        .await?;
        progress.push((Instant::now(), done));
        if done + failed >= total {
            break failed;
        }
        if started.elapsed() > Duration::from_secs(180) {
            bail!("the worker finished {done} of {total} jobs in 180 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let calls = proxy.take().len();
    let (quarter_at, quarter_done) = progress
        .iter()
        .find(|(_, done)| *done >= total / 4)
        .copied()
        .context("no progress recorded")?;
    let (end_at, end_done) = progress.last().copied().context("no progress recorded")?;
    let span = (end_at - quarter_at).as_secs_f64();
    Ok(WorkerRun {
        jobs: targets.len(),
        jobs_per_second: if span > 0.0 {
            (end_done - quarter_done) as f64 / span
        } else {
            f64::INFINITY
        },
        calls_per_job: calls as f64 / targets.len() as f64,
        failed,
    })
}
