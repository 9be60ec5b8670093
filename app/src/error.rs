//! The one error type that crosses the web boundary.
//!
//! Server functions return `Result<T, AppError>`, so pages receive a typed error and show
//! its message. Internal causes (SQL, I/O, JumpCloud transport details) are logged on the
//! server where they are converted and never reach the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// Input that failed validation; the message says what to fix.
    #[error("{0}")]
    BadRequest(String),
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Wrong email or password.")]
    InvalidCredentials,
    #[error("Too many sign-in attempts. Wait a minute and try again.")]
    TooManyAttempts,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// JumpCloud refused or failed; the message is JumpCloud's, made readable.
    #[error("JumpCloud: {0}")]
    JumpCloud(String),
    #[error("Something went wrong on our side; the details are in the server log.")]
    Internal,
    /// The request did not reach the server function intact (network, bad form encoding).
    #[error("The request could not be processed: {0}")]
    Request(String),
}

impl AppError {
    /// The HTTP status this error maps to for API clients (see [`with_http_status`]).
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) | AppError::Request(_) => 400,
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts => 429,
            AppError::JumpCloud(_) => 502,
            AppError::Internal => 500,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}

/// The one place server-function errors get their HTTP status: every server function
/// passes its result through here. A plain HTML form post keeps the redirect back to its
/// form (that is how the error reaches a page without JavaScript); any other caller gets
/// the variant's status instead of a blanket 500.
#[cfg(feature = "ssr")]
pub fn with_http_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    use axum::http::StatusCode;
    use axum::http::header::ACCEPT;
    use axum::http::request::Parts;
    use leptos::prelude::use_context;

    if let Err(error) = &result {
        let form_post = use_context::<Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
        });
        if !form_post
            && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = StatusCode::from_u16(error.status())
        {
            response.set_status(status);
        }
    }
    result
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    /// For plain axum handlers (exports): the variant's status and its message.
    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            let status = axum::http::StatusCode::from_u16(self.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, self.to_string()).into_response()
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            if let sqlx::Error::Database(db) = &error {
                if db.is_unique_violation() {
                    return AppError::Conflict("That already exists.".into());
                }
                // Postgres refuses NUL characters in text (`invalid byte sequence`); no
                // form has a use for them.
                if db.code().as_deref() == Some("22021") {
                    return AppError::bad_request("Text may not contain NUL characters.");
                }
            }
            tracing::error!(%error, "database error");
            AppError::Internal
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        fn from(error: tower_sessions::session::Error) -> Self {
            tracing::error!(%error, "session store error");
            AppError::Internal
        }
    }

    impl From<jumpcloud::Error> for AppError {
        fn from(error: jumpcloud::Error) -> Self {
            use jumpcloud::Error as Jc;
            match &error {
                Jc::NotFound(_) => AppError::NotFound("The JumpCloud object".into()),
                // The input was refused (by JumpCloud, or by the client before sending):
                // the caller's to fix, not a failure of JumpCloud.
                Jc::BadRequest(message) => {
                    AppError::BadRequest(format!("JumpCloud refused it: {message}"))
                }
                Jc::Conflict(message) => AppError::Conflict(format!("JumpCloud: {message}")),
                Jc::Transport(_) | Jc::Decode(_) | Jc::Timeout => {
                    tracing::warn!(%error, "JumpCloud call failed");
                    AppError::JumpCloud(error.to_string())
                }
                _ => AppError::JumpCloud(error.to_string()),
            }
        }
    }
}
