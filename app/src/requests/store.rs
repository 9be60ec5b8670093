//! Catalog items and requests in the database, and the decisions that move a request
//! through its states. The decision that approves a request and the job that carries it
//! out commit in one transaction.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;
use crate::requests::items::{Details, Eligibility, ItemKind};
use crate::requests::jobs::ENQUEUE;
use crate::requests::policy::Policy;
use crate::requests::{CatalogItemView, RequestView, Verdict};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CatalogItem {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub jumpcloud_group_id: Option<String>,
    pub allowed_durations: String,
    pub max_duration_minutes: i64,
    pub policy: String,
    pub pending_expiry_minutes: i64,
    pub enabled: bool,
    pub eligibility: String,
    pub owners: String,
}

impl CatalogItem {
    pub fn kind(&self) -> Result<ItemKind, AppError> {
        ItemKind::parse(&self.kind)
    }

    pub fn durations(&self) -> Vec<i64> {
        parse_durations(&self.allowed_durations)
    }

    pub fn policy(&self) -> Result<Policy, AppError> {
        Policy::parse(&self.policy).map_err(|error| {
            tracing::error!(item = self.id, %error, "stored policy does not parse");
            AppError::Internal
        })
    }

    pub fn eligibility(&self) -> Eligibility {
        serde_json::from_str(&self.eligibility).unwrap_or_else(|error| {
            tracing::error!(item = self.id, %error, "stored eligibility does not parse");
            // Unreadable rules admit nobody rather than everybody.
            Eligibility {
                departments: vec![String::new()],
                groups: Vec::new(),
            }
        })
    }

    pub fn owners(&self) -> Vec<String> {
        split_list(&self.owners)
    }

    pub fn view(&self) -> CatalogItemView {
        CatalogItemView {
            id: self.id,
            kind: self.kind().unwrap_or(ItemKind::Group),
            name: self.name.clone(),
            description: self.description.clone(),
            durations: self.durations(),
            max_duration_minutes: self.max_duration_minutes,
            eligibility: self.eligibility(),
            owners: self.owners(),
            pending_expiry_minutes: self.pending_expiry_minutes,
        }
    }
}

