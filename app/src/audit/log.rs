//! The append-only, hash-chained audit log. Each entry's hash covers its fields and the
//! previous entry's hash, so editing or deleting any entry breaks every later hash; the
//! table's triggers refuse UPDATE and DELETE outright.

use sha2::{Digest, Sha256};

use crate::db::{Db, now_unix};
use crate::error::AppError;
use crate::on_db;

/// The hash the first entry chains from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, to what.
pub struct Event<'a> {
    /// An account email, `system`, or for failed logins the address tried.
    pub actor: &'a str,
    pub org_id: Option<i64>,
    /// Dotted, stable names such as `login.failed` or `connection.added`.
    pub action: &'a str,
    pub target: &'a str,
    pub summary: &'a str,
    /// `ok`, `refused` or `failed`.
    pub result: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub org_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub summary: String,
    pub result: String,
    pub prev_hash: String,
    pub hash: String,
}

fn chain_hash(prev_hash: &str, at: i64, event: &Event<'_>) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed fields: no two different entries serialize alike.
    for field in [
        prev_hash,
        &at.to_string(),
        event.actor,
        &event.org_id.map(|id| id.to_string()).unwrap_or_default(),
        event.action,
        event.target,
        event.summary,
        event.result,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// SQLite has one writer; this keeps two tasks of this process from chaining off the
/// same previous entry. Postgres instances serialize on an advisory lock instead.
static SQLITE_APPEND: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Any number that is the same for every instance: the advisory lock's key.
const APPEND_LOCK_KEY: i64 = 0x6c_616e_7961_7264;

const LAST_HASH: &str = "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1";
const INSERT: &str = "INSERT INTO audit_log (at, actor, org_id, action, target, summary, result, \
                      prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub async fn record(db: &Db, event: Event<'_>) -> Result<(), AppError> {
    let at = now_unix();
    macro_rules! append {
        ($tx:expr) => {{
            let prev: Option<String> = sqlx::query_scalar(LAST_HASH)
                .fetch_optional(&mut *$tx)
                .await?;
            let prev = prev.unwrap_or_else(|| GENESIS.to_string());
            let hash = chain_hash(&prev, at, &event);
            sqlx::query(INSERT)
                .bind(at)
                .bind(event.actor)
                .bind(event.org_id)
                .bind(event.action)
                .bind(event.target)
                .bind(event.summary)
                .bind(event.result)
                .bind(&prev)
                .bind(&hash)
                .execute(&mut *$tx)
                .await?;
        }};
    }
    match db {
        Db::Sqlite(pool) => {
            let _serialized = SQLITE_APPEND.lock().await;
            let mut tx = pool.begin_with(db.begin_write()).await?;
            append!(tx);
            tx.commit().await?;
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(APPEND_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
            append!(tx);
            tx.commit().await?;
        }
    }
    Ok(())
}

/// A change in one organization, by the account acting there, with its outcome (`ok`,
/// `failed` with JumpCloud's message in the summary, ...).
pub async fn org_action(
    db: &Db,
    context: &crate::tenants::access::OrgContext,
    action: &str,
    target: &str,
    summary: &str,
    result: &str,
) -> Result<(), AppError> {
    record(
        db,
        Event {
            actor: &context.account.email,
            org_id: Some(context.org.id),
            action,
            target,
            summary,
            result,
        },
    )
    .await
}

/// An installation-level change made by a signed-in owner that succeeded.
pub async fn owner_action(
    db: &Db,
    owner: &str,
    action: &str,
    target: &str,
    summary: &str,
) -> Result<(), AppError> {
    record(
        db,
        Event {
            actor: owner,
            org_id: None,
            action,
            target,
            summary,
            result: "ok",
        },
    )
    .await
}

/// What a check of the whole chain found.
#[derive(Debug, Clone)]
pub struct Verification {
    pub entries: i64,
    /// The first entry whose hash or link does not match: it, or the one before it, was
    /// changed or removed.
    pub first_broken: Option<Entry>,
}

/// Recomputes the chain from the first entry, page by page.
pub async fn verify(db: &Db) -> Result<Verification, AppError> {
    const PAGE: i64 = 5_000;
    let mut prev = GENESIS.to_string();
    let mut after = 0_i64;
    let mut entries = 0_i64;
    loop {
        let page: Vec<Entry> = on_db!(db, |pool| sqlx::query_as::<_, Entry>(
            "SELECT seq, at, actor, org_id, action, target, summary, result, prev_hash, hash \
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(pool)
        .await)?;
        let Some(last) = page.last() else {
            return Ok(Verification {
                entries,
                first_broken: None,
            });
        };
        after = last.seq;
        for entry in page {
            entries += 1;
            let event = Event {
                actor: &entry.actor,
                org_id: entry.org_id,
                action: &entry.action,
                target: &entry.target,
                summary: &entry.summary,
                result: &entry.result,
            };
            if entry.prev_hash != prev || chain_hash(&prev, entry.at, &event) != entry.hash {
                return Ok(Verification {
                    entries,
                    first_broken: Some(entry),
                });
            }
            prev = entry.hash;
        }
    }
}

/// The first entry whose hash does not match, if any.
pub async fn first_broken_entry(db: &Db) -> Result<Option<i64>, AppError> {
    Ok(verify(db).await?.first_broken.map(|entry| entry.seq))
}

/// Which entries of one organization an audit search returns; `None` leaves a filter off.
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    /// Part of the actor (an email), case-insensitive.
    pub actor: Option<&'a str>,
    /// Part of the action, such as `request.` or `user.suspended`.
    pub action: Option<&'a str>,
    /// Part of the target, such as `user 5f0c…` or `request 12`.
    pub target: Option<&'a str>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    /// Entries before this sequence number (the next page).
    pub before: Option<i64>,
}

fn contains(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|text| !text.is_empty())
        .map(|text| format!("%{}%", text.to_lowercase()))
}

/// An organization's entries matching `search`, newest first, at most `limit`.
pub async fn search(
    db: &Db,
    org_id: i64,
    search: &Search<'_>,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor, org_id, action, target, summary, result, prev_hash, hash \
         FROM audit_log WHERE org_id = $1 AND ($2 IS NULL OR LOWER(actor) LIKE $2) \
         AND ($3 IS NULL OR LOWER(action) LIKE $3) AND ($4 IS NULL OR LOWER(target) LIKE $4) \
         AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR seq < $7) \
         ORDER BY seq DESC LIMIT $8"
    )
    .bind(org_id)
    .bind(contains(search.actor))
    .bind(contains(search.action))
    .bind(contains(search.target))
    .bind(search.from)
    .bind(search.until)
    .bind(search.before)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// The newest entries of one organization about one target (e.g. `user {id}`), newest
/// first.
pub async fn for_target(
    db: &Db,
    org_id: i64,
    target: &str,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor, org_id, action, target, summary, result, prev_hash, hash \
         FROM audit_log WHERE org_id = $1 AND target = $2 ORDER BY seq DESC LIMIT $3"
    )
    .bind(org_id)
    .bind(target)
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

/// The newest entries first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Entry>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor, org_id, action, target, summary, result, prev_hash, hash \
         FROM audit_log ORDER BY seq DESC LIMIT $1"
    )
    .bind(limit)
    .fetch_all(pool)
    .await)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(summary: &'a str) -> Event<'a> {
        Event {
            actor: "a@example.com",
            org_id: Some(1),
            action: "login.failed",
            target: "a@example.com",
            summary,
            result: "refused",
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let base = chain_hash(GENESIS, 10, &event("x"));
        assert_eq!(base.len(), 64);
        assert_ne!(base, chain_hash(GENESIS, 11, &event("x")));
        assert_ne!(base, chain_hash(GENESIS, 10, &event("y")));
        assert_ne!(base, chain_hash(&base, 10, &event("x")));
        assert_eq!(base, chain_hash(GENESIS, 10, &event("x")));
    }
}
