//! Records the HTTP exchanges the simulator serves, so tests can check every request the
//! client sent and every response the simulator gave against JumpCloud's spec
//! (`tests/spec_conformance.rs`).
//!
//! Recording is off until [`Simulator::record_exchanges`]: the demo server runs one
//! simulator for the life of the process and must not keep every response it sends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Simulator;

/// One request the simulator served and the response it gave.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: Method,
    /// The path as sent, still percent-encoded, e.g. `/api/systemusers/5f0c…`.
    pub path: String,
    /// The raw query string without `?`, if the URL had one.
    pub query: Option<String>,
    pub request_body: Payload,
    pub status: StatusCode,
    pub response_headers: HeaderMap,
    pub response_body: Payload,
}

/// A request or response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Empty,
    Json(Value),
    /// A body that is not JSON (e.g. the form-encoded OAuth token request), as text.
    NotJson(String),
}

impl Payload {
    fn from_bytes(bytes: &Bytes) -> Payload {
        if bytes.is_empty() {
            return Payload::Empty;
        }
        serde_json::from_slice(bytes)
            .map(Payload::Json)
            .unwrap_or_else(|_| Payload::NotJson(String::from_utf8_lossy(bytes).into_owned()))
    }
}

#[derive(Default)]
pub(crate) struct Recorder {
    enabled: AtomicBool,
    exchanges: Mutex<Vec<Exchange>>,
}

impl Recorder {
    /// The list stays usable after a panic elsewhere: each push is a single operation, so
    /// a poisoned lock never guards a half-written list.
    fn exchanges(&self) -> MutexGuard<'_, Vec<Exchange>> {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Middleware: buffers both bodies (only while recording) and keeps a copy of the exchange.
pub(crate) async fn record(
    State(recorder): State<Arc<Recorder>>,
    request: Request,
    next: Next,
) -> Response {
    if !recorder.enabled.load(Ordering::Relaxed) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let request_bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let response = next
        .run(Request::from_parts(
            parts,
            Body::from(request_bytes.clone()),
        ))
        .await;
    let (parts, body) = response.into_parts();
    let response_bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    let exchange = Exchange {
        method,
        path,
        query,
        request_body: Payload::from_bytes(&request_bytes),
        status: parts.status,
        response_headers: parts.headers.clone(),
        response_body: Payload::from_bytes(&response_bytes),
    };
    recorder.exchanges().push(exchange);
    Response::from_parts(parts, Body::from(response_bytes))
}

impl Simulator {
    /// Starts keeping every exchange from now on, for [`Simulator::exchanges`].
    pub fn record_exchanges(&self) {
        self.recorder.enabled.store(true, Ordering::Relaxed);
    }

    /// The exchanges recorded so far, oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.recorder.exchanges().clone()
    }

    /// Forgets the exchanges recorded so far; recording continues.
    pub fn clear_exchanges(&self) {
        self.recorder.exchanges().clear();
    }
}
