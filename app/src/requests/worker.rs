//! Carries approved requests to JumpCloud and takes time-bound access away when it ends.
//!
//! Every job is safe to run twice: it reads JumpCloud first (is the user already a
//! member? does the joiner exist?), writes, then records. A worker that dies between
//! JumpCloud's answer and the commit leaves a job whose lease expires; the next claim
//! finds the change already made and only records it. The one write that cannot be read
//! back, a device command, is marked before it is sent (see `actions`).

use jumpcloud::OrgClient;
use jumpcloud::graph::{GraphObjectWithPaths, GraphOp};

use crate::audit;
use crate::db::Db;
use crate::error::AppError;
use crate::on_db;
use crate::requests::actions;
use crate::requests::items::ItemKind;
use crate::requests::jobs::{self, Job};
use crate::requests::store::{self, CatalogItem, RequestRow};
use crate::state::AppState;
use crate::tenants::{connections, orgs};
use crate::users::cache::Touched;

/// Takes and runs at most one due job. Returns whether there was one, so callers can
/// loop until the queue is drained.
pub async fn run_once(state: &AppState, owner: &str) -> Result<bool, AppError> {
    let now = state.clock.now();
    let Some(job) = jobs::claim(&state.db, owner, now).await? else {
        return Ok(false);
    };
    if let Err(error) = execute(state, &job, owner).await {
        let permanent = !matches!(&error, Failure::Transient(_));
        let message = error.message();
        tracing::warn!(job = job.id, kind = %job.kind, %message, permanent, "job failed");
        let failed = jobs::retry_later(&state.db, &job, owner, now, &message, permanent).await?;
        if failed && let Some(request_id) = job.request_id {
            record_failure(&state.db, request_id, &message).await?;
            executed(
                &state.db,
                job.org_id,
                request_id,
                "request.failed",
                &message,
                "failed",
            )
            .await?;
            let subject = format!(
                "Your request #{request_id} failed in JumpCloud ({message}); an admin can retry it."
            );
            crate::requests::notify::tell_requester(
                &state.db,
                request_id,
                "request.failed",
                &subject,
                now,
            )
            .await?;
        }
    }
    Ok(true)
}

/// The lease that makes one instance at a time the sweeper.
const SWEEP_LEASE: &str = "requests.sweep";

/// Housekeeping, on each wake of the worker of the instance holding the sweep lease
/// (another takes over within a lease period if it dies). Every statement is also
/// conditional, so even two sweeps at once would change each thing once. Pending
/// requests nobody answered in time expire; grants whose end has come get their revoke
/// job; grants ending soon remind their requester once; expired handoffs go.
pub async fn sweep(state: &AppState, owner: &str) -> Result<(), AppError> {
    let db = &state.db;
    let now = state.clock.now();
    if !crate::leases::acquire(db, SWEEP_LEASE, owner, now, jobs::LEASE_SECONDS).await? {
        return Ok(());
    }
    crate::users::handoff::stored::forget_expired(db, now).await?;
    on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET status = 'expired', version = version + 1 \
         WHERE status = 'pending' AND expires_at <= $1"
    )
    .bind(now)
    .execute(pool)
    .await
    .map(drop))?;
    let due: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, org_id FROM requests WHERE status = 'active' AND ends_at <= $1"
    )
    .bind(now)
    .fetch_all(pool)
    .await)?;
    for (request_id, org_id) in due {
        store::begin_revoke(db, request_id, org_id, now).await?;
    }
    remind_ending_grants(db, now).await
}

/// A grant reminds its requester a quarter of its length before it ends (at most a day
/// before), once per end: an extension moves the end and re-arms the reminder.
async fn remind_ending_grants(db: &Db, now: i64) -> Result<(), AppError> {
    let ending: Vec<(i64, i64, i64, i64, String, String)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT r.id, r.org_id, r.requester_account_id, r.ends_at, i.name, o.slug FROM requests r \
         JOIN catalog_items i ON i.id = r.item_id JOIN orgs o ON o.id = r.org_id \
         WHERE r.status = 'active' AND r.reminded_at IS NULL AND r.ends_at - $1 <= \
         CASE WHEN r.duration_minutes * 15 < 86400 THEN r.duration_minutes * 15 ELSE 86400 END"
    )
    .bind(now)
    .fetch_all(pool)
    .await
    })?;
    for (request_id, org_id, account_id, ends_at, item, slug) in ending {
        let subject = format!(
            "Your access \"{item}\" ends at {}; ask to extend it if you still need it.",
            crate::when::minute(ends_at)
        );
        crate::notifications::enqueue(
            db,
            crate::notifications::Notice {
                org_id,
                account_id,
                kind: "grant.ending",
                subject: &subject,
                link: &format!("/o/{slug}/requests"),
                dedupe_key: &format!("grant.ending:{request_id}:{ends_at}"),
            },
            now,
        )
        .await?;
        on_db!(db, |pool| sqlx::query(
            "UPDATE requests SET reminded_at = $1 WHERE id = $2 AND ends_at = $3"
        )
        .bind(now)
        .bind(request_id)
        .bind(ends_at)
        .execute(pool)
        .await
        .map(drop))?;
    }
    Ok(())
}

