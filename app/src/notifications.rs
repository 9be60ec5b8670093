//! The notification outbox: things a person should hear about (a grant ending soon),
//! written once per event in the database, then delivered by the channels an
//! organization configures. Until delivered they show on the person's requests page.

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
