//! The notification outbox: one row per event and person, deduplicated, delivered by
//! the worker to each configured channel, retried with backoff.

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;

pub struct Notice<'a> {
    pub org_id: i64,
    pub account_id: i64,
    /// Dotted, stable names such as `grant.ending`.
    pub kind: &'a str,
    pub subject: &'a str,
    /// A page of this installation (sign-in required); never an action by link.
    pub link: &'a str,
    /// The same event seen twice (two sweeps, two instances) is one notification.
    pub dedupe_key: &'a str,
}

pub async fn enqueue(db: &Db, notice: Notice<'_>, now: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO notifications (org_id, account_id, kind, subject, link, dedupe_key, status, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7) \
         ON CONFLICT (dedupe_key) DO NOTHING"
    )
    .bind(notice.org_id)
    .bind(notice.account_id)
    .bind(notice.kind)
    .bind(notice.subject)
    .bind(notice.link)
    .bind(notice.dedupe_key)
    .bind(now)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// One account's newest notifications in one organization: (subject, link, time).
pub async fn recent(
    db: &Db,
    org_id: i64,
    account_id: i64,
    limit: i64,
) -> Result<Vec<(String, String, i64)>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "SELECT subject, link, created_at FROM notifications WHERE org_id = $1 \
         AND account_id = $2 ORDER BY id DESC LIMIT $3"
    )
    .bind(org_id)
    .bind(account_id)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// Attempts before a notification is given up as failed.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a claimed notification stays reserved for its sender.
const LEASE_SECONDS: i64 = 60;

#[derive(Debug, Clone, sqlx::FromRow)]
struct Due {
    id: i64,
    org_id: i64,
    kind: String,
    subject: String,
    link: String,
    attempts: i64,
    email_result: Option<String>,
    webhook_result: Option<String>,
    recipient: String,
}

/// Claims the next notification due for delivery (a dead sender's lease expires).
async fn claim(db: &Db, now: i64) -> Result<Option<Due>, AppError> {
    let candidates = "SELECT id FROM notifications WHERE status = 'queued' \
                      AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2) \
                      ORDER BY id LIMIT 1";
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE notifications SET lease_until = $1, attempts = attempts + 1 \
         WHERE id = ({candidates}{lock}) \
         RETURNING id, org_id, kind, subject, link, attempts, email_result, webhook_result, \
         (SELECT email FROM accounts WHERE accounts.id = notifications.account_id) AS recipient"
    );
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Due>(&sql)
        .bind(now + LEASE_SECONDS)
        .bind(now)
        .fetch_optional(pool)
        .await)?)
}

/// Where one organization's notifications go.
pub async fn settings(db: &Db, org_id: i64) -> Result<super::NotificationSettings, AppError> {
    let row: Option<(bool, Option<String>, String)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT email, webhook_url, webhook_format FROM org_notification_settings WHERE org_id = $1"
    )
    .bind(org_id)
    .fetch_optional(pool)
    .await
    })?;
    Ok(match row {
        Some((email, webhook_url, webhook_format)) => super::NotificationSettings {
            email,
            webhook_url: webhook_url.unwrap_or_default(),
            slack: webhook_format == "slack",
        },
        None => super::NotificationSettings {
            email: true,
            webhook_url: String::new(),
            slack: false,
        },
    })
}

pub async fn save_settings(
    db: &Db,
    org_id: i64,
    settings: &super::NotificationSettings,
    now: i64,
) -> Result<(), AppError> {
    let url = Some(settings.webhook_url.trim()).filter(|url| !url.is_empty());
    on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO org_notification_settings (org_id, email, webhook_url, webhook_format, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id) DO UPDATE SET email = excluded.email, \
         webhook_url = excluded.webhook_url, webhook_format = excluded.webhook_format, \
         updated_at = excluded.updated_at"
    )
    .bind(org_id)
    .bind(settings.email)
    .bind(url)
    .bind(if settings.slack { "slack" } else { "json" })
    .bind(now)
    .execute(pool)
    .await
    .map(drop)
    })?;
    Ok(())
}

/// What one channel did with one notification.
const SENT: &str = "sent";
const NOT_CONFIGURED: &str = "not configured";

