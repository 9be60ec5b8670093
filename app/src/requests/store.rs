//! Catalog items and requests in the database, and the decisions that move a request
//! through its states. The decision that approves a request and the job that carries it
//! out commit in one transaction.

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;
use crate::requests::jobs::ENQUEUE;
use crate::requests::policy::Policy;
use crate::requests::{CatalogItemView, RequestView, Verdict};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogItem {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub jumpcloud_group_id: Option<String>,
    pub allowed_durations: String,
    pub max_duration_minutes: i64,
    pub policy: String,
    pub pending_expiry_minutes: i64,
    pub enabled: bool,
}

impl CatalogItem {
    pub fn durations(&self) -> Vec<i64> {
        parse_durations(&self.allowed_durations)
    }

    pub fn policy(&self) -> Result<Policy, AppError> {
        Policy::parse(&self.policy).map_err(|error| {
            tracing::error!(item = self.id, %error, "stored policy does not parse");
            AppError::Internal
        })
    }

    pub fn view(&self) -> CatalogItemView {
        CatalogItemView {
            id: self.id,
            name: self.name.clone(),
            description: self.description.clone(),
            durations: self.durations(),
            max_duration_minutes: self.max_duration_minutes,
        }
    }
}

pub fn parse_durations(text: &str) -> Vec<i64> {
    text.split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

const ITEM: &str = "SELECT id, org_id, name, description, jumpcloud_group_id, allowed_durations, \
                    max_duration_minutes, policy, pending_expiry_minutes, enabled FROM catalog_items";

pub async fn item(db: &Db, org_id: i64, id: i64) -> Result<CatalogItem, AppError> {
    let sql = format!("{ITEM} WHERE id = $1 AND org_id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, CatalogItem>(&sql)
        .bind(id)
        .bind(org_id)
        .fetch_optional(pool)
        .await)?
    .ok_or_else(|| AppError::NotFound("That catalog item".into()))
}

pub async fn items(db: &Db, org_id: i64) -> Result<Vec<CatalogItem>, AppError> {
    let sql = format!("{ITEM} WHERE org_id = $1 AND enabled ORDER BY name");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, CatalogItem>(&sql)
        .bind(org_id)
        .fetch_all(pool)
        .await)?)
}

#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub jumpcloud_group_id: &'a str,
    pub durations: Vec<i64>,
    pub max_duration_minutes: i64,
    pub policy: Policy,
}

pub async fn create_item(
    db: &Db,
    org_id: i64,
    new: NewItem<'_>,
    now: i64,
) -> Result<i64, AppError> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(AppError::bad_request("A catalog item needs a name."));
    }
    if new.durations.is_empty() || new.durations.iter().any(|d| *d < 0) {
        return Err(AppError::bad_request(
            "List the durations that may be requested, in minutes (0 = permanent).",
        ));
    }
    new.policy.check().map_err(AppError::BadRequest)?;
    let durations = new
        .durations
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let policy = serde_json::to_string(&new.policy).map_err(|_| AppError::Internal)?;
    on_db!(db, |pool| sqlx::query_scalar(
        "INSERT INTO catalog_items (org_id, kind, name, description, jumpcloud_group_id, \
         allowed_durations, max_duration_minutes, policy, created_at) \
         VALUES ($1, 'group', $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(org_id)
    .bind(name)
    .bind(new.description.trim())
    .bind(new.jumpcloud_group_id)
    .bind(durations)
    .bind(new.max_duration_minutes)
    .bind(policy)
    .bind(now)
    .fetch_one(pool)
    .await)
    .map_err(|error| match AppError::from(error) {
        AppError::Conflict(_) => {
            AppError::Conflict(format!("A catalog item named {name:?} exists."))
        }
        other => other,
    })
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: i64,
    pub org_id: i64,
    pub item_id: i64,
    pub requester_account_id: i64,
    pub target_user_id: String,
    pub target_email: String,
    pub justification: String,
    pub duration_minutes: Option<i64>,
    pub status: String,
    pub step: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub last_error: Option<String>,
}

