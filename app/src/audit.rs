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

/// Recomputes the chain; the first entry whose hash does not match, if any.
pub async fn first_broken_entry(db: &Db) -> Result<Option<i64>, AppError> {
    let entries: Vec<Entry> = on_db!(db, |pool| sqlx::query_as::<_, Entry>(
        "SELECT seq, at, actor, org_id, action, target, summary, result, prev_hash, hash \
         FROM audit_log ORDER BY seq"
    )
    .fetch_all(pool)
    .await)?;
    let mut prev = GENESIS.to_string();
    for entry in entries {
        let event = Event {
            actor: &entry.actor,
            org_id: entry.org_id,
            action: &entry.action,
            target: &entry.target,
            summary: &entry.summary,
            result: &entry.result,
        };
        if entry.prev_hash != prev || chain_hash(&prev, entry.at, &event) != entry.hash {
            return Ok(Some(entry.seq));
        }
        prev = entry.hash;
    }
    Ok(None)
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
