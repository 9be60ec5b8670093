#![allow(clippy::unwrap_used)]
//! Single sign-on through the real app against a small OpenID Connect provider run in
//! the test: discovery, JWKS and a token endpoint that checks PKCE and signs RS256 ID
//! tokens. The browser's trip through the provider's login screens is the Playwright
//! test's job (against the certified `oidc-provider`); here the test plays the provider's
//! authorization endpoint itself and can forge what a hostile one would send.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenFields, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
    CoreTokenResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata,
    EmptyExtraTokenFields, EndUserEmail, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, PrivateSigningKey, ResponseTypes, StandardClaims,
    SubjectIdentifier, TokenUrl,
};
use serde_json::Value;
use url::Url;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, location, spawn_app_with};

const CLIENT_ID: &str = "lanyard-test";
const CLIENT_SECRET: &str = "lanyard-test-secret";
/// A throwaway key made for this test with `openssl genrsa -traditional 2048`.
const SIGNING_KEY: &str = include_str!("fixtures/oidc-test-signing-key.pem");

/// Who the provider says signed in.
#[derive(Clone)]
struct Person {
    subject: &'static str,
    email: String,
    email_verified: Option<bool>,
}

impl Person {
    fn new(subject: &'static str, email: &str) -> Self {
        Person {
            subject,
            email: email.to_string(),
            email_verified: Some(true),
        }
    }
}

struct Grant {
    person: Person,
    nonce: String,
    code_challenge: String,
}

#[derive(Clone)]
struct Provider {
    issuer: String,
    grants: Arc<Mutex<HashMap<String, Grant>>>,
}

impl Provider {
    async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let provider = Provider {
            issuer: format!("http://{}", listener.local_addr().unwrap()),
            grants: Arc::default(),
        };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        provider
    }

    /// Plays the authorization endpoint: checks the request Lanyard sent the browser to,
    /// and returns the callback URL (on Lanyard) the browser would be sent back to.
    fn authorize(&self, authorization_url: &str, person: Person) -> String {
        self.authorize_with_nonce(authorization_url, person, None)
    }

    fn authorize_with_nonce(
        &self,
        authorization_url: &str,
        person: Person,
        forged_nonce: Option<&str>,
    ) -> String {
        let url = Url::parse(authorization_url).unwrap();
        assert_eq!(
            url.as_str().split('?').next().unwrap(),
            format!("{}/authorize", self.issuer)
        );
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], CLIENT_ID);
        assert_eq!(query["code_challenge_method"], "S256");
        let scopes: Vec<&str> = query["scope"].split(' ').collect();
        assert!(
            scopes.contains(&"openid") && scopes.contains(&"email"),
            "{scopes:?}"
        );
        let code = format!("code-{}", self.grants.lock().unwrap().len());
        self.grants.lock().unwrap().insert(
            code.clone(),
            Grant {
                person,
                nonce: forged_nonce.map_or_else(|| query["nonce"].clone(), str::to_string),
                code_challenge: query["code_challenge"].clone(),
            },
        );
        let mut callback = Url::parse(&query["redirect_uri"]).unwrap();
        callback
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &query["state"]);
        callback.to_string()
    }
}

fn signing_key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(SIGNING_KEY, Some(JsonWebKeyId::new("test".into()))).unwrap()
}

async fn discovery(State(provider): State<Provider>) -> Json<CoreProviderMetadata> {
    let base = &provider.issuer;
    Json(
        CoreProviderMetadata::new(
            IssuerUrl::new(base.clone()).unwrap(),
            AuthUrl::new(format!("{base}/authorize")).unwrap(),
            JsonWebKeySetUrl::new(format!("{base}/jwks")).unwrap(),
            vec![ResponseTypes::new(vec![CoreResponseType::Code])],
            vec![CoreSubjectIdentifierType::Public],
            vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
            EmptyAdditionalProviderMetadata {},
        )
        .set_token_endpoint(Some(TokenUrl::new(format!("{base}/token")).unwrap())),
    )
}

