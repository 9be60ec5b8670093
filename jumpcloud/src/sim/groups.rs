//! v2 `/usergroups`, their members and membership (NOTES §8, §19).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::graph::{association_routes, member_routes, traversal_route};
use super::seed::new_object_id;
use super::world::{Kind, Object, Org, delete_object, get_object, list_v2, object_body, write_org};

/// The group collections refuse `sort=id` (NOTES §19).
const SORTABLE: &[&str] = &["name", "type", "membershipMethod"];

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route(
            "/api/v2/usergroups",
            list_v2(Kind::UserGroup, SORTABLE).post(create),
        )
        .route(
            "/api/v2/usergroups/{id}",
            get_object(Kind::UserGroup)
                .put(replace)
                .merge(delete_object(Kind::UserGroup)),
        )
        .merge(member_routes(
            "/api/v2/usergroups/{id}/members",
            Kind::UserGroup,
            &[Kind::User],
        ))
        .merge(traversal_route(
            "/api/v2/usergroups/{id}/membership",
            Kind::UserGroup,
            &[&[Kind::User]],
        ))
        .merge(association_routes(
            "/api/v2/usergroups/{id}/associations",
            Kind::UserGroup,
            &[
                Kind::ActiveDirectory,
                Kind::Application,
                Kind::LdapServer,
                Kind::System,
                Kind::SystemGroup,
            ],
        ))
}

/// The fields of `UserGroupPost` / `UserGroupPut`; everything else is kept by JumpCloud.
const GROUP_FIELDS: &[&str] = &[
    "attributes",
    "description",
    "email",
    "memberQuery",
    "memberQueryExemptions",
    "memberSuggestionsNotify",
    "membershipMethod",
    "name",
];

const MEMBERSHIP_METHODS: &[&str] = &[
    "NOTSET",
    "STATIC",
    "DYNAMIC_REVIEW_REQUIRED",
    "DYNAMIC_AUTOMATED",
];

/// The `UserGroup` a POST or PUT body makes. A v2 PUT replaces the whole object
/// (NOTES §19): only what JumpCloud maintains itself survives from `existing`; every
/// field the body leaves out is gone.
fn group_from(
    org: &Org,
    id: &str,
    body: &Object,
    existing: Option<&Object>,
) -> Result<Object, SimError> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| SimError::bad_request("name is required"))?;
    if org.name_taken(Kind::UserGroup, name, id) {
        return Err(SimError::new(
            StatusCode::CONFLICT,
            format!("a user group named {name:?} already exists"),
        ));
    }
    if let Some(method) = body.get("membershipMethod")
        && !method
            .as_str()
            .is_some_and(|method| MEMBERSHIP_METHODS.contains(&method))
    {
        return Err(SimError::bad_request(format!(
            "membershipMethod must be one of {}",
            MEMBERSHIP_METHODS.join(", ")
        )));
    }
    let mut group = Object::new();
    group.insert("id".into(), id.into());
    group.insert("type".into(), "user_group".into());
    group.insert("organizationObjectId".into(), org.id.clone().into());
    group.insert(
        "suggestionCounts".into(),
        existing
            .and_then(|group| group.get("suggestionCounts"))
            .cloned()
            .unwrap_or_else(|| json!({ "add": 0, "remove": 0, "total": 0 })),
    );
    for field in GROUP_FIELDS {
        if let Some(value) = body.get(*field) {
            group.insert(field.to_string(), value.clone());
        }
    }
    group.insert("name".into(), name.into());
    Ok(group)
}

/// `POST /api/v2/usergroups`: 201 with the new `UserGroup`.
async fn create(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let body = object_body(&body)?;
    write_org(&world, &org_id, |org| {
        let id = new_object_id();
        let group = group_from(org, &id, &body, None)?;
        org.collection_mut(Kind::UserGroup)
            .insert(id, group.clone());
        Ok((StatusCode::CREATED, Json(Value::Object(group))))
    })
}

/// `PUT /api/v2/usergroups/{id}`: replaces the group.
async fn replace(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let body = object_body(&body)?;
    write_org(&world, &org_id, |org| {
        let existing = org
            .object(Kind::UserGroup, &id)
            .ok_or_else(SimError::not_found)?;
        let group = group_from(org, &id, &body, Some(existing))?;
        org.collection_mut(Kind::UserGroup)
            .insert(id, group.clone());
        Ok(Json(Value::Object(group)))
    })
}
