use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error as JumpCloud sends it: a status and a `{"message": ...}` body.
#[derive(Debug)]
pub(crate) struct SimError {
    pub status: StatusCode,
    pub message: String,
}

impl SimError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        SimError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        SimError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found() -> Self {
        SimError::new(StatusCode::NOT_FOUND, "Not Found")
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "message": self.message }))).into_response()
    }
}

pub(crate) async fn unknown_route() -> SimError {
    SimError::not_found()
}