async fn jwks() -> Json<CoreJsonWebKeySet> {
    Json(CoreJsonWebKeySet::new(vec![
        signing_key().as_verification_key(),
    ]))
}

fn token_error(error: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": error })),
    )
        .into_response()
}

/// The token endpoint: client authentication (HTTP Basic), the code, and PKCE.
async fn token(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    use base64::Engine;
    let expected_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected_basic) {
        return token_error("invalid_client");
    }
    let Some(grant) = form
        .get("code")
        .and_then(|code| provider.grants.lock().unwrap().remove(code))
    else {
        return token_error("invalid_grant");
    };
    let verifier = PkceCodeVerifier::new(form.get("code_verifier").cloned().unwrap_or_default());
    if PkceCodeChallenge::from_code_verifier_sha256(&verifier).as_str() != grant.code_challenge {
        return token_error("invalid_grant");
    }
    let access_token = AccessToken::new(format!("access-{}", grant.person.subject));
    let now = chrono::Utc::now();
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(provider.issuer.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        now + chrono::Duration::minutes(5),
        now,
        StandardClaims::new(SubjectIdentifier::new(grant.person.subject.into()))
            .set_email(Some(EndUserEmail::new(grant.person.email.clone())))
            .set_email_verified(grant.person.email_verified),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(grant.nonce)));
    let id_token = CoreIdToken::new(
        claims,
        &signing_key(),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(&access_token),
        None,
    )
    .unwrap();
    Json(CoreTokenResponse::new(
        access_token,
        CoreTokenType::Bearer,
        CoreIdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}),
    ))
    .into_response()
}

async fn app_with_sso(issuer: &str) -> TestApp {
    let issuer = issuer.to_string();
    spawn_app_with(move |settings| {
        settings.oidc.issuer = Some(issuer);
        settings.oidc.client_id = Some(CLIENT_ID.into());
        settings.oidc.client_secret = Some(CLIENT_SECRET.into());
        settings.oidc.scopes = "openid email profile".into();
    })
    .await
}

/// `/auth/oidc/start`: the redirect to the provider's authorization endpoint.
async fn start(app: &TestApp, next: &str) -> String {
    let response = app.get_page(&format!("/auth/oidc/start?next={next}")).await;
    assert_eq!(response.status(), 303);
    location(&response)
}

/// Follows the provider's redirect back into Lanyard; returns where Lanyard sends the
/// browser next.
async fn callback(app: &TestApp, callback_url: &str) -> String {
    let response = app.client.get(callback_url).send().await.unwrap();
    assert_eq!(response.status(), 303, "{callback_url}");
    location(&response)
}