const REQUEST: &str = "SELECT id, org_id, item_id, requester_account_id, target_user_id, target_email, \
                       justification, duration_minutes, status, step, created_at, expires_at, \
                       starts_at, ends_at, last_error FROM requests";

pub async fn request(db: &Db, org_id: i64, id: i64) -> Result<RequestRow, AppError> {
    let sql = format!("{REQUEST} WHERE id = $1 AND org_id = $2");
    on_db!(db, |pool| sqlx::query_as::<_, RequestRow>(&sql)
        .bind(id)
        .bind(org_id)
        .fetch_optional(pool)
        .await)?
    .ok_or_else(|| AppError::NotFound("That request".into()))
}

pub async fn request_by_id(db: &Db, id: i64) -> Result<Option<RequestRow>, AppError> {
    let sql = format!("{REQUEST} WHERE id = $1");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, RequestRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

/// Requests of an organization, newest first; `requester` narrows to one account's.
pub async fn list(
    db: &Db,
    org_id: i64,
    requester: Option<i64>,
    status: Option<&str>,
) -> Result<Vec<RequestView>, AppError> {
    let sql = "SELECT r.id, r.status, r.justification, r.duration_minutes, r.target_email, \
               r.created_at, r.ends_at, r.last_error, i.name, a.email FROM requests r \
               JOIN catalog_items i ON i.id = r.item_id JOIN accounts a ON a.id = r.requester_account_id \
               WHERE r.org_id = $1 AND ($2 IS NULL OR r.requester_account_id = $2) \
               AND ($3 IS NULL OR r.status = $3) ORDER BY r.id DESC LIMIT 500";
    type Row = (
        i64,
        String,
        String,
        Option<i64>,
        String,
        i64,
        Option<i64>,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(org_id)
        .bind(requester)
        .bind(status)
        .fetch_all(pool)
        .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                status,
                justification,
                duration_minutes,
                target_email,
                created_at,
                ends_at,
                last_error,
                item,
                requester,
            )| RequestView {
                id,
                status,
                justification,
                duration_minutes,
                target_email,
                created_at,
                ends_at,
                last_error,
                item,
                requester,
            },
        )
        .collect())
}

pub struct NewRequest<'a> {
    pub org_id: i64,
    pub item: &'a CatalogItem,
    pub requester_account_id: i64,
    pub target_user_id: &'a str,
    pub target_email: &'a str,
    pub justification: &'a str,
    pub duration_minutes: Option<i64>,
    /// The auto-approve rule that matched, if any.
    pub auto_rule: Option<&'a str>,
}

