//! Faults the simulator injects in front of every route, so tests and demos can show
//! how the client copes with a slow, throttling, failing or silent JumpCloud.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Notify;

use super::error::SimError;

/// Standing faults, applied to every request until changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// A request budget per organization; past it, 429.
    pub rate_limit: Option<RateLimitFault>,
    /// Share of requests (0.0 to 1.0) answered with a 500. Drawn from a generator seeded
    /// with the world's seed, so a run with the same requests fails the same ones.
    pub error_rate: f64,
    /// Requests whose path starts with this are not answered until the faults change or
    /// the simulator stops, to exercise timeouts.
    pub hang_path: Option<String>,
    /// Organizations (JumpCloud ids) that are down: every request naming one in
    /// `x-org-id` is answered 503, so tests can show one failing tenant among many.
    pub failing_orgs: Vec<String>,
    /// Requests whose path starts with the text are answered with the status, so a test
    /// can make one kind of call fail (a device command, say) while the rest work.
    pub failing_path: Option<(String, u16)>,
    /// Requests whose path starts with this get a 200 whose JSON is cut off mid-way, as
    /// from a proxy that dropped the connection.
    pub malformed_path: Option<String>,
}

/// `requests` per `window` for each organization: the `x-org-id` when sent, else the
/// credential, which for an org-level key is one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitFault {
    pub requests: u32,
    pub window: Duration,
    /// Whether the 429 says when to come back. JumpCloud documents no `Retry-After`
    /// (NOTES §5), so clients must also cope without one.
    pub retry_after: bool,
}

/// A one-off failure for the next request, queued with `Simulator::fail_next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    /// Sent as `Retry-After` in whole seconds.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn status(status: u16) -> Self {
        Failure {
            status,
            retry_after: None,
        }
    }

    pub fn rate_limited(retry_after: Option<Duration>) -> Self {
        Failure {
            status: StatusCode::TOO_MANY_REQUESTS.as_u16(),
            retry_after,
        }
    }

    fn respond(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = status.canonical_reason().unwrap_or("Simulated failure");
        let mut response = SimError::new(status, message).into_response();
        if let Some(wait) = self.retry_after {
            add_retry_after(response.headers_mut(), wait);
        }
        response
    }
}

fn add_retry_after(headers: &mut HeaderMap, wait: Duration) {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    headers.insert("retry-after", HeaderValue::from(seconds.max(1)));
}

struct Window {
    started: Instant,
    served: u32,
}

pub(crate) struct FaultState {
    faults: Mutex<Faults>,
    /// Wakes hanging requests when the faults change or the simulator stops.
    released: Notify,
    queued: Mutex<VecDeque<Failure>>,
    rng: Mutex<StdRng>,
    windows: Mutex<HashMap<String, Window>>,
    /// 429s answered because of the `rate_limit` fault (not queued failures).
    throttled: AtomicU64,
}

/// A poisoned lock only means another request panicked mid-update; the fault settings
/// stay usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FaultState {
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(FaultState {
            faults: Mutex::new(Faults::default()),
            released: Notify::new(),
            queued: Mutex::new(VecDeque::new()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            windows: Mutex::new(HashMap::new()),
            throttled: AtomicU64::new(0),
        })
    }

    pub fn set(&self, faults: Faults) {
        *lock(&self.faults) = faults;
        lock(&self.windows).clear();
        self.release();
    }

    /// Lets hanging requests go on, so that a graceful shutdown does not wait forever.
    pub fn release(&self) {
        self.released.notify_waiters();
    }

    pub fn get(&self) -> Faults {
        lock(&self.faults).clone()
    }

    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    pub fn queue(&self, count: usize, failure: Failure) {
        lock(&self.queued).extend(std::iter::repeat_n(failure, count));
    }

    /// The answer a request gets instead of the real one, if any. A failing
    /// organization answers before its budget is counted: it is down, not busy.
    fn intercept(&self, headers: &HeaderMap, faults: &Faults) -> Option<Response> {
        if let Some(failure) = lock(&self.queued).pop_front() {
            return Some(failure.respond());
        }
        if let Some(org) = headers.get("x-org-id").and_then(|org| org.to_str().ok())
            && faults.failing_orgs.iter().any(|failing| failing == org)
        {
            return Some(Failure::status(503).respond());
        }
        if let Some(limit) = faults.rate_limit
            && let Some(wait) = self.over_budget(&rate_key(headers), limit)
        {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            return Some(Failure::rate_limited(limit.retry_after.then_some(wait)).respond());
        }
        if faults.error_rate > 0.0 && lock(&self.rng).gen_bool(faults.error_rate.min(1.0)) {
            return Some(Failure::status(500).respond());
        }
        None
    }

    /// Counts the request against the organization's window; when over budget, how long
    /// until the window ends.
    fn over_budget(&self, org: &str, limit: RateLimitFault) -> Option<Duration> {
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let window = windows.entry(org.to_string()).or_insert(Window {
            started: now,
            served: 0,
        });
        if now.duration_since(window.started) >= limit.window {
            *window = Window {
                started: now,
                served: 0,
            };
        }
        window.served += 1;
        (window.served > limit.requests).then(|| {
            limit
                .window
                .saturating_sub(now.duration_since(window.started))
        })
    }
}

/// Whom a request counts against for the rate limit.
fn rate_key(headers: &HeaderMap) -> String {
    ["x-org-id", "x-api-key", "authorization"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub(crate) async fn inject(
    State(state): State<Arc<FaultState>>,
    request: Request,
    next: Next,
) -> Response {
    let faults = state.get();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if let Some(prefix) = &faults.hang_path
        && request.uri().path().starts_with(prefix.as_str())
    {
        state.released.notified().await;
    }
    if let Some((prefix, status)) = &faults.failing_path
        && request.uri().path().starts_with(prefix.as_str())
    {
        return Failure::status(*status).respond();
    }
    if let Some(prefix) = &faults.malformed_path
        && request.uri().path().starts_with(prefix.as_str())
    {
        return (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            r#"{"totalCount": 3, "results": [{"_id": "5f"#,
        )
            .into_response();
    }
    match state.intercept(request.headers(), &faults) {
        Some(response) => response,
        None => next.run(request).await,
    }
}