/// Delivers every notification that is due; returns how many were attempted.
pub async fn deliver_due(state: &crate::state::AppState) -> Result<usize, AppError> {
    let mut attempted = 0;
    while let Some(due) = claim(&state.db, state.clock.now()).await? {
        attempted += 1;
        deliver(state, due).await?;
    }
    Ok(attempted)
}

async fn deliver(state: &crate::state::AppState, due: Due) -> Result<(), AppError> {
    let settings = settings(&state.db, due.org_id).await?;
    let link = match &state.public_url {
        Some(base) => format!("{}{}", base.trim_end_matches('/'), due.link),
        None => due.link.clone(),
    };
    let email = match due.email_result.as_deref() {
        Some(SENT | NOT_CONFIGURED) => Ok(due.email_result.clone().unwrap_or_default()),
        _ => match (&state.mailer, settings.email) {
            (Some(mailer), true) => {
                let body = format!("{}\n\n{link}\n\nSign in to Lanyard to see it.", due.subject);
                mailer
                    .send(&due.recipient, &due.subject, &body)
                    .await
                    .map(|()| SENT.to_string())
            }
            _ => Ok(NOT_CONFIGURED.to_string()),
        },
    };
    let webhook = match due.webhook_result.as_deref() {
        Some(SENT | NOT_CONFIGURED) => Ok(due.webhook_result.clone().unwrap_or_default()),
        _ if settings.webhook_url.is_empty() => Ok(NOT_CONFIGURED.to_string()),
        _ => post_webhook(state, &settings, &due, &link)
            .await
            .map(|()| SENT.to_string()),
    };
    let errors: Vec<String> = [&email, &webhook]
        .iter()
        .filter_map(|result| result.as_ref().err().cloned())
        .collect();
    let now = state.clock.now();
    let status = if errors.is_empty() {
        "sent"
    } else if due.attempts >= MAX_ATTEMPTS {
        "failed"
    } else {
        "queued"
    };
    if !errors.is_empty() {
        tracing::warn!(notification = due.id, attempts = due.attempts, errors = ?errors, "notification not delivered");
    }
    let backoff = 5 * 2_i64.pow(u32::try_from(due.attempts.clamp(0, 10)).unwrap_or(10));
    let db = &state.db;
    on_db!(db, |pool| sqlx::query(
        "UPDATE notifications SET status = $1, email_result = $2, webhook_result = $3, \
         last_error = $4, next_attempt_at = $5, lease_until = NULL WHERE id = $6"
    )
    .bind(status)
    .bind(email.ok())
    .bind(webhook.ok())
    .bind((!errors.is_empty()).then(|| errors.join("; ")))
    .bind(now + backoff)
    .bind(due.id)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// The HTTP client webhooks are posted with: a receiver that hangs does not hold the
/// worker for long.
pub fn webhook_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|error| format!("cannot create the webhook client: {error}"))
}

/// Posts the notification to the organization's webhook: `{kind, subject, link,
/// recipient}`, or for Slack `{text}` with the link.
async fn post_webhook(
    state: &crate::state::AppState,
    settings: &super::NotificationSettings,
    due: &Due,
    link: &str,
) -> Result<(), String> {
    let body = if settings.slack {
        serde_json::json!({ "text": format!("{} <{link}|Open in Lanyard>", due.subject) })
    } else {
        serde_json::json!({
            "kind": due.kind,
            "subject": due.subject,
            "link": link,
            "recipient": due.recipient,
        })
    };
    let response = state
        .http
        .post(&settings.webhook_url)
        .json(&body)
        .send()
        .await
        .map_err(|error| format!("webhook: {error}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("webhook answered {}", response.status()))
    }
}

/// The delivery state of an organization's newest notifications, for its admins:
/// (subject, recipient, status, last error, time).
pub async fn recent_deliveries(
    db: &Db,
    org_id: i64,
    limit: i64,
) -> Result<Vec<(String, String, String, Option<String>, i64)>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as(
        "SELECT n.subject, a.email, n.status, n.last_error, n.created_at FROM notifications n \
         JOIN accounts a ON a.id = n.account_id WHERE n.org_id = $1 ORDER BY n.id DESC LIMIT $2"
    )
    .bind(org_id)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}
