//! Single sign-on with an OpenID Connect provider (JumpCloud or any standard one):
//! authorization code flow with PKCE; state, nonce and verifier kept in the visitor's
//! session; the ID token verified (signature, issuer, audience, expiry, nonce, access
//! token hash). Which account the person signs in as is `app::sso::admission`'s decision.
//!
//! Discovery is lazy and cached, so Lanyard starts (and password sign-in works) while the
//! provider is down; the login page then says single sign-on is unavailable.
//!
//! Email verification: an explicit `email_verified: false` is refused. A provider that
//! does not send the claim at all is trusted for the address it asserts (JumpCloud and
//! many directory-backed providers only issue addresses their administrators set).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Redirect;
use axum::routing::get;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, reqwest,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tower_sessions::Session;

use app::auth::{safe_next, session};
use app::email::Email;
use app::sso::admission::{self, SsoIdentity};
use app::sso::{SsoFailure, SsoProvider};
use app::state::AppState;

use crate::config::OidcSettings;

/// How long discovered metadata (endpoints and signing keys) is reused. A failed ID token
/// verification drops it early, so rotated keys are picked up at the next attempt.
const DISCOVERY_TTL: Duration = Duration::from_secs(600);
/// Session key of the sign-in in progress.
const PENDING: &str = "oidc_pending";
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A client built from discovery: authorization URL set, token and userinfo URLs as the
/// provider advertises them.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum OidcConfigError {
    #[error(
        "LANYARD_OIDC_ISSUER is set but LANYARD_OIDC_CLIENT_ID is not: single sign-on needs both"
    )]
    MissingClientId,
    #[error(
        "LANYARD_OIDC_CLIENT_ID or LANYARD_OIDC_CLIENT_SECRET is set but LANYARD_OIDC_ISSUER is not: single sign-on needs the issuer"
    )]
    MissingIssuer,
    #[error("LANYARD_OIDC_ISSUER is not a URL: {0}")]
    BadIssuer(String),
    #[error("the single sign-on redirect URL {0:?} is not a URL (check LANYARD_PUBLIC_URL)")]
    BadRedirect(String),
    #[error("cannot create the HTTP client for single sign-on: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// The configured provider and what was discovered about it. Cheap to clone.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    /// Besides `openid`, which the library always sends.
    scopes: Vec<Scope>,
    redirect_url: RedirectUrl,
    http: reqwest::Client,
    discovered: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl Oidc {
    /// `None` when single sign-on is not configured; an error when it is half configured.
    pub fn from_settings(
        settings: &OidcSettings,
        redirect_url: String,
    ) -> Result<Option<Self>, OidcConfigError> {
        let client_id = settings.client_id.as_deref().filter(|id| !id.is_empty());
        let issuer = match (settings.issuer.as_deref(), client_id) {
            (None, None) if settings.client_secret.is_none() => return Ok(None),
            (None, _) => return Err(OidcConfigError::MissingIssuer),
            (Some(_), None) => return Err(OidcConfigError::MissingClientId),
            (Some(issuer), Some(_)) => issuer,
        };
        let issuer = IssuerUrl::new(issuer.to_string())
            .map_err(|error| OidcConfigError::BadIssuer(error.to_string()))?;
        let redirect_url = RedirectUrl::new(redirect_url.clone())
            .map_err(|_| OidcConfigError::BadRedirect(redirect_url))?;
        // Following redirects would let a hostile discovery document point Lanyard's
        // requests anywhere (SSRF).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(OidcConfigError::HttpClient)?;
        Ok(Some(Oidc {
            inner: Arc::new(Inner {
                issuer,
                client_id: ClientId::new(client_id.unwrap_or_default().to_string()),
                client_secret: settings
                    .client_secret
                    .clone()
                    .filter(|secret| !secret.is_empty())
                    .map(ClientSecret::new),
                scopes: settings
                    .scopes
                    .split_whitespace()
                    .filter(|scope| *scope != "openid")
                    .map(|scope| Scope::new(scope.to_string()))
                    .collect(),
                redirect_url,
                http,
                discovered: Mutex::new(None),
            }),
        }))
    }

    /// What the settings page may show.
    pub fn provider(&self) -> SsoProvider {
        SsoProvider {
            issuer: self.inner.issuer.to_string(),
            client_id: self.inner.client_id.to_string(),
            redirect_url: self.inner.redirect_url.to_string(),
        }
    }

    pub fn is_public_client(&self) -> bool {
        self.inner.client_secret.is_none()
    }

    /// A client from the cached metadata, discovering it first when it is missing or old.
    /// The lock is held across discovery so that a burst of sign-ins fetches it once.
    async fn client(&self) -> Result<DiscoveredClient, SsoFailure> {
        let mut discovered = self.inner.discovered.lock().await;
        let metadata = match discovered.as_ref() {
            Some((at, metadata)) if at.elapsed() < DISCOVERY_TTL => metadata.clone(),
            _ => {
                let metadata =
                    CoreProviderMetadata::discover_async(self.inner.issuer.clone(), &self.inner.http)
                        .await
                        .map_err(|error| {
                            tracing::warn!(issuer = %self.inner.issuer, error = %error_chain(&error), "OpenID Connect discovery failed");
                            SsoFailure::Unavailable
                        })?;
                *discovered = Some((Instant::now(), metadata.clone()));
                metadata
            }
        };
        Ok(CoreClient::from_provider_metadata(
            metadata,
            self.inner.client_id.clone(),
            self.inner.client_secret.clone(),
        )
        .set_redirect_uri(self.inner.redirect_url.clone()))
    }

    async fn forget_discovery(&self) {
        *self.inner.discovered.lock().await = None;
    }
}