/// "a, b ,, c" → ["a", "b", "c"].
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn parse_durations(text: &str) -> Vec<i64> {
    split_list(text)
        .iter()
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// The durations an admin typed: every entry must be a whole number of minutes.
pub fn checked_durations(text: &str) -> Result<Vec<i64>, AppError> {
    split_list(text)
        .iter()
        .map(|part| {
            part.parse::<i64>().map_err(|_| {
                AppError::bad_request(format!(
                    "{part:?} is not a number of minutes; list durations like 60, 480, 0."
                ))
            })
        })
        .collect()
}

const ITEM: &str = "SELECT id, org_id, kind, name, description, jumpcloud_group_id, allowed_durations, \
                    max_duration_minutes, policy, pending_expiry_minutes, enabled, eligibility, owners \
                    FROM catalog_items";

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
    pub kind: ItemKind,
    pub name: &'a str,
    pub description: &'a str,
    pub jumpcloud_group_id: Option<&'a str>,
    pub durations: Vec<i64>,
    pub max_duration_minutes: i64,
    pub policy: Policy,
    pub pending_expiry_minutes: i64,
    pub eligibility: Eligibility,
    pub owners: Vec<String>,
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
    if new.pending_expiry_minutes <= 0 {
        return Err(AppError::bad_request(
            "Unanswered requests must expire after at least a minute.",
        ));
    }
    let policy = serde_json::to_string(&new.policy).map_err(|_| AppError::Internal)?;
    let eligibility = serde_json::to_string(&new.eligibility).map_err(|_| AppError::Internal)?;
    on_db!(db, |pool| sqlx::query_scalar(
        "INSERT INTO catalog_items (org_id, kind, name, description, jumpcloud_group_id, \
         allowed_durations, max_duration_minutes, policy, created_at, pending_expiry_minutes, \
         eligibility, owners) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id"
    )
    .bind(org_id)
    .bind(new.kind.as_str())
    .bind(name)
    .bind(new.description.trim())
    .bind(new.jumpcloud_group_id)
    .bind(durations)
    .bind(new.max_duration_minutes)
    .bind(policy)
    .bind(now)
    .bind(new.pending_expiry_minutes)
    .bind(eligibility)
    .bind(new.owners.join(","))
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
    pub decided_at: Option<i64>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub last_error: Option<String>,
    pub details: String,
    pub extends_request_id: Option<i64>,
    pub outcome: Option<String>,
}

impl RequestRow {
    pub fn details(&self) -> Details {
        Details::parse(&self.details)
    }

    /// The directory user whose JumpCloud manager may approve: the target, or for a
    /// request without one (a joiner, a device), the requester's own directory user.
    pub fn manager_of(&self) -> Option<String> {
        self.details()
            .manager_of
            .or_else(|| Some(self.target_user_id.clone()))
            .filter(|id| !id.is_empty())
    }
}

/// What a request acts on (a device, a joiner's email, else the target user), to refuse
/// a second open request for the same thing.
pub fn subject_of(details: &Details, target_user_id: &str) -> String {
    details
        .system_id
        .clone()
        .or(details.joiner.as_ref().map(|joiner| joiner.email.clone()))
        .unwrap_or_else(|| target_user_id.to_string())
}

const REQUEST: &str = "SELECT id, org_id, item_id, requester_account_id, target_user_id, target_email, \
                       justification, duration_minutes, status, step, created_at, expires_at, \
                       decided_at, starts_at, ends_at, last_error, details, extends_request_id, \
                       outcome FROM requests";

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

/// Statuses in which a request still holds or will hold its subject.
const OPEN: &str = "('pending', 'approved', 'executing', 'active', 'revoking', 'failed')";

/// An open request of this item for the same subject, which a new one would repeat.
pub async fn open_duplicate(
    db: &Db,
    org_id: i64,
    item_id: i64,
    subject: &str,
) -> Result<Option<RequestRow>, AppError> {
    let sql = format!(
        "{REQUEST} WHERE org_id = $1 AND item_id = $2 AND extends_request_id IS NULL \
         AND status IN {OPEN}"
    );
    let open: Vec<RequestRow> = on_db!(db, |pool| sqlx::query_as::<_, RequestRow>(&sql)
        .bind(org_id)
        .bind(item_id)
        .fetch_all(pool)
        .await)?;
    Ok(open
        .into_iter()
        .find(|row| subject_of(&row.details(), &row.target_user_id) == subject))
}

/// Which requests a list shows; `None` leaves a filter off.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub requester: Option<i64>,
    /// Everyone's but this account's (an approver's inbox).
    pub not_requester: Option<i64>,
    pub status: Option<&'a str>,
    pub item_id: Option<i64>,
    /// Part of the requester's or the target's email.
    pub text: Option<&'a str>,
    /// Active grants ending before this time.
    pub active_ending_before: Option<i64>,
    pub extends: Option<i64>,
    pub id: Option<i64>,
    /// A page of the list: how many to pass over, and at most how many to list
    /// (`None`: [`LIST_LIMIT`]).
    pub skip: i64,
    pub limit: Option<i64>,
}

/// The most requests one list shows.
pub const LIST_LIMIT: i64 = 500;

/// A value bound to a filter's condition.
enum Bound {
    Int(i64),
    Text(String),
}

/// The filter's conditions, only those set, so the planner sees plain equalities it can
/// answer from the indexes (100,000 requests: the inbox reads 50 rows, not the org's).
fn conditions(org_id: i64, filter: &Filter<'_>) -> (String, Vec<Bound>) {
    let mut sql = String::from("r.org_id = $1");
    let mut bound = vec![Bound::Int(org_id)];
    let mut and = |condition: &str, value: Bound| {
        bound.push(value);
        sql.push_str(" AND ");
        sql.push_str(&condition.replace('?', &format!("${}", bound.len())));
    };
    if let Some(requester) = filter.requester {
        and("r.requester_account_id = ?", Bound::Int(requester));
    }
    if let Some(account) = filter.not_requester {
        and("r.requester_account_id <> ?", Bound::Int(account));
    }
    if let Some(status) = filter.status {
        and("r.status = ?", Bound::Text(status.into()));
    }
    if let Some(item) = filter.item_id {
        and("r.item_id = ?", Bound::Int(item));
    }
    if let Some(text) = filter.text.map(str::trim).filter(|text| !text.is_empty()) {
        and(
            "(LOWER(a.email) LIKE ? OR LOWER(r.target_email) LIKE ?)",
            Bound::Text(format!("%{}%", text.to_lowercase())),
        );
    }
    if let Some(before) = filter.active_ending_before {
        and("r.status = 'active' AND r.ends_at <= ?", Bound::Int(before));
    }
    if let Some(grant) = filter.extends {
        and("r.extends_request_id = ?", Bound::Int(grant));
    }
    if let Some(id) = filter.id {
        and("r.id = ?", Bound::Int(id));
    }
    (sql, bound)
}