pub(crate) enum Failure {
    /// Worth another attempt later (JumpCloud busy, rate limit, network).
    Transient(String),
    /// Will fail the same way again until someone changes something.
    Permanent(String),
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::Transient(message) | Failure::Permanent(message) => message.clone(),
        }
    }
}

impl From<jumpcloud::Error> for Failure {
    fn from(error: jumpcloud::Error) -> Self {
        if error.is_transient() {
            Failure::Transient(error.to_string())
        } else {
            Failure::Permanent(error.to_string())
        }
    }
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure::Transient(error.to_string())
    }
}

async fn execute(state: &AppState, job: &Job, owner: &str) -> Result<(), Failure> {
    let request_id = job
        .request_id
        .ok_or_else(|| Failure::Permanent("job without a request".into()))?;
    let request = store::request_by_id(&state.db, request_id)
        .await?
        .ok_or_else(|| Failure::Permanent("the request was deleted".into()))?;
    let org = orgs::by_id(&state.db, job.org_id)
        .await?
        .ok_or_else(|| Failure::Permanent("the organization was removed".into()))?;
    let item = store::item(&state.db, org.id, request.item_id).await?;
    let jumpcloud = connections::org_client(state, &org).await?;
    let now = state.clock.now();
    match (job.kind.as_str(), item.kind()?) {
        ("grant", ItemKind::Group) => {
            let group = group_of(&item)?;
            let memberships = jumpcloud
                .list_user_member_of(&request.target_user_id)
                .await?;
            if !is_member(&memberships, group) {
                match jumpcloud
                    .set_user_group_member(group, GraphOp::Add, &request.target_user_id)
                    .await
                {
                    Ok(()) | Err(jumpcloud::Error::Conflict(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            crate::directory::ssr::directory_changed(
                state,
                org.id,
                Touched::User(request.target_user_id.clone()),
            )
            .await?;
            let summary = format!("added {} to group {group}", request.target_email);
            finish_grant(&state.db, job, owner, &request, &summary, now).await?;
        }
        ("grant", kind) => {
            let summary = actions::carry_out(state, &jumpcloud, &request, kind, now).await?;
            finish_job(&state.db, job, owner, &request, Finish::done(&summary)).await?;
        }
        ("revoke", _) => revoke(state, &jumpcloud, job, owner, &request, &item).await?,
        ("delete", ItemKind::Leaver) => {
            let summary = actions::delete_leaver(state, &jumpcloud, &request, now).await?;
            finish_job(&state.db, job, owner, &request, Finish::done(&summary)).await?;
        }
        (other, _) => return Err(Failure::Permanent(format!("unknown job kind {other}"))),
    }
    Ok(())
}

fn group_of(item: &CatalogItem) -> Result<&str, Failure> {
    item.jumpcloud_group_id
        .as_deref()
        .ok_or_else(|| Failure::Permanent("the catalog item names no group".into()))
}

fn is_member(memberships: &[GraphObjectWithPaths], group: &str) -> bool {
    memberships.iter().any(|found| found.id == group)
}

async fn revoke(
    state: &AppState,
    jumpcloud: &OrgClient,
    job: &Job,
    owner: &str,
    request: &RequestRow,
    item: &CatalogItem,
) -> Result<(), Failure> {
    let group = group_of(item)?;
    match jumpcloud
        .set_user_group_member(group, GraphOp::Remove, &request.target_user_id)
        .await
    {
        Ok(()) | Err(jumpcloud::Error::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    crate::directory::ssr::directory_changed(
        state,
        request.org_id,
        Touched::User(request.target_user_id.clone()),
    )
    .await?;
    // "Revoked" means JumpCloud says so.
    let memberships = jumpcloud
        .list_user_member_of(&request.target_user_id)
        .await?;
    if is_member(&memberships, group) {
        return Err(Failure::Transient(
            "JumpCloud still lists the membership after removing it".into(),
        ));
    }
    let summary = format!("removed {} from group {group}", request.target_email);
    let finish = Finish {
        from: "revoking",
        to: "revoked",
        window: None,
        outcome: &summary,
    };
    finish_job(&state.db, job, owner, request, finish).await?;
    Ok(())
}

/// The grant's clock starts now, when JumpCloud has the change.
async fn finish_grant(
    db: &Db,
    job: &Job,
    owner: &str,
    request: &RequestRow,
    summary: &str,
    now: i64,
) -> Result<(), AppError> {
    let finish = match request.duration_minutes {
        Some(minutes) => Finish {
            from: "approved",
            to: "active",
            window: Some((now, now + minutes * 60)),
            outcome: summary,
        },
        None => Finish::done(summary),
    };
    finish_job(db, job, owner, request, finish).await
}

/// How a finished job moves its request on.
struct Finish<'a> {
    from: &'a str,
    to: &'a str,
    /// When a time-bound grant starts and ends.
    window: Option<(i64, i64)>,
    /// What was done, for the request's history.
    outcome: &'a str,
}

impl<'a> Finish<'a> {
    /// An approved request whose work is done once and for all.
    fn done(outcome: &'a str) -> Self {
        Finish {
            from: "approved",
            to: "done",
            window: None,
            outcome,
        }
    }
}

/// Marks the job done and moves its request on, in one transaction, only while this
/// worker still holds the lease; then audits what was done.
async fn finish_job(
    db: &Db,
    job: &Job,
    owner: &str,
    request: &RequestRow,
    finish: Finish<'_>,
) -> Result<(), AppError> {
    let recorded = on_db!(db, |pool| {
        async {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let held = sqlx::query(
            "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(job.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if held == 0 {
            // Another worker reclaimed the job after our lease expired; it records it.
            return Ok::<bool, AppError>(false);
        }
        sqlx::query(
            "UPDATE requests SET status = $1, starts_at = COALESCE($2, starts_at), \
             ends_at = COALESCE($3, ends_at), last_error = NULL, outcome = $4, \
             version = version + 1 WHERE id = $5 AND status IN ($6, 'failed')",
        )
        .bind(finish.to)
        .bind(finish.window.map(|(start, _)| start))
        .bind(finish.window.map(|(_, end)| end))
        .bind(finish.outcome)
        .bind(request.id)
        .bind(finish.from)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await
    })?;
    if recorded {
        let action = match job.kind.as_str() {
            "revoke" => "request.revoked",
            "delete" => "request.user_deleted",
            _ => "request.executed",
        };
        executed(db, job.org_id, request.id, action, finish.outcome, "ok").await?;
    }
    Ok(())
}

/// The worker's own audit line: what it did in JumpCloud for a request.
async fn executed(
    db: &Db,
    org_id: i64,
    request_id: i64,
    action: &str,
    summary: &str,
    result: &str,
) -> Result<(), AppError> {
    audit::record(
        db,
        audit::Event {
            actor: "lanyard",
            org_id: Some(org_id),
            action,
            target: &format!("request {request_id}"),
            summary,
            result,
        },
    )
    .await
}

async fn record_failure(db: &Db, request_id: i64, message: &str) -> Result<(), AppError> {
    on_db!(db, |pool| {
        sqlx::query(
        "UPDATE requests SET status = 'failed', last_error = $1, version = version + 1 WHERE id = $2"
    )
    .bind(message)
    .bind(request_id)
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// Whether a failed request had already started its grant: then its failed job is the
/// revoke, and retrying means revoking again.
fn failed_while_revoking(request: &RequestRow) -> bool {
    request.starts_at.is_some()
}

/// An admin's retry of a failed request: its job runs again with a fresh budget. A
/// device command stopped mid-send is sent again: the admin has checked the device.
pub async fn retry(db: &Db, request: &RequestRow, now: i64) -> Result<(), AppError> {
    if request.status != "failed" {
        return Err(AppError::Conflict(
            "Only a failed request can be retried.".into(),
        ));
    }
    let back_to = if failed_while_revoking(request) {
        "revoking"
    } else {
        "approved"
    };
    // The details are settled before the job is queued: a worker may run it at once,
    // and must neither see the old mark nor have its own progress overwritten.
    let fresh = store::request_by_id(db, request.id)
        .await?
        .ok_or_else(|| AppError::NotFound("That request".into()))?;
    let mut details = fresh.details();
    details.sending_since = None;
    store::set_progress(db, request.id, &details, None).await?;
    // The request is back in its working state before its job can run, so whatever the
    // job records (done, failed again) is the last word.
    if !store::transition(db, request.id, "failed", back_to).await? {
        return Err(AppError::Conflict(
            "Only a failed request can be retried.".into(),
        ));
    }
    if !jobs::requeue_failed(db, request.id, now).await? {
        store::transition(db, request.id, back_to, "failed").await?;
        return Err(AppError::Conflict(
            "There is no failed job to retry.".into(),
        ));
    }
    Ok(())
}

/// An admin gives up on a failed request. A failed revoke cannot be cancelled: the
/// access it should remove would stay.
pub async fn cancel_failed(db: &Db, request: &RequestRow) -> Result<(), AppError> {
    if request.status != "failed" {
        return Err(AppError::Conflict(
            "Only a failed request can be cancelled here.".into(),
        ));
    }
    if failed_while_revoking(request) {
        return Err(AppError::Conflict(
            "This request failed while removing access; retry it until the access is gone.".into(),
        ));
    }
    jobs::cancel_failed(db, request.id).await?;
    store::transition(db, request.id, "failed", "cancelled").await?;
    Ok(())
}