/// The sign-in a browser started, kept in its session until the provider sends it back.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    state: String,
    nonce: String,
    pkce_verifier: String,
    next: String,
}

#[derive(Clone)]
struct SsoRoutes {
    oidc: Oidc,
    app: AppState,
}

/// `/auth/oidc/start` and `/auth/oidc/callback`; they need the session layer around them.
/// Where single sign-on starts and where the provider sends the browser back.
pub const PATHS: [&str; 2] = ["/auth/oidc/start", "/auth/oidc/callback"];

pub fn routes(oidc: Oidc, app: AppState) -> Router<AppState> {
    let [start_path, callback_path] = PATHS;
    Router::new()
        .route(start_path, get(start))
        .route(callback_path, get(callback))
        .with_state(SsoRoutes { oidc, app })
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(routes): State<SsoRoutes>,
    session: Session,
    Query(query): Query<StartQuery>,
) -> Redirect {
    match begin(&routes.oidc, &session, query.next.as_deref()).await {
        Ok(authorization_url) => Redirect::to(&authorization_url),
        Err(failure) => Redirect::to(&failure.login_url()),
    }
}

async fn begin(oidc: &Oidc, session: &Session, next: Option<&str>) -> Result<String, SsoFailure> {
    let client = oidc.client().await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scopes(oidc.inner.scopes.iter().cloned())
        .set_pkce_challenge(challenge)
        .url();
    let pending = PendingLogin {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next: safe_next(next),
    };
    session.insert(PENDING, pending).await.map_err(|error| {
        tracing::error!(%error, "cannot store the pending sign-in in the session");
        SsoFailure::Internal
    })?;
    Ok(url.to_string())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(routes): State<SsoRoutes>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Redirect {
    match finish(&routes, &session, query).await {
        Ok(next) => Redirect::to(&next),
        Err(failure) => Redirect::to(&failure.login_url()),
    }
}

async fn finish(
    routes: &SsoRoutes,
    session: &Session,
    query: CallbackQuery,
) -> Result<String, SsoFailure> {
    // Taken out, not read: a callback URL works once.
    let pending = session
        .remove::<PendingLogin>(PENDING)
        .await
        .map_err(|error| {
            tracing::error!(%error, "cannot read the pending sign-in from the session");
            SsoFailure::Internal
        })?
        .ok_or_else(|| {
            tracing::warn!("SSO callback without a sign-in pending in this session");
            SsoFailure::Expired
        })?;
    if let Some(error) = query.error {
        tracing::warn!(%error, description = ?query.error_description, "the OpenID Connect provider refused the sign-in");
        return Err(SsoFailure::Refused);
    }
    if !query
        .state
        .is_some_and(|state| same_secret(&state, &pending.state))
    {
        tracing::warn!("SSO callback with a state that does not match this session's");
        return Err(SsoFailure::Expired);
    }
    let code = query.code.ok_or(SsoFailure::Refused)?;
    let identity = verified_identity(&routes.oidc, code, &pending).await?;
    let account = match admission::admit(&routes.app, &identity).await {
        Ok(account) => account,
        Err(error) => {
            tracing::warn!(email = %identity.email, %error, "SSO sign-in refused");
            audit_sign_in(
                routes,
                identity.email.as_str(),
                "login.sso_refused",
                "refused",
                &error.to_string(),
            )
            .await;
            return Err(error.failure());
        }
    };
    let now = routes.app.clock.now();
    session::sign_in(session, &account, now)
        .await
        .map_err(|error| {
            tracing::error!(%error, "cannot sign the SSO user in");
            SsoFailure::Internal
        })?;
    tracing::info!(email = %account.email, "signed in with SSO");
    audit_sign_in(
        routes,
        &account.email,
        "login.succeeded",
        "ok",
        "signed in with SSO",
    )
    .await;
    Ok(safe_next(Some(&pending.next)))
}

/// SSO sign-ins go to the audit log like password ones. A failure to write it is logged
/// and does not change the outcome of the sign-in, which already happened at the IdP.
async fn audit_sign_in(routes: &SsoRoutes, email: &str, action: &str, result: &str, summary: &str) {
    let event = app::audit::Event {
        actor: email,
        org_id: None,
        action,
        target: email,
        summary,
        result,
    };
    if let Err(error) = app::audit::record(&routes.app.db, event).await {
        tracing::error!(%error, "cannot record the SSO sign-in in the audit log");
    }
}

/// Exchanges the code (with the PKCE verifier), verifies the ID token and returns who the
/// provider says this is, with a verified email.
async fn verified_identity(
    oidc: &Oidc,
    code: String,
    pending: &PendingLogin,
) -> Result<SsoIdentity, SsoFailure> {
    let client = oidc.client().await?;
    let http = &oidc.inner.http;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|error| {
            tracing::warn!(%error, "the OpenID Connect provider advertises no token endpoint");
            SsoFailure::Unavailable
        })?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|error| {
            tracing::warn!(error = %error_chain(&error), "the OpenID Connect code exchange failed");
            SsoFailure::Unavailable
        })?;
    let id_token = tokens.id_token().ok_or_else(|| {
        tracing::warn!("the OpenID Connect provider returned no ID token");
        SsoFailure::InvalidToken
    })?;
    let verifier = client.id_token_verifier();
    let claims: &CoreIdTokenClaims =
        match id_token.claims(&verifier, &Nonce::new(pending.nonce.clone())) {
            Ok(claims) => claims,
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), "ID token verification failed");
                oidc.forget_discovery().await;
                return Err(SsoFailure::InvalidToken);
            }
        };
    if let Some(expected) = claims.access_token_hash() {
        let actual = id_token
            .signing_alg()
            .ok()
            .zip(id_token.signing_key(&verifier).ok())
            .and_then(|(alg, key)| {
                AccessTokenHash::from_token(tokens.access_token(), alg, key).ok()
            });
        if actual.as_ref() != Some(expected) {
            tracing::warn!("the ID token's at_hash does not match the access token");
            return Err(SsoFailure::InvalidToken);
        }
    }

    let subject = claims.subject().to_string();
    let mut email = claims
        .email()
        .map(|email| (email.to_string(), claims.email_verified()));
    let mut name = claims
        .name()
        .and_then(|name| name.get(None))
        .map(|name| name.to_string());
    // Providers that follow the spec strictly (oidc-provider, for one) put profile and
    // email claims only in the userinfo response of a code flow.
    if email.is_none() {
        let info = userinfo(&client, http, tokens.access_token().clone(), claims).await?;
        email = info
            .email()
            .map(|email| (email.to_string(), info.email_verified()));
        name = name.or_else(|| {
            info.name()
                .and_then(|name| name.get(None))
                .map(|name| name.to_string())
        });
    }
    let email = match email {
        Some((_, Some(false))) | None => {
            tracing::warn!(%subject, "SSO sign-in without a verified email");
            return Err(SsoFailure::NoVerifiedEmail);
        }
        Some((email, _)) => Email::parse(&email).map_err(|_| SsoFailure::NoVerifiedEmail)?,
    };
    Ok(SsoIdentity {
        display_name: name
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| email.to_string()),
        subject,
        email,
    })
}