/// Binds a filter's values to a query, in order.
macro_rules! bind_all {
    ($query:expr, $bound:expr) => {{
        let mut query = $query;
        for value in $bound {
            query = match value {
                Bound::Int(value) => query.bind(*value),
                Bound::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }};
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    id: i64,
    status: String,
    justification: String,
    duration_minutes: Option<i64>,
    target_email: String,
    created_at: i64,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    last_error: Option<String>,
    outcome: Option<String>,
    details: String,
    extends_request_id: Option<i64>,
    reminded_at: Option<i64>,
    item_name: String,
    item_kind: String,
    requester_email: String,
}

impl ListedRow {
    fn view(self) -> RequestView {
        let details = Details::parse(&self.details);
        let plan = details.plan();
        RequestView {
            id: self.id,
            item: self.item_name,
            kind: ItemKind::parse(&self.item_kind).unwrap_or(ItemKind::Group),
            requester: self.requester_email,
            target: details.hostname.unwrap_or(self.target_email),
            justification: self.justification,
            duration_minutes: self.duration_minutes,
            status: self.status,
            created_at: self.created_at,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            last_error: self.last_error,
            outcome: self.outcome,
            extends: self.extends_request_id,
            reminded: self.reminded_at.is_some(),
            plan,
            steps: details.steps,
        }
    }
}

/// Requests of an organization, newest first (active grants: soonest end first).
pub async fn list(db: &Db, org_id: i64, filter: &Filter<'_>) -> Result<Vec<RequestView>, AppError> {
    let order = if filter.active_ending_before.is_some() {
        "r.ends_at, r.id"
    } else {
        "r.id DESC"
    };
    let (conditions, bound) = conditions(org_id, filter);
    let limit = filter.limit.unwrap_or(LIST_LIMIT).clamp(0, LIST_LIMIT);
    let sql = format!(
        "SELECT r.id, r.status, r.justification, r.duration_minutes, r.target_email, \
         r.created_at, r.starts_at, r.ends_at, r.last_error, r.outcome, r.details, \
         r.extends_request_id, r.reminded_at, i.name AS item_name, i.kind AS item_kind, \
         a.email AS requester_email FROM requests r \
         JOIN catalog_items i ON i.id = r.item_id JOIN accounts a ON a.id = r.requester_account_id \
         WHERE {conditions} ORDER BY {order} LIMIT {limit} OFFSET {}",
        filter.skip.max(0)
    );
    let rows: Vec<ListedRow> = on_db!(db, |pool| bind_all!(
        sqlx::query_as::<_, ListedRow>(&sql),
        &bound
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(ListedRow::view).collect())
}

/// How many requests match `filter` (its page aside).
pub async fn count(db: &Db, org_id: i64, filter: &Filter<'_>) -> Result<i64, AppError> {
    let (conditions, bound) = conditions(org_id, filter);
    let sql = format!(
        "SELECT COUNT(*) FROM requests r JOIN accounts a ON a.id = r.requester_account_id \
         WHERE {conditions}"
    );
    Ok(on_db!(db, |pool| bind_all!(
        sqlx::query_scalar::<_, i64>(&sql),
        &bound
    )
    .fetch_one(pool)
    .await)?)
}

pub struct NewRequest<'a> {
    pub org_id: i64,
    pub item: &'a CatalogItem,
    pub requester_account_id: i64,
    pub target_user_id: &'a str,
    pub target_email: &'a str,
    pub justification: &'a str,
    pub duration_minutes: Option<i64>,
    pub details: &'a Details,
    /// The active grant an extension lengthens.
    pub extends_request_id: Option<i64>,
    /// The auto-approve rule that matched, if any.
    pub auto_rule: Option<&'a str>,
}

/// What an approval sets going, inside the approving transaction: an extension moves
/// its grant's end at once (capped at the item's longest grant from now; no JumpCloud
/// call needed), anything else queues its job.
struct ApprovedWork {
    request_id: i64,
    org_id: i64,
    extends: Option<i64>,
    duration_minutes: Option<i64>,
    max_duration_minutes: i64,
}

macro_rules! start_approved_work {
    ($tx:expr, $work:expr, $now:expr) => {{
        let work: &ApprovedWork = $work;
        match work.extends {
            Some(grant) => {
                let latest_end = $now + work.max_duration_minutes * 60;
                let moved = sqlx::query(
                    "UPDATE requests SET ends_at = CASE WHEN ends_at + $1 > $2 THEN $2 \
                     ELSE ends_at + $1 END, reminded_at = NULL, version = version + 1 \
                     WHERE id = $3 AND status = 'active'",
                )
                .bind(work.duration_minutes.unwrap_or(0) * 60)
                .bind(latest_end)
                .bind(grant)
                .execute(&mut *$tx)
                .await?
                .rows_affected();
                let (status, outcome, error) = if moved > 0 {
                    ("done", Some(format!("extended request #{grant}")), None)
                } else {
                    ("expired", None, Some("the access had already ended"))
                };
                sqlx::query(
                    "UPDATE requests SET status = $1, outcome = $2, last_error = $3, \
                     decided_at = $4, version = version + 1 WHERE id = $5",
                )
                .bind(status)
                .bind(outcome)
                .bind(error)
                .bind($now)
                .bind(work.request_id)
                .execute(&mut *$tx)
                .await?;
            }
            None => {
                sqlx::query(ENQUEUE)
                    .bind(work.org_id)
                    .bind(work.request_id)
                    .bind("grant")
                    .bind(format!("grant:{}", work.request_id))
                    .bind($now)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}

/// Stores a new request; one approved by a rule gets its decision and its work at once.
pub async fn insert(db: &Db, new: NewRequest<'_>, now: i64) -> Result<i64, AppError> {
    let expires_at = now + new.item.pending_expiry_minutes * 60;
    let status = if new.auto_rule.is_some() {
        "approved"
    } else {
        "pending"
    };
    let details = new.details.to_json();
    on_db!(db, |pool| {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO requests (org_id, item_id, requester_account_id, target_user_id, target_email, \
             justification, duration_minutes, status, created_at, expires_at, decided_at, details, \
             extends_request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
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
        .bind(&details)
        .bind(new.extends_request_id)
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
            let work = ApprovedWork {
                request_id: id,
                org_id: new.org_id,
                extends: new.extends_request_id,
                duration_minutes: new.duration_minutes,
                max_duration_minutes: new.item.max_duration_minutes,
            };
            start_approved_work!(tx, &work, now);
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
    /// Fully approved: the job is queued (or the extension applied).
    Approved,
}

impl Outcome {
    /// What the decider is told.
    pub fn describe(self, request_id: i64) -> String {
        match self {
            Outcome::Denied => format!("Request #{request_id} is denied."),
            Outcome::Recorded => {
                format!("Your approval of request #{request_id} is counted; it needs more.")
            }
            Outcome::NextStep => {
                format!("Request #{request_id} moves on to its next approval step.")
            }
            Outcome::Approved => {
                format!("Request #{request_id} is approved and is being carried out.")
            }
        }
    }
}

/// One person's decision on one request.
pub struct Decision<'a> {
    pub approver_account_id: i64,
    pub verdict: Verdict,
    pub comment: &'a str,
}

/// Records one decision on a pending request at its current step. Taking the request's
/// row first (a write) serializes concurrent deciders on both backends: the loser finds
/// the request no longer pending and is told who decided.
pub async fn decide(
    db: &Db,
    request: &RequestRow,
    item: &CatalogItem,
    policy: &Policy,
    decision: &Decision<'_>,
    now: i64,
) -> Result<Outcome, AppError> {
    let step = request.step;
    let work = ApprovedWork {
        request_id: request.id,
        org_id: request.org_id,
        extends: request.extends_request_id,
        duration_minutes: request.duration_minutes,
        max_duration_minutes: item.max_duration_minutes,
    };
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
        .bind(decision.approver_account_id)
        .bind(step)
        .bind(decision.verdict.as_str())
        .bind(decision.comment)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(AppError::Conflict("You have already decided this step.".into()));
        }
        let outcome = match decision.verdict {
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
                    start_approved_work!(tx, &work, now);
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

/// The decisions a request has had, oldest first: (approver email or none for a policy
/// rule, step, verdict, comment, time).
pub async fn decisions(
    db: &Db,
    request_id: i64,
) -> Result<Vec<(Option<String>, i64, String, String, i64)>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "SELECT a.email, d.step, d.verdict, d.comment, d.decided_at FROM decisions d \
         LEFT JOIN accounts a ON a.id = d.approver_account_id \
         WHERE d.request_id = $1 ORDER BY d.id"
    )
    .bind(request_id)
    .fetch_all(pool)
    .await)?)
}

/// Those of `ids` that are still pending, by id, each with the approvals its current step
/// has so far (for "1 of 2"): two queries, however many ids.
pub async fn pending_with_approvals(
    db: &Db,
    org_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, (RequestRow, i64)>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // Ids are numbers: listed inline, one statement whatever the page size.
    let listed = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("{REQUEST} WHERE org_id = $1 AND status = 'pending' AND id IN ({listed})");
    let rows: Vec<RequestRow> = on_db!(db, |pool| sqlx::query_as::<_, RequestRow>(&sql)
        .bind(org_id)
        .fetch_all(pool)
        .await)?;
    let counts: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(&format!(
        "SELECT d.request_id, COUNT(*) FROM decisions d \
         JOIN requests r ON r.id = d.request_id AND d.step = r.step \
         WHERE r.org_id = $1 AND r.status = 'pending' AND d.verdict = 'approve' \
         AND r.id IN ({listed}) GROUP BY d.request_id"
    ))
    .bind(org_id)
    .fetch_all(pool)
    .await)?;
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let approvals = counts.get(&row.id).copied().unwrap_or(0);
            (row.id, (row, approvals))
        })
        .collect())
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

/// Ends an active grant: it becomes `revoking` and its revoke job is queued, in one
/// transaction, once however many callers (sweeps on several instances, an admin's early
/// revoke, a leaver) get here. Returns whether this call started it.
pub async fn begin_revoke(
    db: &Db,
    request_id: i64,
    org_id: i64,
    now: i64,
) -> Result<bool, AppError> {
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
        Ok::<bool, AppError>(moved > 0)
    })
}

