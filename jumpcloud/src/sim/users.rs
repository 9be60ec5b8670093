use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use super::SharedWorld;
use super::auth::{OrgScope, poisoned};
use super::error::SimError;
use super::query::ListQuery;

/// `GET /api/systemusers`
pub(crate) async fn list(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    let query = ListQuery::parse(raw.as_deref())?;
    let world = world.read().map_err(|_| poisoned())?;
    let org = world.org(&org_id).ok_or_else(SimError::not_found)?;
    Ok(Json(query.respond(org.users.values())))
}

/// `GET /api/systemusers/{id}`
pub(crate) async fn get_one(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    let world = world.read().map_err(|_| poisoned())?;
    let org = world.org(&org_id).ok_or_else(SimError::not_found)?;
    org.users
        .get(&id)
        .map(|user| Json(Value::Object(user.clone())))
        .ok_or_else(SimError::not_found)
}
