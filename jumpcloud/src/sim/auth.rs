//! Credentials and the multi-tenant `x-org-id` rules (NOTES §2, §17.4–6).

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::request::Parts;
use rand::Rng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::error::SimError;
use super::world::{Principal, World};

fn principal(world: &World, headers: &HeaderMap) -> Result<Principal, SimError> {
    let unauthorized = |message: &str| SimError::new(StatusCode::UNAUTHORIZED, message);
    if let Some(key) = headers.get("x-api-key") {
        let key = key.to_str().unwrap_or_default();
        return world
            .api_keys
            .get(key)
            .cloned()
            .ok_or_else(|| unauthorized("Unauthorized: api key user not found"));
    }
    if let Some(bearer) = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return world
            .tokens
            .get(bearer.trim())
            .cloned()
            .ok_or_else(|| unauthorized("Unauthorized: invalid or expired token"));
    }
    Err(unauthorized("Unauthorized: missing api key"))
}

fn org_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-org-id")
        .map(|value| value.to_str().unwrap_or_default())
}

pub(crate) fn is_object_id(id: &str) -> bool {
    id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The organization an org-level call acts on.
pub(crate) struct OrgScope(pub String);

impl FromRequestParts<SharedWorld> for OrgScope {
    type Rejection = SimError;

    async fn from_request_parts(parts: &mut Parts, world: &SharedWorld) -> Result<Self, SimError> {
        let world = world.read().map_err(|_| poisoned())?;
        let principal = principal(&world, &parts.headers)?;
        let org_not_found = || SimError::new(StatusCode::NOT_FOUND, "Organization ID Not Found");
        match (org_header(&parts.headers), principal) {
            (Some(id), _) if !is_object_id(id) => Err(SimError::bad_request("Malformed ID")),
            (Some(id), principal) => world
                .visible_orgs(&principal)
                .find(|org| org.id == id)
                .map(|org| OrgScope(org.id.clone()))
                .ok_or_else(org_not_found),
            (None, Principal::Org(id)) => Ok(OrgScope(id)),
            (None, Principal::Provider(_)) => Err(SimError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized: no organization selected",
            )),
        }
    }
}

/// A provider-level call: refuses `x-org-id`, as JumpCloud does on these routes.
pub(crate) struct ProviderScope(pub Principal);

impl FromRequestParts<SharedWorld> for ProviderScope {
    type Rejection = SimError;

    async fn from_request_parts(parts: &mut Parts, world: &SharedWorld) -> Result<Self, SimError> {
        let world = world.read().map_err(|_| poisoned())?;
        let principal = principal(&world, &parts.headers)?;
        if org_header(&parts.headers).is_some() {
            return Err(SimError::new(
                StatusCode::FORBIDDEN,
                "x-org-id is not supported on this route",
            ));
        }
        Ok(ProviderScope(principal))
    }
}

pub(crate) fn poisoned() -> SimError {
    SimError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "simulator state unavailable",
    )
}

/// `POST /oauth2/token`: the client-credentials grant for service accounts.
pub(crate) async fn token(
    State(world): State<SharedWorld>,
    headers: HeaderMap,
    body: String,
) -> Result<Json<Value>, SimError> {
    let invalid = || SimError::new(StatusCode::UNAUTHORIZED, "invalid_client");
    let grant_ok = url::form_urlencoded::parse(body.as_bytes())
        .any(|(key, value)| key == "grant_type" && value == "client_credentials");
    if !grant_ok {
        return Err(SimError::bad_request("unsupported_grant_type"));
    }
    let (client_id, secret) = basic_credentials(&headers).ok_or_else(invalid)?;
    let mut world = world.write().map_err(|_| poisoned())?;
    let account = &world.service_account;
    if account.client_id != client_id || !account.secrets.contains(&secret) {
        return Err(invalid());
    }
    let principal = account.principal.clone();
    let access_token: String = {
        let mut rng = rand::thread_rng();
        (0..40)
            .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
            .collect()
    };
    world.tokens.insert(access_token.clone(), principal);
    Ok(Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3600,
        "scope": "api",
    })))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let encoded = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}
