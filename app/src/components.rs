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

/// Whether Lanyard talks to its built-in JumpCloud simulator. Reads no session: it is
/// public, like the banner, and asked from the database so every instance agrees.
#[server(endpoint = "demo_mode")]
pub async fn get_demo_mode() -> Result<bool, AppError> {
    crate::error::with_http_status(demo_mode().await)
}

#[cfg(feature = "ssr")]
async fn demo_mode() -> Result<bool, AppError> {
    let state = crate::state::app_state()?;
    crate::tenants::connections::demo_mode(&state.db).await
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

/// A page that could not load: the message, and on the server the error's HTTP status
/// for the page itself (a forbidden or unknown organization is a 403/404 page, not a 200).
/// A visitor who is not signed in is left to the layout's redirect to the login page.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if error != AppError::Unauthenticated
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(error.status())
    {
        response.set_status(status);
    }
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

/// A small coloured label: state, lock, MFA. `tone` is one of `ok`, `warn`, `danger`,
/// `muted` (see lanyard.css).
#[component]
pub fn Badge(tone: &'static str, #[prop(into)] text: String) -> impl IntoView {
    view! { <span class=format!("badge {tone}")>{text}</span> }
}

/// "Showing 101–200 of 1,234" with previous/next links that keep the list's other
/// query parameters (`query` is the query string without `skip`). Plain links: paging
/// works without JavaScript and the URL stays shareable.
/// A query string of the given parameters, those with an empty value left out: a filter
/// carried to the pager's links, an export or a refresh link.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
pub fn Pager(
    path: String,
    query: String,
    skip: u64,
    limit: u64,
    shown: usize,
    total: Option<u64>,
) -> impl IntoView {
    let link = move |skip: u64| {
        let joiner = if query.is_empty() { "" } else { "&" };
        format!("{path}?{query}{joiner}skip={skip}")
    };
    let first = if shown == 0 { 0 } else { skip + 1 };
    let last = skip + shown as u64;
    let has_next = match total {
        Some(total) => last < total,
        None => shown as u64 == limit,
    };
    let summary = match total {
        Some(total) => format!("Showing {first}–{last} of {total}"),
        None => format!("Showing {first}–{last}"),
    };
    let previous = (skip > 0).then(|| link(skip.saturating_sub(limit)));
    let next = has_next.then(|| link(last));
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{summary}</span>
            {previous.map(|href| view! { <a href=href rel="prev">"← Previous"</a> })}
            {next.map(|href| view! { <a href=href rel="next">"Next →"</a> })}
        </nav>
    }
}

/// The input of a destructive form that must be confirmed by typing a name (a username,
/// a hostname). The server checks it with [`typed_confirmation`].
#[component]
pub fn TypedConfirmation(#[prop(into)] expected: String) -> impl IntoView {
    view! {
        <label>
            {format!("Type {expected} to confirm")}
            <input type="text" name="confirm" required autocomplete="off" spellcheck="false" />
        </label>
    }
}

/// Checks what was typed into a [`TypedConfirmation`].
pub fn typed_confirmation(typed: Option<&str>, expected: &str) -> Result<(), AppError> {
    if typed.map(str::trim) == Some(expected) {
        Ok(())
    } else {
        Err(AppError::bad_request(format!(
            "Type {expected} exactly to confirm; nothing was changed."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::typed_confirmation;

    #[test]
    fn typed_confirmation_must_match_exactly() {
        assert!(typed_confirmation(Some("jane.doe"), "jane.doe").is_ok());
        assert!(typed_confirmation(Some(" jane.doe "), "jane.doe").is_ok());
        assert!(typed_confirmation(Some("Jane.Doe"), "jane.doe").is_err());
        assert!(typed_confirmation(None, "jane.doe").is_err());
    }
}

/// One audit entry as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditLine {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub summary: String,
    pub result: String,
}

#[cfg(feature = "ssr")]
impl From<crate::audit::Entry> for AuditLine {
    fn from(entry: crate::audit::Entry) -> Self {
        AuditLine {
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            summary: entry.summary,
            result: entry.result,
        }
    }
}

#[component]
pub fn RecentChanges(audit: Vec<AuditLine>) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Recent changes in Lanyard"</h2>
            {if audit.is_empty() {
                view! { <p class="empty">"No change recorded yet."</p> }.into_any()
            } else {
                view! {
                    <ul aria-label="Recent changes">
                        {audit
                            .into_iter()
                            .map(|line| {
                                view! {
                                    <li>
                                        {crate::when::date(line.at)} " " {line.actor} " — "
                                        {line.summary} " (" {line.result} ")"
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
