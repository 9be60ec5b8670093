use tracing_subscriber::EnvFilter;

#[derive(Debug, thiserror::Error)]
#[error("RUST_LOG / --log: {0}")]
pub struct BadLogFilter(String);

/// Structured logs to stderr, filtered by `filter` (RUST_LOG syntax).
pub fn init(filter: &str) -> Result<(), BadLogFilter> {
    let filter = EnvFilter::try_new(filter).map_err(|error| BadLogFilter(error.to_string()))?;
    // A second init (tests start several apps in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
    Ok(())
}
