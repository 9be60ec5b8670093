//! Login rate limiting, per account and per client address, so that guessing passwords
//! is slow whichever of the two an attacker varies.
//!
//! Only failures spend the budget, so people who sign in correctly are never slowed
//! down. Once a budget is spent, every attempt for that key (right password or not) is
//! refused until it refills: otherwise a correct guess would slip through the throttle.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// Failures allowed per key, and the moment a spent key may try again.
struct FailureBudget<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    blocked_until: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> FailureBudget<K> {
    fn new(burst: u32, per_minute: u32) -> Self {
        let nonzero = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        FailureBudget {
            limiter: RateLimiter::keyed(
                Quota::per_minute(nonzero(per_minute)).allow_burst(nonzero(burst)),
            ),
            blocked_until: Mutex::new(HashMap::new()),
        }
    }

    fn is_blocked(&self, key: &K) -> bool {
        let now = Instant::now();
        self.blocked_until
            .lock()
            .map(|blocked| blocked.get(key).is_some_and(|until| *until > now))
            .unwrap_or(false)
    }

    fn spend(&self, key: &K) {
        if let Err(not_until) = self.limiter.check_key(key) {
            let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
            let now = Instant::now();
            if let Ok(mut blocked) = self.blocked_until.lock() {
                blocked.retain(|_, until| *until > now);
                blocked.insert(key.clone(), now + wait);
            }
        }
    }
}

pub struct LoginThrottle {
    by_account: FailureBudget<String>,
    by_address: FailureBudget<IpAddr>,
}

impl Default for LoginThrottle {
    /// An account gets 5 failures, then one every 12 s; an address (perhaps a shared
    /// office NAT) 20 failures, then one every 3 s.
    fn default() -> Self {
        LoginThrottle::new(5, 5, 20, 20)
    }
}

impl LoginThrottle {
    pub fn new(
        account_burst: u32,
        account_per_minute: u32,
        address_burst: u32,
        address_per_minute: u32,
    ) -> Self {
        LoginThrottle {
            by_account: FailureBudget::new(account_burst, account_per_minute),
            by_address: FailureBudget::new(address_burst, address_per_minute),
        }
    }

    /// Refuses the attempt before any password is checked when either budget is spent.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), AppError> {
        let blocked = self.by_account.is_blocked(&account.to_string())
            || address.is_some_and(|ip| self.by_address.is_blocked(&ip));
        if blocked {
            Err(AppError::TooManyAttempts)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        self.by_account.spend(&account.to_string());
        if let Some(ip) = address {
            self.by_address.spend(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_after_its_failures_whatever_the_address() {
        let throttle = LoginThrottle::new(2, 1, 100, 100);
        for n in 0..3 {
            let ip = Some(IpAddr::from([10, 0, 0, n]));
            assert!(throttle.check("a@example.com", ip).is_ok());
            throttle.record_failure("a@example.com", ip);
        }
        let refused = throttle.check("a@example.com", Some(IpAddr::from([10, 0, 0, 9])));
        assert_eq!(refused, Err(AppError::TooManyAttempts));
        assert!(throttle.check("b@example.com", None).is_ok());
    }

    #[test]
    fn successes_cost_nothing() {
        let throttle = LoginThrottle::new(1, 1, 1, 1);
        for _ in 0..50 {
            assert!(
                throttle
                    .check("a@example.com", Some(IpAddr::from([10, 0, 0, 1])))
                    .is_ok()
            );
        }
    }

    #[test]
    fn an_address_is_throttled_whatever_the_account() {
        let throttle = LoginThrottle::new(100, 100, 2, 1);
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        for account in ["a@example.com", "b@example.com", "c@example.com"] {
            throttle.record_failure(account, ip);
        }
        assert!(throttle.check("d@example.com", ip).is_err());
        assert!(
            throttle
                .check("d@example.com", Some(IpAddr::from([192, 0, 2, 2])))
                .is_ok()
        );
    }
}
