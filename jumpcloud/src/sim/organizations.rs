use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::{ProviderScope, poisoned};
use super::error::SimError;
use super::query::ListQuery;
use super::world::Object;

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
        .map(|org| {
            let summary = json!({ "_id": org.id, "displayName": org.name, "logoUrl": "" });
            summary.as_object().cloned().unwrap_or_default()
        })
        .collect();
    Ok(Json(query.respond(orgs.iter())))
}
