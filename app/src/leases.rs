//! Named leases in the database: of several instances, the one holding a lease does the
//! work it names (a scheduled sweep) until the lease runs out; then any instance may take
//! it over, so a dead instance's duty passes on.

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;

/// Takes or renews the lease `name` for `owner` until `now + seconds`; whether `owner`
/// holds it now.
pub async fn acquire(
    db: &Db,
    name: &str,
    owner: &str,
    now: i64,
    seconds: i64,
) -> Result<bool, AppError> {
    let taken = on_db!(db, |pool| sqlx::query(
        "INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at \
         WHERE leases.owner = excluded.owner OR leases.expires_at < $4"
    )
    .bind(name)
    .bind(owner)
    .bind(now + seconds)
    .bind(now)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(taken > 0)
}