async fn signed_in_email(app: &TestApp) -> Option<String> {
    let body: Value = app
        .call("/api/session_info", &[])
        .await
        .json()
        .await
        .unwrap();
    body.get("email")
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[tokio::test]
async fn an_existing_account_signs_in_by_email_and_stays_linked_to_its_subject() {
    let provider = Provider::start().await;
    let app = app_with_sso(&provider.issuer).await;

    let authorization = start(&app, "/settings").await;
    let back = provider.authorize(&authorization, Person::new("sub-admin", ADMIN_EMAIL));
    assert_eq!(callback(&app, &back).await, "/settings");
    assert_eq!(signed_in_email(&app).await.as_deref(), Some(ADMIN_EMAIL));

    // Linked: the same subject gets in even after the provider changed the address...
    let browser = app.another_browser();
    let authorization = start(&browser, "/").await;
    let back = provider.authorize(
        &authorization,
        Person::new("sub-admin", "renamed@example.com"),
    );
    assert_eq!(callback(&browser, &back).await, "/");
    assert_eq!(
        signed_in_email(&browser).await.as_deref(),
        Some(ADMIN_EMAIL)
    );

    // ...and another subject claiming the linked account's email does not.
    let intruder = app.another_browser();
    let authorization = start(&intruder, "/").await;
    let back = provider.authorize(&authorization, Person::new("sub-other", ADMIN_EMAIL));
    assert_eq!(
        callback(&intruder, &back).await,
        "/login?error=sso_linked_elsewhere"
    );
    assert_eq!(signed_in_email(&intruder).await, None);
}

#[tokio::test]
async fn the_state_must_match_this_browser_and_a_callback_works_once() {
    let provider = Provider::start().await;
    let app = app_with_sso(&provider.issuer).await;

    let authorization = start(&app, "/").await;
    let back = provider.authorize(&authorization, Person::new("sub-admin", ADMIN_EMAIL));
    let tampered = back.replace("state=", "state=x");
    assert_eq!(callback(&app, &tampered).await, "/login?error=sso_expired");
    // The attempt is spent: the genuine callback no longer works either.
    assert_eq!(callback(&app, &back).await, "/login?error=sso_expired");
    assert_eq!(signed_in_email(&app).await, None);

    // A callback carried to another browser (login CSRF) finds nothing pending there.
    let authorization = start(&app, "/").await;
    let back = provider.authorize(&authorization, Person::new("sub-admin", ADMIN_EMAIL));
    let elsewhere = app.another_browser();
    assert_eq!(
        callback(&elsewhere, &back).await,
        "/login?error=sso_expired"
    );
    assert_eq!(signed_in_email(&elsewhere).await, None);
    assert_eq!(callback(&app, &back).await, "/");
    assert_eq!(callback(&app, &back).await, "/login?error=sso_expired");
}

#[tokio::test]
async fn next_only_leads_to_local_paths() {
    let provider = Provider::start().await;
    let app = app_with_sso(&provider.issuer).await;
    let authorization = start(&app, "https%3A%2F%2Fevil.example%2F").await;
    let back = provider.authorize(&authorization, Person::new("sub-admin", ADMIN_EMAIL));
    assert_eq!(callback(&app, &back).await, "/");
}

#[tokio::test]
async fn forged_or_unverified_identities_are_refused() {
    let provider = Provider::start().await;
    let app = app_with_sso(&provider.issuer).await;

    let authorization = start(&app, "/").await;
    let back = provider.authorize_with_nonce(
        &authorization,
        Person::new("sub-admin", ADMIN_EMAIL),
        Some("replayed-nonce"),
    );
    assert_eq!(
        callback(&app, &back).await,
        "/login?error=sso_invalid_token"
    );

    let authorization = start(&app, "/").await;
    let mut unverified = Person::new("sub-admin", ADMIN_EMAIL);
    unverified.email_verified = Some(false);
    let back = provider.authorize(&authorization, unverified);
    assert_eq!(
        callback(&app, &back).await,
        "/login?error=sso_no_verified_email"
    );

    // An error from the provider (the person cancelled) is not a sign-in.
    start(&app, "/").await;
    let cancelled = app.url("/auth/oidc/callback?error=access_denied&state=whatever");
    assert_eq!(callback(&app, &cancelled).await, "/login?error=sso_refused");
    assert_eq!(signed_in_email(&app).await, None);

    let page = app.get_page("/login?error=sso_no_verified_email").await;
    let html = page.text().await.unwrap();
    assert!(html.contains("did not confirm a verified email"), "{html}");
}

/// An active user of the first simulated organization (the demo data is seeded
/// deterministically, so the app's built-in simulator has the same people).
async fn directory_user() -> (String, String) {
    let sim = jumpcloud::sim::Simulator::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &jumpcloud::sim::SimConfig::default(),
    )
    .await
    .unwrap();
    let org = sim.info.orgs.iter().find(|org| !org.msp).unwrap();
    let client = jumpcloud::Client::new(jumpcloud::ClientConfig::default())
        .unwrap()
        .for_org(jumpcloud::Connection {
            base_url: jumpcloud::custom_console_url(&sim.info.base_url).unwrap(),
            credentials: jumpcloud::Credentials::ApiKey(jumpcloud::Secret::new(
                org.api_key.clone(),
            )),
            org_id: None,
        });
    let users = client
        .list_users(&jumpcloud::users::UserListQuery {
            state: Some(jumpcloud::users::UserState::Activated),
            ..Default::default()
        })
        .await
        .unwrap();
    let user = users
        .items
        .into_iter()
        .find(|user| user.suspended != Some(true))
        .unwrap();
    (org.name.clone(), user.email)
}

