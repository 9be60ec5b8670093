use std::time::Duration;

/// What can go wrong talking to JumpCloud, by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The key or token was refused (including "api key user not found": the key was
    /// rotated or its admin removed) or a multi-tenant key was sent without an org.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("rate limited by JumpCloud")]
    RateLimited { retry_after: Option<Duration> },
    /// JumpCloud rejected the request; the message is JumpCloud's.
    #[error("{0}")]
    BadRequest(String),
    #[error("JumpCloud server error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("JumpCloud did not answer in time")]
    Timeout,
    #[error("could not reach JumpCloud: {0}")]
    Transport(String),
    #[error("unexpected response from JumpCloud: {0}")]
    Decode(String),
}

impl Error {
    /// Whether a retry of an idempotent request may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Server { .. } | Error::Timeout | Error::Transport(_)
        )
    }

    pub(crate) fn from_status(status: u16, body: &str, retry_after: Option<Duration>) -> Self {
        let message = error_message(body).unwrap_or_else(|| {
            if body.trim().is_empty() {
                format!("HTTP {status}")
            } else {
                body.chars().take(300).collect()
            }
        });
        match status {
            400 | 422 => Error::BadRequest(message),
            401 => Error::Unauthorized(message),
            403 => Error::Forbidden(message),
            404 => Error::NotFound(message),
            409 => Error::Conflict(message),
            429 => Error::RateLimited { retry_after },
            _ => Error::Server { status, message },
        }
    }
}

/// JumpCloud's error bodies come as `{message}`, `{code, message, status}` (v1) or
/// `{error: "..."}`; take whichever message is there.
fn error_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    ["message", "error"]
        .iter()
        .find_map(|key| value.get(key).and_then(|v| v.as_str()))
        .map(str::to_string)
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Error::Timeout
        } else if error.is_decode() {
            Error::Decode(error.to_string())
        } else {
            Error::Transport(error.to_string())
        }
    }
}
