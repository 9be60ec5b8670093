//! The simulator's state: providers, organizations and their directories.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path as FilePath;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{MethodRouter, delete, get, post, put};

use super::auth::{OrgScope, poisoned};
use super::error::SimError;
use super::query::ListQuery;
use super::seed::new_object_id;
use super::{SharedWorld, SimInfo, SimOrg, SimServiceAccount};

pub(crate) type Object = Map<String, Value>;

/// The object a `json!({...})` literal builds.
pub(crate) fn object(value: Value) -> Object {
    match value {
        Value::Object(object) => object,
        _ => Object::new(),
    }
}

/// The value at `path`, `a.b` reaching into a nested object.
pub(crate) fn value_at<'a>(object: &'a Object, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = parts.next().and_then(|key| object.get(key));
    parts.fold(first, |value, key| value?.get(key))
}

/// A string field, `a.b` reaching into a nested object; empty when absent.
pub(crate) fn field(object: &Object, path: &str) -> String {
    value_at(object, path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The named fields of `object`, for routes that answer a narrower schema than the one
/// stored (list items, per-command results).
pub(crate) fn project(object: &Object, fields: &[&str]) -> Object {
    fields
        .iter()
        .filter_map(|name| Some((name.to_string(), object.get(*name)?.clone())))
        .collect()
}

/// A request body that must be a JSON object. An empty body reads as `{}`: several
/// actions (`/unlock`, `/expire`, the built-in commands) are sent without one.
pub(crate) fn object_body(body: &[u8]) -> Result<Object, SimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Object::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(SimError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(error) => Err(SimError::bad_request(format!("invalid JSON body: {error}"))),
    }
}

/// `GET` of one object of `kind` by its id, answered as stored.
pub(crate) fn get_object(kind: Kind) -> MethodRouter<SharedWorld> {
    get(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              Path(id): Path<String>| async move {
            read_org(&world, &org_id, |org| {
                Ok(Json(Value::Object(org.existing(kind, &id)?.clone())))
            })
        },
    )
}

/// How a write route makes the object it stores from a request body: from the
/// organization, the object's id and the body, refusing a body the spec does not allow.
pub(crate) type Build = fn(&Org, &str, &Object) -> Result<Object, SimError>;

/// `POST` of a new object of `kind` that `build` makes from the body: 201 with it.
pub(crate) fn create_object(kind: Kind, build: Build) -> MethodRouter<SharedWorld> {
    post(
        move |State(world): State<SharedWorld>, OrgScope(org_id): OrgScope, body: Bytes| async move {
            let body = object_body(&body)?;
            write_org(&world, &org_id, |org| {
                let id = new_object_id();
                let created = build(org, &id, &body)?;
                Ok((
                    StatusCode::CREATED,
                    Json(Value::Object(org.insert(kind, &id, created))),
                ))
            })
        },
    )
}

/// `PUT` of an existing object of `kind`, replaced by what `build` makes from the body:
/// a v2 PUT clears every field left out (NOTES §19).
pub(crate) fn replace_object(kind: Kind, build: Build) -> MethodRouter<SharedWorld> {
    put(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              Path(id): Path<String>,
              body: Bytes| async move {
            let body = object_body(&body)?;
            write_org(&world, &org_id, |org| {
                org.existing(kind, &id)?;
                let replaced = build(org, &id, &body)?;
                Ok(Json(Value::Object(org.insert(kind, &id, replaced))))
            })
        },
    )
}

/// `DELETE` of one object of `kind` by its id, with its associations: 204.
pub(crate) fn delete_object(kind: Kind) -> MethodRouter<SharedWorld> {
    delete(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              Path(id): Path<String>| async move {
            write_org(&world, &org_id, |org| {
                org.remove(kind, &id)?;
                Ok(StatusCode::NO_CONTENT)
            })
        },
    )
}

/// `GET` of a v1 list of the objects of `kind` as stored, in a `{totalCount, results}`
/// envelope.
pub(crate) fn list_v1(kind: Kind) -> MethodRouter<SharedWorld> {
    get(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              RawQuery(raw): RawQuery| async move {
            let query = ListQuery::parse(raw.as_deref())?;
            read_org(&world, &org_id, |org| {
                Ok(Json(query.respond(org.collection(kind))))
            })
        },
    )
}

/// `GET` of a v2 list of the objects of `kind` as stored: a bare array with
/// `x-total-count`, sortable by the `sortable` fields only.
pub(crate) fn list_v2(kind: Kind, sortable: &'static [&'static str]) -> MethodRouter<SharedWorld> {
    get(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              RawQuery(raw): RawQuery| async move {
            let query = ListQuery::parse_v2(raw.as_deref(), sortable)?;
            read_org(&world, &org_id, |org| {
                Ok(query.respond_v2(org.collection(kind)))
            })
        },
    )
}