#[tokio::test]
async fn strangers_are_refused_unless_an_org_admits_its_directory_as_requesters() {
    let (org_name, email) = directory_user().await;
    let provider = Provider::start().await;
    let app = app_with_sso(&provider.issuer).await;

    let stranger = app.another_browser();
    let authorization = start(&stranger, "/").await;
    let back = provider.authorize(&authorization, Person::new("sub-dir", &email));
    assert_eq!(
        callback(&stranger, &back).await,
        "/login?error=sso_not_set_up"
    );
    let html = stranger
        .get_page("/login?error=sso_not_set_up")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your account is not set up in Lanyard; ask an administrator."));

    // The owner turns automatic requesters on for that organization.
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    let session: Value = app
        .call("/api/session_info", &[])
        .await
        .json()
        .await
        .unwrap();
    let slug = session["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|org| org["name"] == org_name.as_str())
        .unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let turned_on = app
        .call(
            "/api/sso/auto-requester",
            &[("org", slug.as_str()), ("enabled", "true")],
        )
        .await;
    assert_eq!(turned_on.status(), 200);
    let audit = app::audit::recent(&app.db().await, 5).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|entry| entry.action == "sso.auto_requester" && entry.actor == ADMIN_EMAIL),
        "the owner's change is in the audit log"
    );
    let overview: Value = app
        .call("/api/sso/settings", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["provider"]["client_id"], CLIENT_ID);
    assert!(!overview.to_string().contains(CLIENT_SECRET));

    // Still nobody outside the directory...
    let authorization = start(&stranger, "/").await;
    let back = provider.authorize(
        &authorization,
        Person::new("sub-nobody", "nobody@elsewhere.example"),
    );
    assert_eq!(
        callback(&stranger, &back).await,
        "/login?error=sso_not_set_up"
    );

    // ...but the directory user now gets an account, as requester in that org only.
    let authorization = start(&stranger, "/").await;
    let back = provider.authorize(&authorization, Person::new("sub-dir", &email));
    assert_eq!(callback(&stranger, &back).await, "/");
    let session: Value = stranger
        .call("/api/session_info", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["email"], email.to_lowercase());
    assert_eq!(session["is_owner"], false);
    let orgs = session["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{orgs:?}");
    assert_eq!(orgs[0]["slug"], slug.as_str());
    assert_eq!(orgs[0]["role"], "Requester");

    // Only owners change the setting.
    let refused = stranger
        .call(
            "/api/sso/auto-requester",
            &[("org", slug.as_str()), ("enabled", "false")],
        )
        .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn an_unreachable_provider_is_reported_on_the_login_page_and_passwords_still_work() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let app = app_with_sso(&format!("http://{closed}")).await;

    let login = app.get_page("/login").await.text().await.unwrap();
    assert!(login.contains("Sign in with SSO"), "{login}");
    assert_eq!(start(&app, "/").await, "/login?error=sso_unavailable");
    let html = app
        .get_page("/login?error=sso_unavailable")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Single sign-on is unavailable"), "{html}");
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
}

#[tokio::test]
async fn without_sso_settings_there_is_no_sso() {
    let app = common::spawn_app().await;
    let login = app.get_page("/login").await.text().await.unwrap();
    assert!(!login.contains("Sign in with SSO"));
    assert_eq!(app.get_page("/auth/oidc/start").await.status(), 404);
}
