//! Hands a value from a form post to the page it redirects to, once. A browser without
//! JavaScript only gets a redirect back from a form post, so a generated temporary
//! password or a bulk run's results cannot travel in the response; they wait here, in
//! this process's memory (never in the database or the logs), under a random token in
//! the redirect URL, for the account that made them, and are gone once read.

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
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
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

    /// A copy of the value under `token`, left in place, if `account_id` left it and it
    /// has not expired: for a preview shown before the step that takes it, or a run's
    /// progress. Reading it keeps it for another [`TIME_TO_LIVE`].
    pub fn peek(&self, account_id: i64, token: &str) -> Option<T>
    where
        T: Clone,
    {
        let mut parcels = self.parcels.lock().ok()?;
        let parcel = parcels
            .get_mut(token)
            .filter(|parcel| parcel.account_id == account_id)
            .filter(|parcel| parcel.stored.elapsed() < TIME_TO_LIVE)?;
        parcel.stored = Instant::now();
        Some(parcel.value.clone())
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

#[cfg(test)]
mod tests {
    use super::Handoff;

    #[test]
    fn a_parcel_is_read_once_and_only_by_its_account() {
        let handoff = Handoff::default();
        let token = handoff.leave(7, "secret".to_string());
        assert_eq!(handoff.take(8, &token), None);
        assert_eq!(handoff.peek(8, &token), None);
        assert_eq!(handoff.peek(7, &token).as_deref(), Some("secret"));
        assert_eq!(handoff.take(7, &token).as_deref(), Some("secret"));
        assert_eq!(handoff.take(7, &token), None);
    }
}
