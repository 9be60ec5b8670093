//! Client-side pacing per organization, so a busy dashboard slows itself down before
//! JumpCloud answers 429. One organization's burst never delays another's calls.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::client::{Connection, Credentials};

/// How fast one organization may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained calls per second.
    pub per_second: NonZeroU32,
    /// Calls that may go out at once after a quiet spell.
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `calls` a second, with bursts of twice as many.
    pub fn per_second(calls: u32) -> Self {
        let calls = NonZeroU32::new(calls).unwrap_or(NonZeroU32::MIN);
        RateLimit {
            per_second: calls,
            burst: calls.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN)),
        }
    }
}

impl Default for RateLimit {
    /// JumpCloud documents no number (NOTES §5) and throttles with 429; ten calls a
    /// second with bursts of twenty keeps a dashboard responsive while staying well
    /// clear of that.
    fn default() -> Self {
        RateLimit::per_second(10)
    }
}

pub(crate) struct OrgRateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl OrgRateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        OrgRateLimiter {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Waits until `key`'s organization may be called again.
    pub async fn until_ready(&self, key: &str) {
        self.limiter.until_key_ready(&key.to_string()).await;
    }
}

/// Which budget a connection's calls are counted against: its host and organization.
/// Without an `x-org-id` the credential stands for one organization; its fingerprint is
/// used, so the secret itself is not kept as a map key.
pub(crate) fn budget_key(connection: &Connection) -> String {
    let host = connection.base_url.origin().ascii_serialization();
    match &connection.org_id {
        Some(org_id) => format!("{host}/{org_id}"),
        None => {
            let mut hasher = DefaultHasher::new();
            match &connection.credentials {
                Credentials::ApiKey(key) => key.expose().hash(&mut hasher),
                Credentials::ServiceAccount(account) => account.client_id.hash(&mut hasher),
            }
            format!("{host}/key-{:016x}", hasher.finish())
        }
    }
}
