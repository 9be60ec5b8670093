//! Signing in and out of the dashboard, and who the current visitor is.

#[cfg(feature = "ssr")]
pub mod accounts;
mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod render_lookups;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use pages::{LoginPage, LogoutButton};

/// What the browser may know about the signed-in account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInAccount {
    pub email: String,
    pub display_name: String,
    /// Owners see the installation settings.
    pub is_owner: bool,
    /// The organizations this account may enter, for the org switcher.
    pub orgs: Vec<crate::tenants::OrgEntry>,
}

#[server(endpoint = "session_info")]
pub async fn get_signed_in_account() -> Result<Option<SignedInAccount>, AppError> {
    crate::error::with_http_status(signed_in_account().await)
}

#[cfg(feature = "ssr")]
async fn signed_in_account() -> Result<Option<SignedInAccount>, AppError> {
    let state = crate::state::app_state()?;
    let Some(account) = session::current_account(&state).await? else {
        return Ok(None);
    };
    let orgs = crate::tenants::orgs::visible_to(&state.db, &account)
        .await?
        .into_iter()
        .map(|(org, role)| crate::tenants::OrgEntry {
            slug: org.slug,
            name: org.name,
            role,
            is_default: org.is_default,
        })
        .collect();
    Ok(Some(SignedInAccount {
        is_owner: account.role == accounts::InstallationRole::Owner,
        email: account.email,
        display_name: account.display_name,
        orgs,
    }))
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    crate::error::with_http_status(sign_in_with_password(email, password, next).await)
}

#[cfg(feature = "ssr")]
async fn sign_in_with_password(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let email = crate::email::Email::parse(&email)?;
    let address = client_address().await;
    let attempt = |action: &'static str, result: &'static str, summary: String| {
        let db = state.db.clone();
        let email = email.to_string();
        async move {
            crate::audit::record(
                &db,
                crate::audit::Event {
                    actor: &email,
                    org_id: None,
                    action,
                    target: &email,
                    summary: &summary,
                    result,
                },
            )
            .await
        }
    };
    let from = address.map(|ip| format!(" from {ip}")).unwrap_or_default();
    if let Err(error) = state.login_throttle.check(email.as_str(), address) {
        attempt(
            "login.throttled",
            "refused",
            format!("sign-in throttled{from}"),
        )
        .await?;
        return Err(error);
    }
    let account = match accounts::authenticate(&state.db, &email, &password).await {
        Err(AppError::InvalidCredentials) => {
            tracing::warn!(%email, "failed login");
            state.login_throttle.record_failure(email.as_str(), address);
            attempt(
                "login.failed",
                "refused",
                format!("wrong email or password{from}"),
            )
            .await?;
            return Err(AppError::InvalidCredentials);
        }
        other => other?,
    };
    attempt(
        "login.succeeded",
        "ok",
        format!("signed in with a password{from}"),
    )
    .await?;
    session::sign_in(
        &session::current_session().await?,
        &account,
        state.clock.now(),
    )
    .await?;
    tracing::info!(%email, "signed in");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// The connecting client's address (the direct peer: a reverse proxy's address when
/// Lanyard runs behind one).
#[cfg(feature = "ssr")]
async fn client_address() -> Option<std::net::IpAddr> {
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|info| info.0.ip())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::error::with_http_status(sign_out().await)
}

#[cfg(feature = "ssr")]
async fn sign_out() -> Result<(), AppError> {
    session::sign_out(&session::current_session().await?).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Where to go after signing in: only a path on this site, never another host
/// (`//evil.example` and `/\evil.example` are host-relative URLs to browsers).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The visitor's session, loaded once per mounted component. Pages load it themselves
/// rather than share one resource, so that navigating after a sign-in or sign-out always
/// sees the new state.
pub fn session_resource() -> Resource<Result<Option<SignedInAccount>, AppError>> {
    Resource::new(|| (), |_| get_signed_in_account())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_limited_to_local_paths() {
        assert_eq!(safe_next(Some("/users?q=a")), "/users?q=a");
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "users",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
