//! Small pieces shared by many pages.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows the error of the last submission of a form, if it failed. Works without
/// JavaScript: the server action picks a no-JS submission's error up from the URL.
#[component]
pub fn FormError<T>(#[prop(into)] result: Signal<Option<Result<T, AppError>>>) -> impl IntoView
where
    T: Send + Sync + 'static,
{
    move || {
        result.with(|value| match value {
            Some(Err(error)) => Some(view! {
                <p class="form-error" role="alert">
                    {error.to_string()}
                </p>
            }),
            _ => None,
        })
    }
}

/// Whether Lanyard talks to its built-in JumpCloud simulator. Reads no session and no
/// database: the banner on every page must not cost a query.
#[server(endpoint = "demo_mode")]
pub async fn get_demo_mode() -> Result<bool, AppError> {
    crate::error::with_http_status(crate::state::app_state().map(|state| state.demo.is_some()))
}

/// Marks every page while Lanyard runs against its built-in JumpCloud simulator. Mounted
/// once above the routes, so navigation does not fetch it again.
#[component]
pub fn DemoBanner() -> impl IntoView {
    let mode = Resource::new(|| (), |_| get_demo_mode());
    let demo = move || mode.get().is_some_and(|demo| demo.unwrap_or(false));
    view! {
        <Transition>
            <Show when=demo>
                <div class="demo-banner" role="status">
                    "Demo data: simulated JumpCloud. Changes stay inside this Lanyard installation."
                </div>
            </Show>
        </Transition>
    }
}

#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <section class="panel error-panel" role="alert">
            <h2>"This page could not be loaded"</h2>
            <p>{error.to_string()}</p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <a href="/">"Back to the dashboard"</a>
            </section>
        </main>
    }
}