/// Stores a new request; one approved by a rule gets its decision and its job at once.
pub async fn insert(db: &Db, new: NewRequest<'_>, now: i64) -> Result<i64, AppError> {
    let expires_at = now + new.item.pending_expiry_minutes * 60;
    let status = if new.auto_rule.is_some() {
        "approved"
    } else {
        "pending"
    };
    on_db!(db, |pool| {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO requests (org_id, item_id, requester_account_id, target_user_id, target_email, \
             justification, duration_minutes, status, created_at, expires_at, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.org_id)
        .bind(new.item.id)
        .bind(new.requester_account_id)
        .bind(new.target_user_id)
        .bind(new.target_email)
        .bind(new.justification)
        .bind(new.duration_minutes)
        .bind(status)
        .bind(now)
        .bind(expires_at)
        .bind(new.auto_rule.map(|_| now))
        .fetch_one(&mut *tx)
        .await?;
        if let Some(rule) = new.auto_rule {
            sqlx::query(
                "INSERT INTO decisions (request_id, approver_account_id, step, verdict, comment, decided_at) \
                 VALUES ($1, NULL, 0, 'approve', $2, $3)",
            )
            .bind(id)
            .bind(format!("approved by policy rule {rule:?}"))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(ENQUEUE)
                .bind(new.org_id)
                .bind(id)
                .bind("grant")
                .bind(format!("grant:{id}"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<i64, AppError>(id)
    })
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Denied,
    /// Counted; the step needs more approvals.
    Recorded,
    /// The step is satisfied and the next one begins.
    NextStep,
    /// Fully approved: the job is queued.
    Approved,
}

/// Records one decision on a pending request at its current step. Taking the request's
/// row first (a write) serializes concurrent deciders on both backends: the loser finds
/// the request no longer pending and is told who decided.
pub async fn decide(
    db: &Db,
    request: &RequestRow,
    policy: &Policy,
    approver_account_id: i64,
    verdict: Verdict,
    comment: &str,
    now: i64,
) -> Result<Outcome, AppError> {
    let step = request.step;
    let result = on_db!(db, |pool| {
        async {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let taken = sqlx::query(
            "UPDATE requests SET version = version + 1 WHERE id = $1 AND status = 'pending' AND step = $2",
        )
        .bind(request.id)
        .bind(step)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            return Ok::<Option<Outcome>, AppError>(None);
        }
        let inserted = sqlx::query(
            "INSERT INTO decisions (request_id, approver_account_id, step, verdict, comment, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(request.id)
        .bind(approver_account_id)
        .bind(step)
        .bind(verdict.as_str())
        .bind(comment)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(AppError::Conflict("You have already decided this step.".into()));
        }
        let outcome = match verdict {
            Verdict::Deny => {
                sqlx::query("UPDATE requests SET status = 'denied', decided_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(request.id)
                    .execute(&mut *tx)
                    .await?;
                Outcome::Denied
            }
            Verdict::Approve => {
                let approvals: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM decisions WHERE request_id = $1 AND step = $2 AND verdict = 'approve'",
                )
                .bind(request.id)
                .bind(step)
                .fetch_one(&mut *tx)
                .await?;
                let step_index = usize::try_from(step).unwrap_or(usize::MAX);
                if approvals < i64::from(policy.required(step_index)) {
                    Outcome::Recorded
                } else if !policy.is_last_step(step_index) {
                    sqlx::query("UPDATE requests SET step = step + 1 WHERE id = $1")
                        .bind(request.id)
                        .execute(&mut *tx)
                        .await?;
                    Outcome::NextStep
                } else {
                    sqlx::query("UPDATE requests SET status = 'approved', decided_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(request.id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(ENQUEUE)
                        .bind(request.org_id)
                        .bind(request.id)
                        .bind("grant")
                        .bind(format!("grant:{}", request.id))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    Outcome::Approved
                }
            }
        };
        tx.commit().await?;
        Ok(Some(outcome))
    }
    .await
    })?;
    match result {
        Some(outcome) => Ok(outcome),
        None => Err(already_decided(db, request.id).await?),
    }
}

/// "Already decided by X": for a decision that came too late.
async fn already_decided(db: &Db, request_id: i64) -> Result<AppError, AppError> {
    let last: Option<(Option<String>, String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT a.email, d.verdict, r.status FROM requests r \
         LEFT JOIN decisions d ON d.request_id = r.id \
         LEFT JOIN accounts a ON a.id = d.approver_account_id \
         WHERE r.id = $1 ORDER BY d.id DESC LIMIT 1"
    )
    .bind(request_id)
    .fetch_optional(pool)
    .await)?;
    Ok(AppError::Conflict(match last {
        Some((Some(email), verdict, status)) => {
            format!("This request was already decided by {email} ({verdict}); it is now {status}.")
        }
        Some((None, _, status)) => format!("This request is no longer pending; it is {status}."),
        None => "This request is no longer pending.".into(),
    }))
}

/// The requester withdraws a pending request.
pub async fn cancel(db: &Db, request: &RequestRow, now: i64) -> Result<(), AppError> {
    let cancelled = on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET status = 'cancelled', decided_at = $1, version = version + 1 \
         WHERE id = $2 AND status = 'pending'"
    )
    .bind(now)
    .bind(request.id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if cancelled == 0 {
        return Err(AppError::Conflict(
            "Only a pending request can be cancelled.".into(),
        ));
    }
    Ok(())
}

/// Moves a request from one status to another, if it is still in the first; returns
/// whether it moved.
pub async fn transition(db: &Db, id: i64, from: &str, to: &str) -> Result<bool, AppError> {
    Ok(on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET status = $1, version = version + 1 WHERE id = $2 AND status = $3"
    )
    .bind(to)
    .bind(id)
    .bind(from)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() > 0))?)
}
