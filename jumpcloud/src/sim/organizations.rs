//! v1 `/organizations`, the provider's v2 `/providers/{provider_id}/organizations`, and
//! the undocumented `/users/getSelf` (NOTES §2, §11): provider-level routes, which refuse
//! `x-org-id`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::{ProviderScope, is_object_id, poisoned};
use super::error::SimError;
use super::query::ListQuery;
use super::world::{Kind, Object, Principal, object};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/organizations", get(list))
        .route("/api/users/getSelf", get(get_self))
        .route(
            "/api/v2/providers/{provider_id}/organizations",
            get(list_provider_organizations),
        )
}

/// `GET /api/organizations`: every organization the key may manage.
pub(crate) async fn list(
    State(world): State<SharedWorld>,
    ProviderScope(principal): ProviderScope,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    let query = ListQuery::parse(raw.as_deref())?;
    let world = world.read().map_err(|_| poisoned())?;
    let orgs: Vec<Object> = world
        .visible_orgs(&principal)
        .map(|org| object(json!({ "_id": org.id, "displayName": org.name, "logoUrl": "" })))
        .collect();
    Ok(Json(query.respond(orgs.iter())))
}

/// `GET /api/users/getSelf`: the admin behind the key. Undocumented; JumpCloud's own
/// tools read `provider` from it to find an MSP key's provider (NOTES §2).
pub(crate) async fn get_self(
    State(world): State<SharedWorld>,
    ProviderScope(principal): ProviderScope,
) -> Result<Json<Value>, SimError> {
    let world = world.read().map_err(|_| poisoned())?;
    let admin = match &principal {
        Principal::Provider(provider) => json!({ "provider": provider, "organization": null }),
        Principal::Org(org) => json!({
            "provider": world.org(org).and_then(|org| org.provider_id.clone()),
            "organization": org,
        }),
    };
    Ok(Json(admin))
}

/// `GET /api/v2/providers/{provider_id}/organizations` → `{results: [Organization],
/// totalCount}`: only the provider's own admins may list them.
pub(crate) async fn list_provider_organizations(
    State(world): State<SharedWorld>,
    ProviderScope(principal): ProviderScope,
    Path(provider_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    if !is_object_id(&provider_id) {
        return Err(SimError::bad_request("Malformed ID"));
    }
    if principal != Principal::Provider(provider_id.clone()) {
        return Err(SimError::new(StatusCode::FORBIDDEN, "Forbidden"));
    }
    let query = ListQuery::parse_v2(raw.as_deref(), &["id", "name"])?;
    let world = world.read().map_err(|_| poisoned())?;
    let orgs: Vec<Object> = world
        .visible_orgs(&principal)
        .map(|org| {
            object(json!({
                "id": org.id,
                "name": org.name,
                "maxSystemUsers": org.collection(Kind::User).count().div_ceil(50).max(1) * 50,
            }))
        })
        .collect();
    Ok(Json(query.respond(orgs.iter())))
}
