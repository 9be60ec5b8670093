//! Systems (devices): v1 `/systems` read/update/delete, `/search/systems`, the built-in
//! security commands, and their v2 graph views (NOTES §9). Systems cannot be created
//! through the API (an agent enrols them, NOTES §19), so there is no POST.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::graph::{association_routes, traversal_route};
use super::query::ListQuery;
use super::seed::{SEED_EPOCH, object_id, timestamp};
use super::world::{
    Kind, Object, Org, field, get_object, list_v1, object, object_body, read_org, write_org,
};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/systems", list_v1(Kind::System))
        .route("/api/search/systems", post(search))
        .route(
            "/api/systems/{id}",
            get_object(Kind::System).put(update).delete(remove),
        )
        .route("/api/systems/{id}/command/builtin/{command}", post(builtin))
        .merge(traversal_route(
            "/api/v2/systems/{id}/users",
            Kind::System,
            &[
                &[Kind::User],
                &[Kind::UserGroup, Kind::User],
                &[Kind::SystemGroup, Kind::User],
                &[Kind::SystemGroup, Kind::UserGroup, Kind::User],
            ],
        ))
        .merge(traversal_route(
            "/api/v2/systems/{id}/memberof",
            Kind::System,
            &[&[Kind::SystemGroup]],
        ))
        .merge(association_routes(
            "/api/v2/systems/{id}/associations",
            Kind::System,
            &[Kind::Command, Kind::Policy, Kind::User, Kind::UserGroup],
        ))
}

/// `POST /api/search/systems`: body `search{filter, searchFilter}`, paged by the query's
/// `limit`/`skip` (or the body's). `filter` is `{and|or: [{field: value}]}` or a bare
/// array (AND); `searchFilter` matches partial text of `searchTerm` (one or several) in
/// any of its `fields`.
async fn search(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let body = object_body(&body)?;
    let mut paging = raw.unwrap_or_default();
    for key in ["limit", "skip"] {
        if let Some(value) = body.get(key) {
            paging.push_str(&format!("&{key}={value}"));
        }
    }
    let query = ListQuery::parse(Some(&paging))?;
    let filter = SearchFilter::parse(&body)?;
    read_org(&world, &org_id, |org| {
        Ok(Json(
            query.respond(
                org.collection(Kind::System)
                    .filter(|system| filter.matches(system)),
            ),
        ))
    })
}

struct SearchFilter {
    exact: Vec<Object>,
    any_exact: bool,
    terms: Vec<String>,
    term_fields: Vec<String>,
}

impl SearchFilter {
    fn parse(body: &Object) -> Result<Self, SimError> {
        let expressions = |value: &Value| -> Result<Vec<Object>, SimError> {
            value
                .as_array()
                .ok_or_else(|| SimError::bad_request("filter expressions must be an array"))?
                .iter()
                .map(|item| {
                    item.as_object().cloned().ok_or_else(|| {
                        SimError::bad_request("each filter expression must be an object")
                    })
                })
                .collect()
        };
        let (exact, any_exact) = match body.get("filter") {
            None | Some(Value::Null) => (Vec::new(), false),
            Some(list @ Value::Array(_)) => (expressions(list)?, false),
            Some(Value::Object(logic)) => match (logic.get("and"), logic.get("or")) {
                (Some(all), None) => (expressions(all)?, false),
                (None, Some(any)) => (expressions(any)?, true),
                _ => {
                    return Err(SimError::bad_request(
                        "filter must have exactly one of \"and\" or \"or\"",
                    ));
                }
            },
            Some(_) => {
                return Err(SimError::bad_request(
                    "filter must be an object or an array, not a string",
                ));
            }
        };
        let search = body.get("searchFilter").and_then(Value::as_object);
        let terms = match search.and_then(|search| search.get("searchTerm")) {
            None => Vec::new(),
            Some(Value::String(term)) => vec![term.to_lowercase()],
            Some(Value::Array(terms)) => terms
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect(),
            Some(_) => {
                return Err(SimError::bad_request(
                    "searchTerm must be a string or an array of strings",
                ));
            }
        };
        let term_fields = search
            .and_then(|search| search.get("fields"))
            .and_then(Value::as_array)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(SearchFilter {
            exact,
            any_exact,
            terms,
            term_fields,
        })
    }

    fn matches(&self, object: &Object) -> bool {
        let exact = |expression: &Object| {
            expression
                .iter()
                .all(|(field, value)| object.get(field) == Some(value))
        };
        let exact_ok = self.exact.is_empty()
            || if self.any_exact {
                self.exact.iter().any(exact)
            } else {
                self.exact.iter().all(exact)
            };
        let text_ok = self.terms.is_empty()
            || self.term_fields.iter().any(|field| {
                object
                    .get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|text| {
                        let text = text.to_lowercase();
                        self.terms.iter().any(|term| text.contains(term))
                    })
            });
        exact_ok && text_ok
    }
}

