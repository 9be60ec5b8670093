use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::SharedWorld;
use super::auth::{OrgScope, poisoned};
use super::error::SimError;
use super::query::ListQuery;

/// `GET /api/v2/usergroups`: a bare array with the total in `x-total-count`. Sorting by
/// `id` is refused, as JumpCloud does on group collections (NOTES §19).
pub(crate) async fn list(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> Result<(HeaderMap, Json<Value>), SimError> {
    let query = ListQuery::parse_v2(raw.as_deref(), &["name", "type", "membershipMethod"])?;
    let world = world.read().map_err(|_| poisoned())?;
    let org = world.org(&org_id).ok_or_else(SimError::not_found)?;
    let (total, page) = query.select(org.groups.values());
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    Ok((headers, Json(Value::Array(page))))
}
