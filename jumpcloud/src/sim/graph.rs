//! The v2 graph routes every resource shares (NOTES §8): direct associations
//! (`.../associations?targets=`, group `.../members`) with the graph operations that
//! change them, and traversals (`.../memberof`, `/users/{id}/systems`, ...) that answer
//! every object reached with the paths that reach it.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::{OrgScope, is_object_id};
use super::error::SimError;
use super::query::{ListQuery, query_param, v2_page};
use super::world::{Kind, Node, Object, Org, object, object_body, read_org, write_org};

/// `GraphObject`
fn graph_object(node: &Node) -> Value {
    json!({ "id": node.1, "type": node.0.as_str() })
}

/// `GraphConnection`s from `node` to its neighbours of `kind`; `from` is left out, as
/// the spec allows.
fn connections(org: &Org, node: &Node, kind: Kind) -> Vec<Object> {
    org.graph
        .neighbours(node, kind)
        .into_iter()
        .map(|id| object(json!({ "to": graph_object(&(kind, id)) })))
        .collect()
}

/// The object a graph record points at: a `GraphConnection`'s `to`, or a
/// `GraphObjectWithPaths` itself.
fn target(record: &Value) -> Option<(Kind, &str)> {
    let object = record.get("to").unwrap_or(record);
    Some((
        Kind::parse(object.get("type")?.as_str()?)?,
        object.get("id")?.as_str()?,
    ))
}

/// A page of graph records. JumpCloud pages the association records first and resolves
/// them after, dropping those whose object is gone, so a page can come back short while
/// `x-total-count` still counts every record (NOTES §3, §17.3). Orphaned records only
/// exist in seeded data: deletes through the API remove their edges.
fn graph_list(org: &Org, query: &ListQuery, records: &[Object]) -> (HeaderMap, Json<Value>) {
    let (total, mut page) = query.select(records.iter());
    page.retain(|record| target(record).is_some_and(|(kind, id)| org.object(kind, id).is_some()));
    v2_page(total, page)
}

/// Applies a `GraphOperation` body `{op, type, id}` between `node` and an object of one
/// of the `allowed` kinds: 204. Adding an association that exists is a 409 "Already
/// Exists"; removing or updating one that does not is a 404.
fn apply_graph_operation(
    org: &mut Org,
    node: &Node,
    body: &[u8],
    allowed: &[Kind],
) -> Result<StatusCode, SimError> {
    let operation = object_body(body)?;
    let text = |field: &str| operation.get(field).and_then(Value::as_str);
    let kind = text("type")
        .and_then(Kind::parse)
        .filter(|kind| allowed.contains(kind))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|kind| kind.as_str()).collect();
            SimError::bad_request(format!("type must be one of: {}", names.join(", ")))
        })?;
    let id = text("id").ok_or_else(|| SimError::bad_request("id is required"))?;
    if !is_object_id(id) {
        return Err(SimError::bad_request(format!("invalid object id: {id}")));
    }
    org.existing(kind, id)?;
    let other = (kind, id.to_string());
    let done = match text("op") {
        Some("add") => {
            if !org.graph.link(node.clone(), other) {
                return Err(SimError::new(StatusCode::CONFLICT, "Already Exists"));
            }
            true
        }
        Some("remove") => org.graph.unlink(node.clone(), other),
        Some("update") => org.graph.linked(node, &other),
        _ => {
            return Err(SimError::bad_request(
                "op must be one of: add, remove, update",
            ));
        }
    };
    if done {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(SimError::new(
            StatusCode::NOT_FOUND,
            "association not found",
        ))
    }
}

/// `GET` and `POST` `.../associations` of an object of `kind`: the direct associations
/// with the one kind named by the required `targets` parameter, and graph operations on
/// associations with the `allowed` kinds.
pub(super) fn association_routes(
    path: &str,
    kind: Kind,
    allowed: &'static [Kind],
) -> Router<SharedWorld> {
    direct_routes(path, kind, allowed, |raw, allowed| {
        targets(raw, allowed).map(|target| vec![target])
    })
}

/// `GET` and `POST` `.../members` of a group of `kind`: its direct members (of the
/// `member` kinds), and graph operations adding or removing them.
pub(super) fn member_routes(
    path: &str,
    kind: Kind,
    member: &'static [Kind],
) -> Router<SharedWorld> {
    direct_routes(path, kind, member, |_, member| Ok(member.to_vec()))
}

