//! Everything a request handler needs, shared by the router and server functions.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;

use crate::db::Db;
use crate::error::AppError;
use crate::vault::Vault;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub jumpcloud: jumpcloud::Client,
    /// Seals and opens JumpCloud credentials stored in the database.
    pub vault: Vault,
    /// The time request rules read (moved forward by tests).
    pub clock: crate::clock::Clock,
    /// Wakes this instance's job worker when work was queued (other instances find it on
    /// their next interval).
    pub work_queued: std::sync::Arc<tokio::sync::Notify>,
    pub login_throttle: std::sync::Arc<crate::auth::throttle::LoginThrottle>,
    /// The OpenID Connect provider for single sign-on, when one is configured.
    pub sso: Option<crate::sso::SsoProvider>,
    /// The users pages' short JumpCloud cache and one-time handoffs.
    pub users: std::sync::Arc<crate::users::UsersState>,
    /// The overview's per-organization figures and the loads under way.
    pub overview: std::sync::Arc<crate::overview::OverviewCache>,
    /// Notification email, when an SMTP server is configured.
    pub mailer: Option<crate::notifications::mail::Mailer>,
    /// For webhooks.
    pub http: reqwest::Client,
    /// `LANYARD_PUBLIC_URL` without its trailing slash: links in notifications.
    pub public_url: Option<String>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The application state inside a server function.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}
