//! A recording proxy between Lanyard and the simulator. Lanyard's connections point at
//! it, so every JumpCloud call the app makes is seen with its organization and its start
//! and end: call counts, overlap (were calls concurrent?) and per-organization rates
//! come from here, not from the app's own word.
//!
//! It can also keep the simulator's answers and replay them: the simulator runs on this
//! machine's cores, a real JumpCloud does not, so a run that measures Lanyard's own CPU
//! under many calls replays answers recorded in a warm-up pass, after a fixed latency.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// Whose budget JumpCloud counts the call against: the `x-org-id`, else the key.
    pub org: String,
    pub started: Instant,
    pub finished: Instant,
    pub status: u16,
    /// Size of JumpCloud's answer.
    pub bytes: usize,
}

impl Call {
    pub fn took(&self) -> Duration {
        self.finished - self.started
    }
}

/// What the proxy does with a GET.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Forward,
    /// Forwards, and keeps each answer.
    Record,
    /// Answers from what was kept after `latency`; forwards what was not.
    Replay {
        latency: Duration,
    },
}

#[derive(Clone)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// Organization and path with query: the same URL means another thing for another org.
type AnswerKey = (String, String);

struct Shared {
    upstream: String,
    client: reqwest::Client,
    calls: Mutex<Vec<Call>>,
    mode: Mutex<Mode>,
    answers: Mutex<HashMap<AnswerKey, Answer>>,
}

/// A poisoned lock only means a panic elsewhere mid-push; the data stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct Proxy {
    pub base_url: String,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            calls: Mutex::default(),
            mode: Mutex::new(Mode::Forward),
            answers: Mutex::default(),
        });
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                eprintln!("bench: the recording proxy stopped: {error}");
            }
        });
        Ok(Proxy {
            base_url,
            shared,
            _stop: stop,
        })
    }

    /// The calls recorded since the last `take`, oldest first; the record starts over.
    pub fn take(&self) -> Vec<Call> {
        let mut calls = std::mem::take(&mut *lock(&self.shared.calls));
        calls.sort_by_key(|call| call.started);
        calls
    }

    /// From now on, keeps every successful GET answer.
    pub fn record_answers(&self) {
        *lock(&self.shared.mode) = Mode::Record;
    }

    /// From now on, answers kept GETs from memory after `latency`.
    pub fn replay_answers(&self, latency: Duration) {
        *lock(&self.shared.mode) = Mode::Replay { latency };
    }
}

/// Headers that describe one connection, not the request: hyper and reqwest set their own.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host" | "connection" | "content-length" | "transfer-encoding" | "keep-alive"
    )
}

fn budget_key(request: &Request) -> String {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    if let Some(org) = header("x-org-id") {
        return org.to_string();
    }
    // A single-organization key stands for its organization; a hash keeps it off screen.
    let mut hasher = DefaultHasher::new();
    header("x-api-key")
        .or(header("authorization"))
        .hash(&mut hasher);
    format!("key-{:016x}", hasher.finish())
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let org = budget_key(&request);
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let key = (org.clone(), path_and_query.clone());
    let mode = *lock(&shared.mode);
    let kept = match mode {
        Mode::Replay { .. } if method == Method::GET => lock(&shared.answers).get(&key).cloned(),
        _ => None,
    };
    let answer = match (kept, mode) {
        (Some(answer), Mode::Replay { latency }) => {
            tokio::time::sleep(latency).await;
            Ok(answer)
        }
        _ => upstream(&shared, request, &path_and_query).await,
    };
    let answer = answer.unwrap_or_else(|error| Answer {
        status: StatusCode::BAD_GATEWAY,
        headers: HeaderMap::new(),
        body: Bytes::from(error.to_string()),
    });
    if mode == Mode::Record && method == Method::GET && answer.status.is_success() {
        lock(&shared.answers).insert(key, answer.clone());
    }
    lock(&shared.calls).push(Call {
        method: method.to_string(),
        path,
        org,
        started,
        finished: Instant::now(),
        status: answer.status.as_u16(),
        bytes: answer.body.len(),
    });
    answer.response()
}

async fn upstream(
    shared: &Shared,
    request: Request,
    path_and_query: &str,
) -> anyhow::Result<Answer> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await?;
    let mut upstream = shared
        .client
        .request(parts.method, format!("{}{path_and_query}", shared.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            upstream = upstream.header(name, value);
        }
    }
    let answer = upstream.send().await?;
    let status = answer.status();
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if !hop_by_hop(name) {
            headers.append(name, value.clone());
        }
    }
    Ok(Answer {
        status,
        headers,
        body: answer.bytes().await?,
    })
}

/// The most calls any one organization received within any `window`.
pub fn peak_per_org(calls: &[Call], window: Duration) -> usize {
    let mut by_org: HashMap<&str, Vec<Instant>> = HashMap::new();
    for call in calls {
        by_org.entry(&call.org).or_default().push(call.started);
    }
    by_org
        .values_mut()
        .map(|starts| {
            starts.sort();
            most_within(starts, window)
        })
        .max()
        .unwrap_or_default()
}

/// The most calls across all organizations within any `window`.
pub fn peak_overall(calls: &[Call], window: Duration) -> usize {
    let mut starts: Vec<Instant> = calls.iter().map(|call| call.started).collect();
    starts.sort();
    most_within(&starts, window)
}

/// Sliding window over sorted instants.
fn most_within(sorted: &[Instant], window: Duration) -> usize {
    let mut first = 0;
    let mut most = 0;
    for (last, at) in sorted.iter().enumerate() {
        while *at - sorted[first] >= window {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

/// How many rounds of calls ran one after another: a call that starts after every call
/// of the current round has finished opens the next round.
pub fn sequential_rounds(calls: &[Call]) -> usize {
    let mut rounds = 0;
    let mut round_ends: Option<Instant> = None;
    for call in calls {
        match round_ends {
            Some(end) if call.started < end => round_ends = Some(end.max(call.finished)),
            _ => {
                rounds += 1;
                round_ends = Some(call.finished);
            }
        }
    }
    rounds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(org: &str, start: Instant, from_ms: u64, to_ms: u64) -> Call {
        Call {
            method: "GET".into(),
            path: "/".into(),
            org: org.into(),
            started: start + Duration::from_millis(from_ms),
            finished: start + Duration::from_millis(to_ms),
            status: 200,
            bytes: 0,
        }
    }

    #[test]
    fn peaks_count_calls_within_a_sliding_window() {
        let now = Instant::now();
        let calls = [
            call("a", now, 0, 1),
            call("a", now, 500, 501),
            call("a", now, 999, 1000),
            call("a", now, 1000, 1001),
            call("b", now, 10, 11),
        ];
        assert_eq!(peak_per_org(&calls, Duration::from_secs(1)), 3);
        assert_eq!(peak_overall(&calls, Duration::from_secs(1)), 4);
    }

    #[test]
    fn overlapping_calls_are_one_round() {
        let now = Instant::now();
        let calls = [
            call("a", now, 0, 50),
            call("a", now, 1, 52),
            call("a", now, 53, 100),
            call("a", now, 54, 110),
            call("a", now, 111, 160),
        ];
        assert_eq!(sequential_rounds(&calls), 3);
    }
}
