//! The time every rule about requests reads. Tests and the browser-test hook move it
//! forward instead of waiting for an hour to pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::db::now_unix;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// Unix seconds.
    pub fn now(&self) -> i64 {
        now_unix() + self.offset_seconds.load(Ordering::Relaxed)
    }

    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}
