//! The HTTP surface: Leptos pages and server functions, health checks, static assets.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list, render_app_async_with_context};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::shell::STYLESHEET_PATH;
use app::state::AppState;
use app::{App, shell};

use crate::config::Settings;
use crate::sessions::Store;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lanyard_session";

pub fn router(state: AppState, store: Store, settings: &Settings, hydrate: bool) -> Router {
    let options = state.leptos_options.clone();
    let page = move || shell(options.clone(), hydrate);
    let not_found = {
        let state = state.clone();
        render_app_async_with_context(move || provide_context(state.clone()), page.clone())
    };
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(
            settings.session_idle_minutes,
        ))));
    let bundle = ServeDir::new(Path::new(&settings.site_root).join("pkg"));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(STYLESHEET_PATH, get(stylesheet))
        .nest_service("/pkg", bundle)
        .leptos_routes(&state, generate_route_list(App), page)
        .fallback(move |request: Request<Body>| not_found(request))
        .layer(sessions)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve requests: its database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../style/lanyard.css"),
    )
}
