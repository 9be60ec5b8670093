//! Device policies (v2 `/policies`, results and statuses, associations; NOTES §13).

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::graph::association_routes;
use super::query::ListQuery;
use super::seed::{SEED_EPOCH, object_id, timestamp};
use super::world::{Kind, Object, Org, field, get_object, object, project, read_org};

/// `/policies` accepts `id` as a sort field, unlike the group collections (NOTES §19).
const SORTABLE: &[&str] = &["id", "name"];
/// `/policyresults` accepts no sort field at all (NOTES §19); the other result lists are
/// served by the same service and treated alike.
const RESULTS_SORTABLE: &[&str] = &[];
/// `Policy`, the list item: the details (`values`, `configFields`, `notes`) only come
/// with `GET /policies/{id}` (`PolicyWithDetails`).
const POLICY_LIST_FIELDS: &[&str] = &["id", "name", "template"];

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/v2/policies", get(list))
        .route("/api/v2/policies/{id}", get_object(Kind::Policy))
        .route(
            "/api/v2/policies/{id}/policyresults",
            get(results_of_policy),
        )
        .route(
            "/api/v2/policies/{id}/policystatuses",
            get(statuses_of_policy),
        )
        .route("/api/v2/policyresults", get(all_results))
        .route(
            "/api/v2/systems/{id}/policystatuses",
            get(statuses_of_system),
        )
        .merge(association_routes(
            "/api/v2/policies/{id}/associations",
            Kind::Policy,
            &[Kind::System, Kind::SystemGroup],
        ))
}

type V2List = Result<(HeaderMap, Json<Value>), SimError>;

