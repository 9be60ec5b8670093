//! The HTTP surface: Leptos pages and server functions, health checks, static assets.

use std::path::Path;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get};
use axum::{Router, middleware};
use leptos::prelude::provide_context;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, generate_route_list, render_app_async_with_context,
};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::auth::render_lookups::RenderLookups;
use app::shell::STYLESHEET_PATH;
use app::state::AppState;
use app::{App, shell};

use crate::config::Settings;
use crate::hardening::{self, Hardening};
use crate::input_errors;
use crate::oidc::{self, Oidc};
use crate::sessions::Store;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lanyard_session";

pub fn router(
    state: AppState,
    store: Store,
    settings: &Settings,
    hydrate: bool,
    oidc: Option<Oidc>,
) -> Router {
    let options = state.leptos_options.clone();
    let page = move || shell(options.clone(), hydrate);
    let not_found = {
        let state = state.clone();
        render_app_async_with_context(
            move || {
                provide_context(state.clone());
                provide_context(RenderLookups::default());
            },
            page.clone(),
        )
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
    let hardening = Hardening {
        public_authority: settings.public_authority(),
        https: settings.secure_cookies(),
    };
    let single_sign_on = match oidc {
        Some(oidc) => oidc::routes(oidc, state.clone()),
        None => Router::new(),
    };

    let hooks = if settings.test_hooks {
        Router::new().route(
            "/test-hooks/advance-clock",
            axum::routing::post(advance_clock),
        )
    } else {
        Router::new()
    };
    let plain = plain_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        });
    Router::new()
        .merge(hooks)
        .merge(plain)
        .nest_service("/pkg", bundle)
        .merge(single_sign_on)
        .leptos_routes_with_context(
            &state,
            route_list(),
            || provide_context(RenderLookups::default()),
            page,
        )
        .fallback(move |request: Request<Body>| not_found(request))
        .layer(sessions)
        .layer(middleware::from_fn(
            input_errors::malformed_input_is_a_bad_request,
        ))
        .layer(middleware::from_fn_with_state(
            hardening.clone(),
            hardening::same_site_writes,
        ))
        .layer(middleware::from_fn_with_state(
            hardening,
            hardening::security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The routes outside leptos: probes, the stylesheet, and downloads streamed as files
/// (each behind the same organization gate as the pages).
fn plain_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/healthz", get(healthz)),
        ("/readyz", get(readyz)),
        (STYLESHEET_PATH, get(stylesheet)),
        (
            "/o/{org}/users/export.csv",
            get(app::users::export::export_csv),
        ),
        (
            "/o/{org}/users/export.json",
            get(app::users::export::export_json),
        ),
        (
            "/o/{org}/audit/export.csv",
            get(app::audit::export::export_csv),
        ),
        (
            "/o/{org}/reviews/{id}/report.csv",
            get(app::reviews::report::report_csv),
        ),
        ("/o/{org}/devices/fleet.csv", get(app::devices::fleet_csv)),
    ]
}

/// Every GET path the router serves (pages, downloads, probes, single sign-on) in
/// axum's `{param}` form, for the test that tries each one as every kind of caller. Server functions are listed by `server_fn_paths`.
pub fn route_paths() -> Vec<String> {
    let pages = route_list()
        .into_iter()
        .map(|route| route.path().to_string());
    let plain = plain_routes().into_iter().map(|(path, _)| path.to_string());
    pages
        .chain(plain)
        .chain(oidc::PATHS.iter().map(|path| path.to_string()))
        .collect()
}

/// The app's routes, generated once per process. Generating them switches off resource
/// loading process-wide (leptos's `SuppressResourceLoad` is a global flag), so a second
/// generation while another router in the process renders a page (tests run many
/// servers in one process) would leave that page waiting forever.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

#[derive(serde::Deserialize)]
struct Advance {
    seconds: i64,
}

/// Test hook (only with `LANYARD_TEST_HOOKS`): moves the clock requests are judged by.
async fn advance_clock(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Query(advance): axum::extract::Query<Advance>,
) -> String {
    state.clock.advance(advance.seconds);
    state.work_queued.notify_one();
    state.clock.now().to_string()
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