/// Runs `read` on the caller's organization under the read lock.
pub(crate) fn read_org<T>(
    world: &SharedWorld,
    org_id: &str,
    read: impl FnOnce(&Org) -> Result<T, SimError>,
) -> Result<T, SimError> {
    let world = world.read().map_err(|_| poisoned())?;
    read(world.org(org_id).ok_or_else(SimError::not_found)?)
}

/// Runs `change` on the caller's organization under the write lock.
pub(crate) fn write_org<T>(
    world: &SharedWorld,
    org_id: &str,
    change: impl FnOnce(&mut Org) -> Result<T, SimError>,
) -> Result<T, SimError> {
    let mut world = world.write().map_err(|_| poisoned())?;
    change(world.org_mut(org_id).ok_or_else(SimError::not_found)?)
}

/// Who a credential speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Principal {
    /// An admin of one organization.
    Org(String),
    /// A multi-tenant admin of every organization of a provider.
    Provider(String),
}

/// The kinds of directory objects, named as the v2 graph API names them (`type` in
/// `GraphConnection` and `GraphObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    User,
    UserGroup,
    System,
    SystemGroup,
    Application,
    Policy,
    Command,
    /// A command's run on one system (v1 `commandresult`); not a graph object.
    CommandResult,
    /// A policy's application on one system (v2 `PolicyResult`); not a graph object.
    PolicyResult,
    IpList,
    LdapServer,
    ActiveDirectory,
    SoftwareApp,
    ApprovalFlowRequest,
    InsightsEvent,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::UserGroup => "user_group",
            Kind::System => "system",
            Kind::SystemGroup => "system_group",
            Kind::Application => "application",
            Kind::Policy => "policy",
            Kind::Command => "command",
            Kind::CommandResult => "command_result",
            Kind::PolicyResult => "policy_result",
            Kind::IpList => "ip_list",
            Kind::LdapServer => "ldap_server",
            Kind::ActiveDirectory => "active_directory",
            Kind::SoftwareApp => "software_app",
            Kind::ApprovalFlowRequest => "approval_flow_request",
            Kind::InsightsEvent => "insights_event",
        }
    }

    /// The graph type named `name`; results are not graph objects, so never those.
    pub fn parse(name: &str) -> Option<Kind> {
        [
            Kind::User,
            Kind::UserGroup,
            Kind::System,
            Kind::SystemGroup,
            Kind::Application,
            Kind::Policy,
            Kind::Command,
            Kind::IpList,
            Kind::LdapServer,
            Kind::ActiveDirectory,
            Kind::SoftwareApp,
            Kind::ApprovalFlowRequest,
            Kind::InsightsEvent,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// One end of an association.
pub(crate) type Node = (Kind, String);

/// Undirected associations between objects of one organization (group membership,
/// user↔system binding, app↔group, policy↔system, ...). Each edge is stored once with
/// its smaller end first, so both directions read the same set.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Graph {
    edges: BTreeSet<(Node, Node)>,
}

impl Graph {
    fn key(a: Node, b: Node) -> (Node, Node) {
        if a <= b { (a, b) } else { (b, a) }
    }

    /// Adds the edge; false if it was already there.
    pub fn link(&mut self, a: Node, b: Node) -> bool {
        self.edges.insert(Graph::key(a, b))
    }

    /// Removes the edge; false if it was not there.
    pub fn unlink(&mut self, a: Node, b: Node) -> bool {
        self.edges.remove(&Graph::key(a, b))
    }

    pub fn linked(&self, a: &Node, b: &Node) -> bool {
        self.edges.contains(&Graph::key(a.clone(), b.clone()))
    }

    /// Ids of the objects of `kind` directly associated with `node`, in id order.
    pub fn neighbours(&self, node: &Node, kind: Kind) -> Vec<String> {
        let mut ids: Vec<String> = self
            .edges
            .iter()
            .filter_map(|(a, b)| {
                if a == node && b.0 == kind {
                    Some(b.1.clone())
                } else if b == node && a.0 == kind {
                    Some(a.1.clone())
                } else {
                    None
                }
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Drops every edge touching `node`, for when the object is deleted.
    pub fn remove_node(&mut self, node: &Node) {
        self.edges.retain(|(a, b)| a != node && b != node);
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Org {
    pub id: String,
    pub name: String,
    pub provider_id: Option<String>,
    /// Directory objects by kind, then id, as the spec's return objects (v1
    /// `systemuserreturn` keyed by `_id`, v2 `UserGroup` keyed by `id`, ...).
    pub objects: BTreeMap<Kind, BTreeMap<String, Object>>,
    pub graph: Graph,
    /// State changes waiting for their date (v2 `/bulk/userstates`).
    pub scheduled_user_states: Vec<super::user_states::ScheduledUserState>,
}

impl Org {
    pub fn collection(&self, kind: Kind) -> impl Iterator<Item = &Object> {
        self.objects
            .get(&kind)
            .into_iter()
            .flat_map(|objects| objects.values())
    }

    pub fn object(&self, kind: Kind, id: &str) -> Option<&Object> {
        self.objects.get(&kind)?.get(id)
    }

    /// The id of the v2 object (keyed by `id`) of `kind` named `name`.
    pub fn id_named(&self, kind: Kind, name: &str) -> Option<String> {
        self.collection(kind)
            .find(|object| field(object, "name") == name)
            .map(|object| field(object, "id"))
    }

    /// Whether an object of `kind` other than `id` is named `name`: group names are
    /// unique (NOTES §19).
    pub fn name_taken(&self, kind: Kind, name: &str, id: &str) -> bool {
        self.collection(kind)
            .any(|object| field(object, "name") == name && field(object, "id") != id)
    }

    /// The object of `kind` with `id`, or JumpCloud's 404.
    pub fn existing(&self, kind: Kind, id: &str) -> Result<&Object, SimError> {
        self.object(kind, id).ok_or_else(SimError::not_found)
    }

    pub fn collection_mut(&mut self, kind: Kind) -> &mut BTreeMap<String, Object> {
        self.objects.entry(kind).or_default()
    }

    /// Stores `object` as the object of `kind` with `id`, and returns it.
    pub fn insert(&mut self, kind: Kind, id: &str, object: Object) -> Object {
        self.collection_mut(kind)
            .insert(id.to_string(), object.clone());
        object
    }

    /// Deletes the object of `kind` with `id` and every association it had, and returns
    /// it; JumpCloud's 404 when there is none.
    pub fn remove(&mut self, kind: Kind, id: &str) -> Result<Object, SimError> {
        let removed = self
            .collection_mut(kind)
            .remove(id)
            .ok_or_else(SimError::not_found)?;
        self.graph.remove_node(&(kind, id.to_string()));
        Ok(removed)
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ServiceAccount {
    pub client_id: String,
    pub secrets: Vec<String>,
    pub principal: Principal,
}

/// Everything but issued tokens is saved for a persistent simulator: tokens expire
/// anyway, and a client gets a new one on the 401.
#[derive(Serialize, Deserialize)]
pub(crate) struct World {
    pub orgs: Vec<Org>,
    pub api_keys: HashMap<String, Principal>,
    pub service_account: ServiceAccount,
    #[serde(skip)]
    pub tokens: HashMap<String, Principal>,
    pub msp_api_key: String,
}

impl World {
    pub fn org(&self, id: &str) -> Option<&Org> {
        self.orgs.iter().find(|org| org.id == id)
    }

    pub fn org_mut(&mut self, id: &str) -> Option<&mut Org> {
        self.orgs.iter_mut().find(|org| org.id == id)
    }

    /// Organizations a principal may see.
    pub fn visible_orgs<'a>(&'a self, principal: &'a Principal) -> impl Iterator<Item = &'a Org> {
        self.orgs.iter().filter(move |org| match principal {
            Principal::Org(id) => &org.id == id,
            Principal::Provider(provider) => org.provider_id.as_ref() == Some(provider),
        })
    }

    pub fn info(&self, base_url: &str) -> SimInfo {
        let key_of = |org_id: &str| {
            self.api_keys
                .iter()
                .find(|(_, principal)| **principal == Principal::Org(org_id.to_string()))
                .map(|(key, _)| key.clone())
                .unwrap_or_default()
        };
        let provider_id = match self.api_keys.get(&self.msp_api_key) {
            Some(Principal::Provider(id)) => id.clone(),
            _ => String::new(),
        };
        SimInfo {
            base_url: base_url.to_string(),
            msp_api_key: self.msp_api_key.clone(),
            provider_id,
            orgs: self
                .orgs
                .iter()
                .map(|org| SimOrg {
                    id: org.id.clone(),
                    name: org.name.clone(),
                    api_key: key_of(&org.id),
                    msp: org.provider_id.is_some(),
                })
                .collect(),
            service_account: SimServiceAccount {
                client_id: self.service_account.client_id.clone(),
                client_secret: self
                    .service_account
                    .secrets
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                secondary_secret: self
                    .service_account
                    .secrets
                    .get(1)
                    .cloned()
                    .unwrap_or_default(),
                token_url: format!("{base_url}/oauth2/token"),
            },
        }
    }

    /// Reads a world saved by [`World::save`].
    pub fn load(path: &FilePath) -> std::io::Result<World> {
        let text = std::fs::read(path)?;
        serde_json::from_slice(&text).map_err(std::io::Error::other)
    }

    pub fn snapshot(&self) -> std::io::Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(std::io::Error::other)
    }

    pub fn save(&self, path: &FilePath) -> std::io::Result<()> {
        write_atomically(path, &self.snapshot()?)
    }
}

/// Writes through a temporary file and a rename, so a crash mid-write leaves the
/// previous state whole.
pub(crate) fn write_atomically(path: &FilePath, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
