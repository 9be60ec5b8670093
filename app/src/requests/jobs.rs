//! The job queue: approved work waiting to be carried to JumpCloud. A job is claimed
//! with a lease; a worker that dies mid-job loses its lease and another claims the job
//! again. Jobs are keyed by an idempotency key, so enqueueing twice queues once.

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub org_id: i64,
    pub request_id: Option<i64>,
    pub kind: String,
    pub attempts: i64,
}

/// How long a claimed job stays reserved for its worker.
pub const LEASE_SECONDS: i64 = 60;
/// Attempts before a job with transient failures is given up as failed.
pub const MAX_ATTEMPTS: i64 = 5;

pub const ENQUEUE: &str = "INSERT INTO jobs (org_id, request_id, kind, idempotency_key, status, \
                           next_run_at, created_at, updated_at) \
                           VALUES ($1, $2, $3, $4, 'queued', $5, $5, $5) \
                           ON CONFLICT (idempotency_key) DO NOTHING";

/// Queues a leaver's account deletion for `due`, once per request.
pub async fn enqueue_deletion(
    db: &Db,
    org_id: i64,
    request_id: i64,
    due: i64,
    now: i64,
) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO jobs (org_id, request_id, kind, idempotency_key, status, next_run_at, \
         created_at, updated_at) VALUES ($1, $2, 'delete', $3, 'queued', $4, $5, $5) \
         ON CONFLICT (idempotency_key) DO NOTHING"
    )
    .bind(org_id)
    .bind(request_id)
    .bind(format!("delete:{request_id}"))
    .bind(due)
    .bind(now)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Cancels a leaver's deletion that has not run yet; whether there was one.
pub async fn cancel_deletion(db: &Db, request_id: i64, now: i64) -> Result<bool, AppError> {
    Ok(on_db!(db, |pool| sqlx::query(
        "UPDATE jobs SET status = 'cancelled', updated_at = $1 WHERE request_id = $2 \
         AND kind = 'delete' AND status IN ('queued', 'failed')"
    )
    .bind(now)
    .bind(request_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() > 0))?)
}

/// Claims the next due job, or a running one whose lease expired. On Postgres, rows
/// another instance is claiming are skipped rather than waited for; SQLite has a single
/// writer, so the statement is atomic there as it stands.
pub async fn claim(db: &Db, owner: &str, now: i64) -> Result<Option<Job>, AppError> {
    let candidates = "SELECT id FROM jobs WHERE (status = 'queued' AND next_run_at <= $3) \
                      OR (status = 'running' AND lease_expires_at < $3) \
                      ORDER BY next_run_at, id LIMIT 1";
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', lease_owner = $1, lease_expires_at = $2, \
         attempts = attempts + 1, updated_at = $3 WHERE id = ({candidates}{lock}) \
         RETURNING id, org_id, request_id, kind, attempts"
    );
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Job>(&sql)
        .bind(owner)
        .bind(now + LEASE_SECONDS)
        .bind(now)
        .fetch_optional(pool)
        .await)?)
}

/// Puts a job back for a later attempt, or gives it up as failed after the limit.
/// Returns whether it failed for good.
pub async fn retry_later(
    db: &Db,
    job: &Job,
    owner: &str,
    now: i64,
    error: &str,
    permanent: bool,
) -> Result<bool, AppError> {
    let failed = permanent || job.attempts >= MAX_ATTEMPTS;
    let backoff = 5 * 2_i64.pow(job.attempts.clamp(0, 10) as u32);
    on_db!(db, |pool| sqlx::query(
        "UPDATE jobs SET status = $1, next_run_at = $2, last_error = $3, lease_owner = NULL, \
         lease_expires_at = NULL, updated_at = $4 WHERE id = $5 AND lease_owner = $6"
    )
    .bind(if failed { "failed" } else { "queued" })
    .bind(now + backoff)
    .bind(error)
    .bind(now)
    .bind(job.id)
    .bind(owner)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(failed)
}

/// Requeues a failed job now, with a fresh attempt budget (an admin's "retry").
pub async fn requeue_failed(db: &Db, request_id: i64, now: i64) -> Result<bool, AppError> {
    let updated = on_db!(db, |pool| sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = 0, next_run_at = $1, last_error = NULL, \
         updated_at = $1 WHERE request_id = $2 AND status = 'failed'"
    )
    .bind(now)
    .bind(request_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(updated > 0)
}

/// Gives up a failed job (an admin's "cancel").
pub async fn cancel_failed(db: &Db, request_id: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE jobs SET status = 'cancelled' WHERE request_id = $1 \
         AND status = 'failed'"
    )
    .bind(request_id)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// A request's jobs, oldest first, for its history.
pub async fn for_request(db: &Db, request_id: i64) -> Result<Vec<JobLine>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as::<_, JobLine>(
        "SELECT kind, status, attempts, last_error, created_at, updated_at FROM jobs \
         WHERE request_id = $1 ORDER BY id"
    )
    .bind(request_id)
    .fetch_all(pool)
    .await)?)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobLine {
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