async fn userinfo(
    client: &DiscoveredClient,
    http: &reqwest::Client,
    access_token: openidconnect::AccessToken,
    claims: &CoreIdTokenClaims,
) -> Result<CoreUserInfoClaims, SsoFailure> {
    let request = client
        .user_info(access_token, Some(claims.subject().clone()))
        .map_err(|_| {
            tracing::warn!("no email in the ID token and no userinfo endpoint to ask");
            SsoFailure::NoVerifiedEmail
        })?;
    request.request_async(http).await.map_err(|error| {
        tracing::warn!(error = %error_chain(&error), "the OpenID Connect userinfo request failed");
        SsoFailure::Unavailable
    })
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

/// An error with its causes, for logs: the library's top-level messages are terse
/// ("Request failed") and the reason is further down.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(issuer: Option<&str>, client_id: Option<&str>) -> OidcSettings {
        OidcSettings {
            issuer: issuer.map(str::to_string),
            client_id: client_id.map(str::to_string),
            client_secret: None,
            scopes: "openid email profile".into(),
        }
    }

    const REDIRECT: &str = "http://127.0.0.1:3000/auth/oidc/callback";

    #[test]
    fn single_sign_on_is_all_or_nothing() {
        assert!(
            Oidc::from_settings(&settings(None, None), REDIRECT.into())
                .unwrap()
                .is_none()
        );
        let error = Oidc::from_settings(
            &settings(Some("https://idp.example"), None),
            REDIRECT.into(),
        )
        .err()
        .unwrap();
        assert!(
            error.to_string().contains("LANYARD_OIDC_CLIENT_ID"),
            "{error}"
        );
        let error = Oidc::from_settings(&settings(None, Some("lanyard")), REDIRECT.into())
            .err()
            .unwrap();
        assert!(error.to_string().contains("LANYARD_OIDC_ISSUER"), "{error}");
        let error = Oidc::from_settings(
            &settings(Some("not a url"), Some("lanyard")),
            REDIRECT.into(),
        )
        .err()
        .unwrap();
        assert!(error.to_string().contains("LANYARD_OIDC_ISSUER"), "{error}");
    }

    #[test]
    fn the_configured_provider_is_shown_without_its_secret() {
        let mut with_secret = settings(Some("https://idp.example/"), Some("lanyard"));
        with_secret.client_secret = Some("hunter2-hunter2".into());
        let oidc = Oidc::from_settings(&with_secret, REDIRECT.into())
            .unwrap()
            .unwrap();
        let provider = oidc.provider();
        assert_eq!(provider.issuer, "https://idp.example/");
        assert_eq!(provider.client_id, "lanyard");
        assert_eq!(provider.redirect_url, REDIRECT);
        assert!(!format!("{provider:?}").contains("hunter2"));
        assert!(!oidc.is_public_client());
        let scopes: Vec<String> = oidc
            .inner
            .scopes
            .iter()
            .map(|scope| scope.to_string())
            .collect();
        assert_eq!(scopes, ["email", "profile"]);
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
