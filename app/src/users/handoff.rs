//! Hands a value from a form post to the page it redirects to. A browser without
//! JavaScript only gets a redirect back from a form post, so a CSV import's preview, a
//! bulk run's results or a generated temporary password cannot travel in the response;
//! they wait under a random token in the redirect URL, for the account that made them.
//!
//! Previews and runs wait in the database (`stored`), so whichever instance serves the
//! next page finds them. A temporary password is never stored: it waits in this
//! process's memory (`Handoff`) and is gone once read, which is why several instances
//! want sticky sessions for the one page that shows it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

/// Enough to load the next page, short enough that an unread password does not linger.
const TIME_TO_LIVE: Duration = Duration::from_secs(300);

struct Parcel<T> {
    account_id: i64,
    stored: Instant,
    value: T,
}

pub struct Handoff<T> {
    parcels: Mutex<HashMap<String, Parcel<T>>>,
}

impl<T> Default for Handoff<T> {
    fn default() -> Self {
        Handoff {
            parcels: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Handoff<T> {
    /// Keeps `value` for `account_id`; the token to put in the redirect URL.
    pub fn leave(&self, account_id: i64, value: T) -> String {
        let token = new_token();
        if let Ok(mut parcels) = self.parcels.lock() {
            parcels.retain(|_, parcel| parcel.stored.elapsed() < TIME_TO_LIVE);
            parcels.insert(
                token.clone(),
                Parcel {
                    account_id,
                    stored: Instant::now(),
                    value,
                },
            );
        }
        token
    }

    /// The value under `token`, removed, if `account_id` left it and it has not expired.
    pub fn take(&self, account_id: i64, token: &str) -> Option<T> {
        let mut parcels = self.parcels.lock().ok()?;
        if parcels.get(token)?.account_id != account_id {
            return None;
        }
        parcels
            .remove(token)
            .filter(|parcel| parcel.stored.elapsed() < TIME_TO_LIVE)
            .map(|parcel| parcel.value)
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Handoffs in the database, as JSON, each with a kind (so one kind's token never reads
/// as another) and an expiry.
pub mod stored {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use crate::db::Db;
    use crate::error::AppError;
    use crate::on_db;

    /// Keeps `value` for `account_id` until `expires_at`; the token for the redirect URL.
    pub async fn leave<T: Serialize>(
        db: &Db,
        account_id: i64,
        kind: &str,
        value: &T,
        expires_at: i64,
    ) -> Result<String, AppError> {
        let token = super::new_token();
        let json = serde_json::to_string(value).map_err(|_| AppError::Internal)?;
        on_db!(db, |pool| sqlx::query(
            "INSERT INTO handoffs (token, account_id, kind, value, expires_at) \
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(&token)
        .bind(account_id)
        .bind(kind)
        .bind(&json)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(token)
    }

    fn parse<T: DeserializeOwned>(json: Option<String>) -> Result<Option<T>, AppError> {
        json.map(|json| {
            serde_json::from_str(&json).map_err(|error| {
                tracing::error!(%error, "a stored handoff does not parse");
                AppError::Internal
            })
        })
        .transpose()
    }

    /// The value under `token`, left in place, if `account_id` left it and it has not
    /// expired.
    pub async fn peek<T: DeserializeOwned>(
        db: &Db,
        account_id: i64,
        kind: &str,
        token: &str,
        now: i64,
    ) -> Result<Option<T>, AppError> {
        let json: Option<String> = on_db!(db, |pool| sqlx::query_scalar(
            "SELECT value FROM handoffs WHERE token = $1 AND account_id = $2 AND kind = $3 \
             AND expires_at > $4"
        )
        .bind(token)
        .bind(account_id)
        .bind(kind)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        parse(json)
    }

    /// The value under `token`, removed: of two requests taking it at once, one gets it.
    pub async fn take<T: DeserializeOwned>(
        db: &Db,
        account_id: i64,
        kind: &str,
        token: &str,
        now: i64,
    ) -> Result<Option<T>, AppError> {
        let json: Option<String> = on_db!(db, |pool| sqlx::query_scalar(
            "DELETE FROM handoffs WHERE token = $1 AND account_id = $2 AND kind = $3 \
             AND expires_at > $4 RETURNING value"
        )
        .bind(token)
        .bind(account_id)
        .bind(kind)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        parse(json)
    }

    /// Forgets expired handoffs (and the outcomes of expired runs).
    pub async fn forget_expired(db: &Db, now: i64) -> Result<(), AppError> {
        on_db!(db, |pool| sqlx::query(
            "DELETE FROM handoffs WHERE expires_at <= $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Handoff;

    #[test]
    fn a_parcel_is_read_once_and_only_by_its_account() {
        let handoff = Handoff::default();
        let token = handoff.leave(7, "secret".to_string());
        assert_eq!(handoff.take(8, &token), None);
        assert_eq!(handoff.take(7, &token).as_deref(), Some("secret"));
        assert_eq!(handoff.take(7, &token), None);
    }
}
