//! Carries approved requests to JumpCloud and takes time-bound access away when it ends.
//!
//! Every job is safe to run twice: it reads JumpCloud first (is the user already a
//! member?), writes, then records. A worker that dies between JumpCloud's answer and the
//! commit leaves a job whose lease expires; the next claim finds the change already made
//! and only records it.

use jumpcloud::graph::GraphOp;

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;
use crate::requests::jobs::{self, ENQUEUE, Job};
use crate::requests::store::{self, RequestRow};
use crate::state::AppState;
use crate::tenants::{connections, orgs};

/// One pass: housekeeping, then at most one job. Returns whether a job was processed,
/// so callers can loop until the queue is drained.
pub async fn run_once(state: &AppState, owner: &str) -> Result<bool, AppError> {
    let now = state.clock.now();
    sweep(&state.db, now).await?;
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
        }
    }
    Ok(true)
}

/// Pending requests nobody answered in time expire; time-bound grants whose end has come
/// get a revoke job (one per request, whatever the number of instances sweeping).
async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET status = 'expired', version = version + 1 \
         WHERE status = 'pending' AND expires_at <= $1"
    )
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))?;
    let due: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, org_id FROM requests WHERE status = 'active' AND ends_at <= $1"
    )
    .bind(now)
    .fetch_all(pool)
    .await)?;
    for (request_id, org_id) in due {
        on_db!(db, |pool| {
            let mut tx = pool.begin_with(db.begin_write()).await?;
            let moved = sqlx::query(
                "UPDATE requests SET status = 'revoking', version = version + 1 \
                 WHERE id = $1 AND status = 'active'",
            )
            .bind(request_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved > 0 {
                sqlx::query(ENQUEUE)
                    .bind(org_id)
                    .bind(request_id)
                    .bind("revoke")
                    .bind(format!("revoke:{request_id}"))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<(), AppError>(())
        })?;
    }
    Ok(())
}

enum Failure {
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
    let group = item
        .jumpcloud_group_id
        .clone()
        .ok_or_else(|| Failure::Permanent("the catalog item names no group".into()))?;
    let jumpcloud = connections::org_client(state, &org).await?;
    let is_member = |memberships: &[jumpcloud::graph::GraphObjectWithPaths]| {
        memberships
            .iter()
            .any(|group_found| group_found.id == group)
    };
    let now = state.clock.now();
    match job.kind.as_str() {
        "grant" => {
            let memberships = jumpcloud
                .list_user_member_of(&request.target_user_id)
                .await?;
            if !is_member(&memberships) {
                match jumpcloud
                    .set_user_group_member(&group, GraphOp::Add, &request.target_user_id)
                    .await
                {
                    Ok(()) | Err(jumpcloud::Error::Conflict(_)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            finish_grant(&state.db, job, owner, &request, now).await?;
        }
        "revoke" => {
            match jumpcloud
                .set_user_group_member(&group, GraphOp::Remove, &request.target_user_id)
                .await
            {
                Ok(()) | Err(jumpcloud::Error::NotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
            // "Revoked" means JumpCloud says so.
            let memberships = jumpcloud
                .list_user_member_of(&request.target_user_id)
                .await?;
            if is_member(&memberships) {
                return Err(Failure::Transient(
                    "JumpCloud still lists the membership after removing it".into(),
                ));
            }
            finish(
                &state.db, job, owner, request.id, "revoking", "revoked", None,
            )
            .await?;
        }
        other => return Err(Failure::Permanent(format!("unknown job kind {other}"))),
    }
    Ok(())
}

/// The grant's clock starts now, when JumpCloud has the change.
async fn finish_grant(
    db: &Db,
    job: &Job,
    owner: &str,
    request: &RequestRow,
    now: i64,
) -> Result<(), AppError> {
    match request.duration_minutes {
        Some(minutes) => {
            finish(
                db,
                job,
                owner,
                request.id,
                "approved",
                "active",
                Some((now, now + minutes * 60)),
            )
            .await
        }
        None => finish(db, job, owner, request.id, "approved", "done", None).await,
    }
}

/// Marks the job done and moves its request on, in one transaction, only while this
/// worker still holds the lease.
async fn finish(
    db: &Db,
    job: &Job,
    owner: &str,
    request_id: i64,
    from: &str,
    to: &str,
    window: Option<(i64, i64)>,
) -> Result<(), AppError> {
    on_db!(db, |pool| {
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
            return Ok::<(), AppError>(());
        }
        sqlx::query(
            "UPDATE requests SET status = $1, starts_at = COALESCE($2, starts_at), \
             ends_at = COALESCE($3, ends_at), last_error = NULL, version = version + 1 \
             WHERE id = $4 AND status IN ($5, 'failed')",
        )
        .bind(to)
        .bind(window.map(|(start, _)| start))
        .bind(window.map(|(_, end)| end))
        .bind(request_id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    })
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

/// An admin's retry of a failed request: its job runs again with a fresh budget.
pub async fn retry(db: &Db, request: &RequestRow, now: i64) -> Result<(), AppError> {
    if request.status != "failed" {
        return Err(AppError::Conflict(
            "Only a failed request can be retried.".into(),
        ));
    }
    let revoking = request.ends_at.is_some_and(|end| end <= now) && request.starts_at.is_some();
    let back_to = if revoking { "revoking" } else { "approved" };
    if !jobs::requeue_failed(db, request.id, now).await? {
        return Err(AppError::Conflict(
            "There is no failed job to retry.".into(),
        ));
    }
    store::transition(db, request.id, "failed", back_to).await?;
    Ok(())
}
