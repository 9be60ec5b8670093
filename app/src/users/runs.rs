//! Work on many users (a bulk action, a CSV import) runs in the background, so a large
//! selection does not hold the browser's request open; the results page reads its
//! progress, refreshing itself until the run ends. Each change is audited as it is made,
//! so a run cut short by a restart leaves an exact record of what was done.

use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};

use super::{RunProgress, UserOutcome};
use crate::state::AppState;

/// JumpCloud calls in flight at once: quick for large selections, gentle on its rate
/// limit (the client also paces itself).
pub const CONCURRENCY: usize = 4;

pub struct Run {
    total: usize,
    outcomes: Mutex<Vec<UserOutcome>>,
}

impl Run {
    pub fn progress(&self) -> RunProgress {
        RunProgress {
            total: self.total,
            outcomes: self
                .outcomes
                .lock()
                .map(|outcomes| outcomes.clone())
                .unwrap_or_default(),
        }
    }
}

/// Starts `work` (one future per user, run [`CONCURRENCY`] at a time) in the
/// background for `account_id`; the token the results page reads its progress with.
pub fn start<W>(state: &AppState, account_id: i64, total: usize, work: W) -> String
where
    W: Stream + Send + 'static,
    W::Item: Future<Output = UserOutcome> + Send,
{
    let run = Arc::new(Run {
        total,
        outcomes: Mutex::new(Vec::with_capacity(total)),
    });
    let token = state.users.runs.leave(account_id, run.clone());
    tokio::spawn(async move {
        work.buffer_unordered(CONCURRENCY)
            .for_each(|outcome| {
                if let Ok(mut outcomes) = run.outcomes.lock() {
                    outcomes.push(outcome);
                }
                std::future::ready(())
            })
            .await;
    });
    token
}

/// The progress of the run under `token`, if `account_id` started it.
pub fn progress(state: &AppState, account_id: i64, token: &str) -> Option<RunProgress> {
    state
        .users
        .runs
        .peek(account_id, token)
        .map(|run| run.progress())
}