/// Which kinds a list of direct associations shows, from the request's query and the
/// kinds the route allows.
type Listed = fn(Option<&str>, &'static [Kind]) -> Result<Vec<Kind>, SimError>;

/// `GET` of the direct associations of an object of `kind` with the kinds `listed`
/// picks, as `GraphConnection`s; `POST` of graph operations on them.
fn direct_routes(
    path: &str,
    kind: Kind,
    allowed: &'static [Kind],
    listed: Listed,
) -> Router<SharedWorld> {
    let list = get(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              Path(id): Path<String>,
              RawQuery(raw): RawQuery| async move {
            let kinds = listed(raw.as_deref(), allowed)?;
            let query = ListQuery::parse_v2(raw.as_deref(), &[])?;
            read_org(&world, &org_id, |org| {
                org.existing(kind, &id)?;
                let node = (kind, id);
                let records: Vec<Object> = kinds
                    .into_iter()
                    .flat_map(|listed| connections(org, &node, listed))
                    .collect();
                Ok(graph_list(org, &query, &records))
            })
        },
    );
    Router::new().route(path, list.merge(graph_operations(kind, allowed)))
}

/// `POST` of a `GraphOperation` on the object of `kind` named by the path.
fn graph_operations(kind: Kind, allowed: &'static [Kind]) -> MethodRouter<SharedWorld> {
    post(
        move |State(world): State<SharedWorld>,
              OrgScope(org_id): OrgScope,
              Path(id): Path<String>,
              body: Bytes| async move {
            write_org(&world, &org_id, |org| {
                org.existing(kind, &id)?;
                apply_graph_operation(org, &(kind, id), &body, allowed)
            })
        },
    )
}

/// The one kind the required `targets` parameter names, if it is one of `allowed`.
fn targets(raw: Option<&str>, allowed: &[Kind]) -> Result<Kind, SimError> {
    let name = query_param(raw, "targets")
        .ok_or_else(|| SimError::bad_request("request parameter \"targets\" is required"))?;
    Kind::parse(&name)
        .filter(|kind| allowed.contains(kind))
        .ok_or_else(|| SimError::bad_request(format!("invalid targets: {name}")))
}

/// A `GET` traversal of the graph from an object of `kind`, answering
/// `[GraphObjectWithPaths]` for every object reached along one of `routes` (each a
/// sequence of kinds, the last being the kind listed), with every path that reaches it.
pub(super) fn traversal_route(
    path: &str,
    kind: Kind,
    routes: &'static [&'static [Kind]],
) -> Router<SharedWorld> {
    Router::new().route(
        path,
        get(
            move |State(world): State<SharedWorld>,
                  OrgScope(org_id): OrgScope,
                  Path(id): Path<String>,
                  RawQuery(raw): RawQuery| async move {
                let query = ListQuery::parse_graph(raw.as_deref())?;
                read_org(&world, &org_id, |org| {
                    org.existing(kind, &id)?;
                    let reached = traverse(org, &(kind, id), routes);
                    Ok(graph_list(org, &query, &reached))
                })
            },
        ),
    )
}

fn traverse(org: &Org, start: &Node, routes: &[&[Kind]]) -> Vec<Object> {
    let mut reached: BTreeMap<Node, Vec<Value>> = BTreeMap::new();
    for route in routes {
        let mut paths = vec![vec![start.clone()]];
        for &kind in *route {
            paths = paths
                .into_iter()
                .flat_map(|path| {
                    let from = path.last().cloned().unwrap_or_else(|| start.clone());
                    org.graph
                        .neighbours(&from, kind)
                        .into_iter()
                        .map(move |id| {
                            let mut longer = path.clone();
                            longer.push((kind, id));
                            longer
                        })
                })
                .collect();
        }
        for path in paths {
            let hops: Vec<Value> = path
                .windows(2)
                .map(|hop| json!({ "from": graph_object(&hop[0]), "to": graph_object(&hop[1]) }))
                .collect();
            if let Some(target) = path.last() {
                reached
                    .entry(target.clone())
                    .or_default()
                    .push(Value::Array(hops));
            }
        }
    }
    reached
        .into_iter()
        .map(|((kind, id), paths)| {
            object(json!({ "id": id, "type": kind.as_str(), "compiledAttributes": {}, "paths": paths }))
        })
        .collect()
}