/// `GET /api/v2/policies`
async fn list(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> V2List {
    let query = ListQuery::parse_v2(raw.as_deref(), SORTABLE)?;
    read_org(&world, &org_id, |org| {
        let items: Vec<Object> = org
            .collection(Kind::Policy)
            .map(|policy| project(policy, POLICY_LIST_FIELDS))
            .collect();
        Ok(query.respond_v2(items.iter()))
    })
}

/// `GET /api/v2/policies/{id}/policyresults`: every application of the policy.
async fn results_of_policy(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> V2List {
    results(&world, &org_id, raw, Some((Kind::Policy, id)), false)
}

/// `GET /api/v2/policies/{id}/policystatuses`: the latest result per system.
async fn statuses_of_policy(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> V2List {
    results(&world, &org_id, raw, Some((Kind::Policy, id)), true)
}

/// `GET /api/v2/policyresults`: every result in the organization.
async fn all_results(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> V2List {
    results(&world, &org_id, raw, None, false)
}

/// `GET /api/v2/systems/{id}/policystatuses`: the latest result per policy.
async fn statuses_of_system(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> V2List {
    results(&world, &org_id, raw, Some((Kind::System, id)), true)
}

/// Policy results about `about` (a policy or a system; all when `None`), optionally only
/// the latest per (policy, system).
fn results(
    world: &SharedWorld,
    org_id: &str,
    raw: Option<String>,
    about: Option<(Kind, String)>,
    latest_only: bool,
) -> V2List {
    let query = ListQuery::parse_v2(raw.as_deref(), RESULTS_SORTABLE)?;
    read_org(world, org_id, |org| {
        let wanted: Box<dyn Fn(&Object) -> bool> = match &about {
            None => Box::new(|_| true),
            Some((kind, id)) => {
                org.existing(*kind, id)?;
                let key = if *kind == Kind::Policy {
                    "policyID"
                } else {
                    "systemID"
                };
                Box::new(move |result| field(result, key) == *id)
            }
        };
        let matching = org.collection(Kind::PolicyResult).filter(|r| wanted(r));
        let chosen: Vec<&Object> = if latest_only {
            latest(matching)
        } else {
            matching.collect()
        };
        Ok(query.respond_v2(chosen.into_iter()))
    })
}

/// The most recent result of each (policy, system) pair.
fn latest<'a>(results: impl Iterator<Item = &'a Object>) -> Vec<&'a Object> {
    let mut newest: BTreeMap<(String, String), &Object> = BTreeMap::new();
    for result in results {
        let key = (field(result, "policyID"), field(result, "systemID"));
        let newer = newest
            .get(&key)
            .is_none_or(|kept| field(kept, "startedAt") < field(result, "startedAt"));
        if newer {
            newest.insert(key, result);
        }
    }
    newest.into_values().collect()
}

/// `(policy name, template name, template display name, OS family, system group,
/// whether success follows the device's disk encryption)`.
const POLICIES: &[(&str, &str, &str, &str, &str, bool)] = &[
    (
        "Require FileVault",
        "filevault_darwin",
        "FileVault 2 Encryption",
        "darwin",
        "Mac fleet",
        true,
    ),
    (
        "Require BitLocker",
        "bitlocker_windows",
        "BitLocker Full Disk Encryption",
        "windows",
        "Windows fleet",
        true,
    ),
    (
        "Screen lock after 5 minutes",
        "lock_screen_darwin",
        "Lock Screen",
        "darwin",
        "Mac fleet",
        false,
    ),
    (
        "Automatic OS updates",
        "windows_updates_windows",
        "Windows Updates Configuration",
        "windows",
        "Windows fleet",
        false,
    ),
    (
        "Host firewall",
        "ufw_linux",
        "Uncomplicated Firewall",
        "linux",
        "Servers",
        false,
    ),
];

/// Security baselines bound to the fleet groups, each with one or two results per member
/// system; the latest results also fill the systems' `policyStats`.
pub(crate) fn seed(rng: &mut StdRng, org: &mut Org) {
    for &(name, template, display, family, group_name, follows_encryption) in POLICIES {
        let id = object_id(rng);
        let config_field = object_id(rng);
        let policy = object(json!({
            "id": id,
            "name": name,
            "notes": "",
            "template": {
                "id": object_id(rng),
                "name": template,
                "displayName": display,
                "description": format!("{display} policy"),
                "osMetaFamily": family,
                "deliveryTypes": ["agent"],
                "activation": "",
                "behavior": "",
                "alert": "",
                "reference": format!("https://jumpcloud.com/support/policies/{template}"),
                "state": "",
            },
            "configFields": [{
                "id": config_field,
                "name": "enabled",
                "label": "Enabled",
                "displayType": "checkbox",
                "defaultValue": "true",
                "required": true,
                "readOnly": false,
                "sensitive": false,
                "position": 1,
            }],
            "values": [{ "configFieldID": config_field, "value": "true", "sensitive": false }],
        }));
        org.collection_mut(Kind::Policy).insert(id.clone(), policy);
        let Some(group) = org.id_named(Kind::SystemGroup, group_name) else {
            continue;
        };
        org.graph.link(
            (Kind::Policy, id.clone()),
            (Kind::SystemGroup, group.clone()),
        );
        for system_id in org
            .graph
            .neighbours(&(Kind::SystemGroup, group), Kind::System)
        {
            let encrypted = org
                .object(Kind::System, &system_id)
                .and_then(|system| system.get("fde")?.get("active")?.as_bool())
                .unwrap_or(false);
            let runs = rng.gen_range(1..=2);
            for run in 0..runs {
                let latest_run = run + 1 == runs;
                let success = if follows_encryption && latest_run {
                    encrypted
                } else {
                    rng.gen_bool(0.8)
                };
                let started = SEED_EPOCH - (runs - run) * 86_400 * 3 - rng.gen_range(0..3_600);
                let result_id = object_id(rng);
                let result = object(json!({
                    "id": result_id,
                    "policyID": id,
                    "systemID": system_id,
                    "state": if success { "success" } else { "failed" },
                    "success": success,
                    "exitStatus": if success { 0 } else { 1 },
                    "stdOut": if success { format!("{display}: compliant") } else { String::new() },
                    "stdErr": if success { String::new() } else { format!("{display}: not compliant") },
                    "detail": "",
                    "startedAt": timestamp(started),
                    "endedAt": timestamp(started + rng.gen_range(1..60)),
                }));
                org.collection_mut(Kind::PolicyResult)
                    .insert(result_id, result);
            }
        }
    }
    record_policy_stats(org);
}

/// Fills each system's `policyStats` and `isPolicyBound` from its latest results.
fn record_policy_stats(org: &mut Org) {
    let mut stats: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for result in latest(org.collection(Kind::PolicyResult)) {
        let counts = stats.entry(field(result, "systemID")).or_default();
        if result.get("success") == Some(&Value::Bool(true)) {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
    }
    for (system_id, (success, failed)) in stats {
        if let Some(system) = org.collection_mut(Kind::System).get_mut(&system_id) {
            system.insert("isPolicyBound".into(), Value::Bool(true));
            system.insert(
                "policyStats".into(),
                json!({
                    "total": success + failed,
                    "success": success,
                    "failed": failed,
                    "pending": 0,
                    "duplicate": 0,
                    "unsupportedOs": 0,
                }),
            );
        }
    }
}
