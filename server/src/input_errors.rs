//! A server function whose input does not parse (a missing field, text where a number
//! belongs) never reaches its body, so `app::error::with_http_status` cannot give the
//! error its status and leptos answers 500. The mistake is the caller's: such answers
//! become 400, their message naming the field.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;

/// Larger error bodies are not server-function input errors.
const LONGEST_ERROR: usize = 64 * 1024;

pub async fn malformed_input_is_a_bad_request(request: Request, next: Next) -> Response {
    let server_function = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !server_function || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, LONGEST_ERROR).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if matches!(
        serde_json::from_slice::<AppError>(&bytes),
        Ok(AppError::Request(_))
    ) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}