/// A field and the test its JSON type must pass.
type TypedField = (&'static str, fn(&Value) -> bool);

/// The fields of `systemput` and their JSON types; v1 PUT merges only these.
const UPDATABLE: &[TypedField] = &[
    ("displayName", Value::is_string),
    ("allowSshPasswordAuthentication", Value::is_boolean),
    ("allowSshRootLogin", Value::is_boolean),
    ("allowMultiFactorAuthentication", Value::is_boolean),
    ("allowPublicKeyAuthentication", Value::is_boolean),
    ("agentBoundMessages", Value::is_array),
    ("attributes", Value::is_array),
];

/// `PUT /api/systems/{id}`: v1 merges the fields sent (NOTES §19).
async fn update(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let changes = object_body(&body)?;
    for (field, has_type) in UPDATABLE {
        if let Some(value) = changes.get(*field)
            && !has_type(value)
        {
            return Err(SimError::bad_request(format!(
                "invalid value for {field}: {value}"
            )));
        }
    }
    write_org(&world, &org_id, |org| {
        let system = org
            .collection_mut(Kind::System)
            .get_mut(&id)
            .ok_or_else(SimError::not_found)?;
        for (field, _) in UPDATABLE {
            if let Some(value) = changes.get(*field) {
                system.insert(field.to_string(), value.clone());
            }
        }
        if let Some(Value::Bool(root)) = changes.get("allowSshRootLogin") {
            system.insert("sshRootEnabled".into(), Value::Bool(*root));
        }
        Ok(Json(Value::Object(system.clone())))
    })
}

/// `DELETE /api/systems/{id}`: answers with the removed system and drops its
/// associations and group memberships.
async fn remove(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    write_org(&world, &org_id, |org| {
        Ok(Json(Value::Object(org.remove(Kind::System, &id)?)))
    })
}

/// `POST /api/systems/{id}/command/builtin/{lock|restart|shutdown|erase}`: 201 "Command
/// created". The command is queued for the device and shows in its read-only
/// `builtInCommands`. Only Linux and Windows support them; macOS needs Apple MDM.
async fn builtin(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path((id, command)): Path<(String, String)>,
) -> Result<StatusCode, SimError> {
    if !["lock", "restart", "shutdown", "erase"].contains(&command.as_str()) {
        return Err(SimError::not_found());
    }
    write_org(&world, &org_id, |org| {
        let system = org
            .collection_mut(Kind::System)
            .get_mut(&id)
            .ok_or_else(SimError::not_found)?;
        if system.get("osFamily").and_then(Value::as_str) == Some("darwin") {
            return Err(SimError::bad_request(format!(
                "the {command} command is only supported on Linux and Windows devices; use Apple MDM security commands for macOS"
            )));
        }
        if let Some(Value::Array(queued)) = system.get_mut("builtInCommands") {
            queued.push(json!({ "name": command, "type": "security" }));
        }
        Ok(StatusCode::CREATED)
    })
}

const MACOS: &[(&str, &str, &str)] = &[
    ("14.6.1", "Sonoma", "MacBookPro18,3"),
    ("15.2", "Sequoia", "Mac15,6"),
    ("15.3.1", "Sequoia", "Mac14,2"),
    ("13.6.9", "Ventura", "MacBookAir10,1"),
];
const WINDOWS: &[(&str, &str, &str)] = &[
    ("11 Pro 23H2", "10.0.22631", "Dell Inc."),
    ("11 Enterprise 24H2", "10.0.26100", "LENOVO"),
    ("10 Pro 22H2", "10.0.19045", "HP"),
];
const LINUX: &[(&str, &str, &str)] = &[
    ("Ubuntu", "22.04", "jammy"),
    ("Ubuntu", "24.04", "noble"),
    ("Rocky", "9.4", "Blue Onyx"),
];
const AGENT_VERSIONS: &[&str] = &["1.158.0", "1.161.2", "1.163.0", "2.4.1"];
const SERVER_ROLES: &[&str] = &["web", "build", "db", "vpn", "git"];

/// About one device per two users: laptops owned by people (bound to their owner in the
/// graph) and a few unowned Linux servers. Some have not checked in for weeks.
pub(crate) fn seed(rng: &mut StdRng, org: &mut Org) {
    let owners: Vec<(String, String)> = org
        .collection(Kind::User)
        .filter(|user| user.get("state").and_then(Value::as_str) != Some("STAGED"))
        .map(|user| (field(user, "_id"), field(user, "username")))
        .collect();
    let count = org.collection(Kind::User).count().div_ceil(2);
    let servers = count / 8;
    for index in 0..count {
        let id = object_id(rng);
        let owner = if index < servers || owners.is_empty() {
            None
        } else {
            Some(&owners[rng.gen_range(0..owners.len())])
        };
        let platform = match owner {
            None => 2,
            Some(_) if rng.gen_bool(0.55) => 0,
            Some(_) if rng.gen_bool(0.8) => 1,
            Some(_) => 2,
        };
        let stale = rng.gen_bool(0.15);
        let last_contact = if stale {
            SEED_EPOCH - rng.gen_range(15..120) * 86_400
        } else {
            SEED_EPOCH - rng.gen_range(60..36 * 3_600)
        };
        let created = last_contact - rng.gen_range(30..700) * 86_400;
        let serial: String = (0..10)
            .map(|_| char::from(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"[rng.gen_range(0..34)]))
            .collect();
        let user_name = owner.map(|(_, username)| username.clone());
        let short = user_name
            .as_deref()
            .map(|name| name.replace('.', "-"))
            .unwrap_or_default();
        let (hostname, os, os_family, version, vendor, arch, detail) = match platform {
            0 => {
                let (version, release, model) = MACOS[rng.gen_range(0..MACOS.len())];
                (
                    format!("{short}-mbp"),
                    "Mac OS X",
                    "darwin",
                    version.to_string(),
                    "Apple Inc.",
                    "arm64",
                    json!({ "osName": "macOS", "version": version, "releaseName": release, "distributionName": model }),
                )
            }
            1 => {
                let (edition, build, vendor) = WINDOWS[rng.gen_range(0..WINDOWS.len())];
                (
                    format!("LT-{}", &serial[..7]),
                    "Windows",
                    "windows",
                    edition.to_string(),
                    vendor,
                    "x64",
                    json!({ "osName": format!("Windows {edition}"), "version": build }),
                )
            }
            _ => {
                let (distribution, version, release) = LINUX[rng.gen_range(0..LINUX.len())];
                let hostname = match owner {
                    Some(_) => format!("{short}-workstation"),
                    None => format!(
                        "{}-{:02}",
                        SERVER_ROLES[index % SERVER_ROLES.len()],
                        index / SERVER_ROLES.len() + 1
                    ),
                };
                (
                    hostname,
                    distribution,
                    "linux",
                    version.to_string(),
                    "QEMU",
                    "x86_64",
                    json!({ "osName": distribution, "version": version, "releaseName": release, "distributionName": distribution }),
                )
            }
        };
        let encrypted = rng.gen_bool(0.8);
        let mdm_vendor = match os_family {
            "linux" => "none",
            _ if rng.gen_bool(0.75) => "internal",
            _ => "none",
        };
        let system = json!({
            "_id": id,
            "organization": org.id,
            "displayName": hostname,
            "hostname": hostname,
            "description": "",
            "serialNumber": serial,
            "hwVendor": vendor,
            "os": os,
            "osFamily": os_family,
            "version": version,
            "osVersionDetail": detail,
            "arch": arch,
            "archFamily": if arch == "arm64" { "arm" } else { "x86" },
            "agentVersion": AGENT_VERSIONS[rng.gen_range(0..AGENT_VERSIONS.len())],
            "created": timestamp(created),
            "lastContact": timestamp(last_contact),
            "active": !stale && rng.gen_bool(0.7),
            "remoteIP": format!("203.0.113.{}", rng.gen_range(1..255)),
            "networkInterfaces": [{
                "name": if os_family == "windows" { "Ethernet" } else { "en0" },
                "address": format!("10.{}.{}.{}", rng.gen_range(0..8), rng.gen_range(0..255), rng.gen_range(2..255)),
                "family": "IPv4",
                "internal": false,
            }],
            "fde": { "active": encrypted, "keyPresent": encrypted && rng.gen_bool(0.85) },
            "mdm": {
                "vendor": mdm_vendor,
                "dep": mdm_vendor == "internal" && os_family == "darwin" && rng.gen_bool(0.6),
                "userApproved": mdm_vendor == "internal",
            },
            "userMetrics": user_name.iter().map(|name| json!({
                "userName": name,
                "admin": false,
                "managed": true,
                "suspended": false,
                "secureTokenEnabled": os_family == "darwin",
            })).collect::<Vec<_>>(),
            "primarySystemUser": { "id": owner.map(|(id, _)| id.clone()) },
            "allowSshPasswordAuthentication": os_family == "linux",
            "allowSshRootLogin": false,
            "sshRootEnabled": false,
            "allowMultiFactorAuthentication": false,
            "allowPublicKeyAuthentication": true,
            "modifySSHDConfig": os_family == "linux",
            "sshdParams": [],
            "attributes": [],
            "builtInCommands": [],
            "systemInsights": { "state": "enabled" },
            "policyStats": { "total": 0, "success": 0, "failed": 0, "pending": 0, "duplicate": 0, "unsupportedOs": 0 },
            "isPolicyBound": false,
            "azureAdJoined": false,
            "desktopCapable": owner.is_some(),
            "agentHasFullDiskAccess": os_family == "darwin",
            "systemTimezone": 0,
        });
        org.collection_mut(Kind::System)
            .insert(id.clone(), object(system));
        if let Some((user_id, _)) = owner {
            org.graph
                .link((Kind::User, user_id.clone()), (Kind::System, id));
        }
    }
}
