//! The background worker: drains the job queue, then sleeps for the interval. Every
//! instance runs one; leases in the database keep them from doing a job twice.

use std::time::Duration;

use app::requests::worker::{run_once, sweep};
use app::state::AppState;

pub async fn run(state: AppState, interval: Duration) {
    let owner = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
    loop {
        if let Err(error) = sweep(&state, &owner).await {
            tracing::error!(%error, "request sweep failed");
        }
        loop {
            match run_once(&state, &owner).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(error) => {
                    tracing::error!(%error, "job worker pass failed");
                    break;
                }
            }
        }
        if let Err(error) = app::notifications::deliver_due(&state).await {
            tracing::error!(%error, "notification delivery failed");
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = state.work_queued.notified() => {}
        }
    }
}
