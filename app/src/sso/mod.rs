//! Single sign-on with an OpenID Connect provider: whether it is configured, the login
//! page's "Sign in with SSO" link and its failure messages. The protocol itself (the
//! `/auth/oidc/*` routes) lives in the server crate; with `ssr`, [`admission`] decides
//! which account a verified identity signs in as.

#[cfg(feature = "ssr")]
pub mod admission;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The OpenID Connect provider as Settings → Single sign-on shows it: never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoProvider {
    pub issuer: String,
    pub client_id: String,
    /// The URL to register at the provider.
    pub redirect_url: String,
}

/// Why a single sign-on attempt ended back on the login page. The server puts
/// [`SsoFailure::code`] in `/login?error=`; the page shows [`SsoFailure::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoFailure {
    /// Discovery or the token exchange failed: the provider is down or misconfigured.
    Unavailable,
    /// The provider reported an error, e.g. the person cancelled.
    Refused,
    /// No sign-in was pending in this browser, or its state did not match.
    Expired,
    /// The ID token failed verification.
    InvalidToken,
    /// The provider sent no email, or says it is not verified.
    NoVerifiedEmail,
    /// No account, and no organization admits this email automatically.
    NotSetUp,
    /// The account exists but is disabled.
    Disabled,
    /// The account with this email is linked to a different SSO identity.
    LinkedElsewhere,
    /// Something failed on Lanyard's side.
    Internal,
}

impl SsoFailure {
    const ALL: [SsoFailure; 9] = [
        SsoFailure::Unavailable,
        SsoFailure::Refused,
        SsoFailure::Expired,
        SsoFailure::InvalidToken,
        SsoFailure::NoVerifiedEmail,
        SsoFailure::NotSetUp,
        SsoFailure::Disabled,
        SsoFailure::LinkedElsewhere,
        SsoFailure::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SsoFailure::Unavailable => "sso_unavailable",
            SsoFailure::Refused => "sso_refused",
            SsoFailure::Expired => "sso_expired",
            SsoFailure::InvalidToken => "sso_invalid_token",
            SsoFailure::NoVerifiedEmail => "sso_no_verified_email",
            SsoFailure::NotSetUp => "sso_not_set_up",
            SsoFailure::Disabled => "sso_disabled",
            SsoFailure::LinkedElsewhere => "sso_linked_elsewhere",
            SsoFailure::Internal => "sso_internal",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        SsoFailure::ALL
            .into_iter()
            .find(|failure| failure.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            SsoFailure::Unavailable => {
                "Single sign-on is unavailable: the identity provider could not be reached. Try again later or sign in with a password."
            }
            SsoFailure::Refused => "The identity provider did not sign you in.",
            SsoFailure::Expired => {
                "That sign-in attempt expired or came from another browser. Please try again."
            }
            SsoFailure::InvalidToken => "The identity provider's answer could not be verified.",
            SsoFailure::NoVerifiedEmail => {
                "The identity provider did not confirm a verified email address for you."
            }
            SsoFailure::NotSetUp => "Your account is not set up in Lanyard; ask an administrator.",
            SsoFailure::Disabled => "Your Lanyard account is disabled; ask an administrator.",
            SsoFailure::LinkedElsewhere => {
                "The Lanyard account with your email is linked to a different single sign-on identity; ask an administrator."
            }
            SsoFailure::Internal => {
                "Something went wrong on our side; the details are in the server log."
            }
        }
    }

    /// The login page URL that shows this failure.
    pub fn login_url(self) -> String {
        format!("/login?error={}", self.code())
    }
}

/// Whether the login page offers single sign-on. Public, like the login page.
#[server(endpoint = "sso_enabled")]
pub async fn get_sso_enabled() -> Result<bool, AppError> {
    crate::error::with_http_status(sso_enabled())
}

#[cfg(feature = "ssr")]
fn sso_enabled() -> Result<bool, AppError> {
    Ok(crate::state::app_state()?.sso.is_some())
}

/// Where the SSO link starts, carrying `next` (the server keeps only local paths).
pub fn start_url(next: &str) -> String {
    if next.is_empty() {
        "/auth/oidc/start".to_string()
    } else {
        format!(
            "/auth/oidc/start?next={}",
            utf8_percent_encode(next, NON_ALPHANUMERIC)
        )
    }
}

/// The login page's single sign-on part: why the last attempt failed, and the link when
/// SSO is configured. `rel="external"` keeps the hydrated router from handling the link
/// itself: `/auth/oidc/start` is a server route, not a page.
#[component]
pub fn SsoSignIn(#[prop(into)] next: Signal<String>) -> impl IntoView {
    let enabled = Resource::new(|| (), |_| get_sso_enabled());
    let query = use_query_map();
    let failure = move || {
        query
            .read()
            .get("error")
            .and_then(|code| SsoFailure::parse(&code))
    };
    let offered = move || {
        enabled
            .get()
            .is_some_and(|enabled| enabled.unwrap_or(false))
    };
    view! {
        {move || {
            failure()
                .map(|failure| {
                    view! {
                        <p class="form-error" role="alert">
                            {failure.message()}
                        </p>
                    }
                })
        }}
        <Transition>
            <Show when=offered>
                <p class="sso">
                    <a class="button" rel="external" href=move || start_url(&next.get())>
                        "Sign in with SSO"
                    </a>
                </p>
            </Show>
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_round_trip_and_unknown_codes_show_nothing() {
        for failure in SsoFailure::ALL {
            assert_eq!(SsoFailure::parse(failure.code()), Some(failure));
        }
        assert_eq!(SsoFailure::parse("<script>"), None);
    }

    #[test]
    fn the_start_url_carries_next_encoded() {
        assert_eq!(start_url(""), "/auth/oidc/start");
        assert_eq!(
            start_url("/o/acme?tab=1"),
            "/auth/oidc/start?next=%2Fo%2Facme%3Ftab%3D1"
        );
    }
}
