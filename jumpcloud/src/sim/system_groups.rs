//! System groups (v2 `/systemgroups`, NOTES §8): CRUD where PUT replaces the whole group
//! (NOTES §19), unique names, and direct system members.

use axum::Router;
use axum::http::StatusCode;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::error::SimError;
use super::graph::{association_routes, member_routes};
use super::seed::{SEED_EPOCH, object_id, timestamp};
use super::world::{
    Kind, Object, Org, create_object, delete_object, field, get_object, list_v2, object,
    replace_object,
};

/// The group collections refuse `sort=id` (NOTES §19).
const SORTABLE: &[&str] = &["name", "type", "membershipMethod"];

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route(
            "/api/v2/systemgroups",
            list_v2(Kind::SystemGroup, SORTABLE)
                .merge(create_object(Kind::SystemGroup, system_group)),
        )
        .route(
            "/api/v2/systemgroups/{id}",
            get_object(Kind::SystemGroup)
                .merge(replace_object(Kind::SystemGroup, system_group))
                .merge(delete_object(Kind::SystemGroup)),
        )
        .merge(member_routes(
            "/api/v2/systemgroups/{id}/members",
            Kind::SystemGroup,
            &[Kind::System],
        ))
        .merge(association_routes(
            "/api/v2/systemgroups/{id}/associations",
            Kind::SystemGroup,
            &[Kind::Command, Kind::Policy, Kind::User, Kind::UserGroup],
        ))
}

/// The group `id` as a `SystemGroupPost`/`SystemGroupPut` `body` describes it. `name` is
/// required and unique among the organization's system groups.
fn system_group(org: &Org, id: &str, body: &Object) -> Result<Object, SimError> {
    let name = match body.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_string(),
        _ => return Err(SimError::bad_request("name is required")),
    };
    if org.name_taken(Kind::SystemGroup, &name, id) {
        return Err(SimError::new(
            StatusCode::CONFLICT,
            format!("a system group named {name:?} already exists"),
        ));
    }
    let text = |field: &str| -> Result<Value, SimError> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(Value::String(String::new())),
            Some(text @ Value::String(_)) => Ok(text.clone()),
            Some(other) => Err(SimError::bad_request(format!(
                "{field} must be a string, not {other}"
            ))),
        }
    };
    let method = match body.get("membershipMethod") {
        None | Some(Value::Null) => "NOTSET",
        Some(Value::String(method))
            if [
                "NOTSET",
                "STATIC",
                "DYNAMIC_REVIEW_REQUIRED",
                "DYNAMIC_AUTOMATED",
            ]
            .contains(&method.as_str()) =>
        {
            method
        }
        Some(other) => {
            return Err(SimError::bad_request(format!(
                "invalid membershipMethod: {other}"
            )));
        }
    };
    let mut group = object(json!({
        "id": id,
        "name": name,
        "description": text("description")?,
        "email": text("email")?,
        "type": "system_group",
        "attributes": body.get("attributes").cloned().unwrap_or_else(|| json!({})),
        "membershipMethod": method,
        "memberQueryExemptions": body.get("memberQueryExemptions").cloned().unwrap_or_else(|| json!([])),
        "memberSuggestionsNotify": body.get("memberSuggestionsNotify").and_then(Value::as_bool).unwrap_or(false),
        "organizationObjectId": org.id,
    }));
    if let Some(query @ Value::Object(_)) = body.get("memberQuery") {
        group.insert("memberQuery".into(), query.clone());
    }
    Ok(group)
}

/// Which systems a seeded group holds.
type Membership<'a> = &'a dyn Fn(&Object) -> bool;

/// Fleet groups by platform, a servers group, and a group for devices that stopped
/// checking in. The laptop admins' user group is bound to both laptop fleets.
pub(crate) fn seed(rng: &mut StdRng, org: &mut Org) {
    // RFC 3339 times of one format order as text.
    let stale_before = timestamp(SEED_EPOCH - 14 * 86_400);
    let fleets: [(&str, &str, Membership); 4] = [
        ("Mac fleet", "Company Macs", &|system| {
            field(system, "osFamily") == "darwin"
        }),
        ("Windows fleet", "Company Windows laptops", &|system| {
            field(system, "osFamily") == "windows"
        }),
        ("Servers", "Unattended Linux servers", &|system| {
            field(system, "osFamily") == "linux" && field(system, "primarySystemUser.id").is_empty()
        }),
        (
            "Stale devices",
            "Not seen for more than two weeks",
            &|system| field(system, "lastContact") < stale_before,
        ),
    ];
    for (name, description, includes) in fleets {
        let id = object_id(rng);
        let members: Vec<String> = org
            .collection(Kind::System)
            .filter(|system| includes(system))
            .map(|system| field(system, "_id"))
            .collect();
        let body = object(json!({
            "name": name,
            "description": description,
            "membershipMethod": "STATIC",
        }));
        if let Ok(group) = system_group(org, &id, &body) {
            org.insert(Kind::SystemGroup, &id, group);
            for member in members {
                org.graph
                    .link((Kind::SystemGroup, id.clone()), (Kind::System, member));
            }
            if let Some(admins) = org.id_named(Kind::UserGroup, "Laptop Admins")
                && name.ends_with("fleet")
            {
                org.graph
                    .link((Kind::UserGroup, admins), (Kind::SystemGroup, id.clone()));
            }
        }
    }
}
