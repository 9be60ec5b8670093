//! Work on many users (a bulk action, a CSV import) runs in the background, so a large
//! selection does not hold the browser's request open; the results page reads its
//! progress, refreshing itself until the run ends. The run and each outcome are written
//! to the database as they happen, so any instance can show the progress; each change is
//! also audited as it is made, so a run cut short by a restart leaves an exact record of
//! what was done.

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use super::handoff::stored;
use super::{RunProgress, UserOutcome};
use crate::error::AppError;
use crate::on_db;
use crate::state::AppState;

/// JumpCloud calls in flight at once: quick for large selections, gentle on its rate
/// limit (the client also paces itself).
pub const CONCURRENCY: usize = 4;

/// How long a run's results stay readable.
const KEPT_FOR_SECONDS: i64 = 86_400;

const KIND: &str = "run";

#[derive(Serialize, Deserialize)]
struct RunRecord {
    total: usize,
}

/// Starts `work` (one future per user, run [`CONCURRENCY`] at a time) in the
/// background for `account_id`; the token the results page reads its progress with.
pub async fn start<W>(
    state: &AppState,
    account_id: i64,
    total: usize,
    work: W,
) -> Result<String, AppError>
where
    W: Stream + Send + 'static,
    W::Item: Future<Output = UserOutcome> + Send,
{
    let expires_at = state.clock.now() + KEPT_FOR_SECONDS;
    let token = stored::leave(
        &state.db,
        account_id,
        KIND,
        &RunRecord { total },
        expires_at,
    )
    .await?;
    let db = state.db.clone();
    let run = token.clone();
    tokio::spawn(async move {
        work.buffer_unordered(CONCURRENCY)
            .for_each(|outcome| {
                let (db, run) = (db.clone(), run.clone());
                async move {
                    if let Err(error) = record(&db, &run, &outcome).await {
                        tracing::error!(%error, user = %outcome.user, "a run outcome was not stored");
                    }
                }
            })
            .await;
    });
    Ok(token)
}

async fn record(db: &crate::db::Db, token: &str, outcome: &UserOutcome) -> Result<(), AppError> {
    let json = serde_json::to_string(outcome).map_err(|_| AppError::Internal)?;
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO run_outcomes (token, outcome) VALUES ($1, $2)"
    )
    .bind(token)
    .bind(json)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// The progress of the run under `token`, if `account_id` started it.
pub async fn progress(
    state: &AppState,
    account_id: i64,
    token: &str,
) -> Result<Option<RunProgress>, AppError> {
    let now = state.clock.now();
    let Some(run) = stored::peek::<RunRecord>(&state.db, account_id, KIND, token, now).await?
    else {
        return Ok(None);
    };
    let db = &state.db;
    let rows: Vec<String> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT outcome FROM run_outcomes WHERE token = $1 ORDER BY id"
    )
    .bind(token)
    .fetch_all(pool)
    .await)?;
    let outcomes = rows
        .iter()
        .map(|json| serde_json::from_str(json).map_err(|_| AppError::Internal))
        .collect::<Result<Vec<UserOutcome>, AppError>>()?;
    Ok(Some(RunProgress {
        total: run.total,
        outcomes,
    }))
}