/// An admin's renewal: the grant ends `minutes` later than it would (never more than the
/// item's longest grant from now). Returns whether the grant was still active.
pub async fn renew(
    db: &Db,
    request: &RequestRow,
    item: &CatalogItem,
    minutes: i64,
    now: i64,
) -> Result<bool, AppError> {
    Ok(on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET ends_at = CASE WHEN ends_at + $1 > $2 THEN $2 ELSE ends_at + $1 END, \
         reminded_at = NULL, version = version + 1 WHERE id = $3 AND status = 'active'"
    )
    .bind(minutes * 60)
    .bind(now + item.max_duration_minutes * 60)
    .bind(request.id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected() > 0))?)
}

/// When someone leaves, what they had asked for or been given ends with them: pending
/// requests about them are cancelled and their active grants revoked.
pub async fn end_everything_for(
    db: &Db,
    org_id: i64,
    target_user_id: &str,
    leaver_request: i64,
    now: i64,
) -> Result<(u64, usize), AppError> {
    let cancelled = on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET status = 'cancelled', decided_at = $1, version = version + 1, \
         last_error = $2 WHERE org_id = $3 AND target_user_id = $4 AND status = 'pending' \
         AND id <> $5"
    )
    .bind(now)
    .bind(format!(
        "the user was offboarded by request #{leaver_request}"
    ))
    .bind(org_id)
    .bind(target_user_id)
    .bind(leaver_request)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    let active: Vec<i64> = on_db!(db, |pool| {
        sqlx::query_scalar(
        "SELECT id FROM requests WHERE org_id = $1 AND target_user_id = $2 AND status = 'active'"
    )
    .bind(org_id)
    .bind(target_user_id)
    .fetch_all(pool)
    .await
    })?;
    let mut revoked = 0;
    for grant in active {
        if begin_revoke(db, grant, org_id, now).await? {
            revoked += 1;
        }
    }
    Ok((cancelled, revoked))
}

/// Keeps what the job did (or is about to do) on the request, for its history.
pub async fn set_progress(
    db: &Db,
    request_id: i64,
    details: &Details,
    outcome: Option<&str>,
) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET details = $1, outcome = COALESCE($2, outcome) WHERE id = $3"
    )
    .bind(details.to_json())
    .bind(outcome)
    .bind(request_id)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Replaces the request's details only if they are still `before`; whether they were
/// (a compare-and-swap: of two callers, one wins).
pub async fn replace_details(
    db: &Db,
    request_id: i64,
    before: &Details,
    after: &Details,
) -> Result<bool, AppError> {
    Ok(on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET details = $1 WHERE id = $2 AND details = $3"
    )
    .bind(after.to_json())
    .bind(request_id)
    .bind(before.to_json())
    .execute(pool)
    .await
    .map(|done| done.rows_affected() > 0))?)
}

/// A joiner's new JumpCloud id, once it exists.
pub async fn set_target_user(db: &Db, request_id: i64, user_id: &str) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE requests SET target_user_id = $1 WHERE id = $2"
    )
    .bind(user_id)
    .bind(request_id)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}
