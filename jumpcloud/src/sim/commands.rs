//! Commands (v1 `/commands`, `/runCommand`, `/commandresults`; v2 associations;
//! NOTES §10). Each route answers its own schema: list items and per-command results are
//! narrower than the stored objects.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::graph::association_routes;
use super::query::ListQuery;
use super::seed::{SEED_EPOCH, new_object_id, now, object_id, timestamp};
use super::world::{Kind, Object, Org, field, object, object_body, project, read_org, write_org};

/// `commandslist` items.
const COMMAND_LIST_FIELDS: &[&str] = &[
    "_id",
    "aiGenerated",
    "command",
    "commandType",
    "description",
    "launchType",
    "listensTo",
    "name",
    "organization",
    "schedule",
    "scheduleRepeatType",
    "templatingRequired",
    "trigger",
];
/// `command`, as `GET /commands/{id}` answers it: the spec's schema has no `_id`.
const COMMAND_FIELDS: &[&str] = &[
    "aiGenerated",
    "command",
    "commandRunners",
    "commandType",
    "description",
    "files",
    "launchType",
    "listensTo",
    "name",
    "organization",
    "schedule",
    "scheduleRepeatType",
    "shell",
    "sudo",
    "templatingRequired",
    "timeToLiveSeconds",
    "timeout",
    "trigger",
    "user",
];
/// `commandresult`.
const RESULT_FIELDS: &[&str] = &[
    "_id",
    "command",
    "files",
    "name",
    "organization",
    "requestTime",
    "response",
    "responseTime",
    "sudo",
    "system",
    "systemId",
    "user",
    "workflowId",
    "workflowInstanceId",
];
/// `commandresultslist` items: `exitCode` at the top, output and error cut to 40
/// characters.
const RESULT_LIST_FIELDS: &[&str] = &[
    "_id",
    "command",
    "exitCode",
    "name",
    "requestTime",
    "response",
    "responseTime",
    "sudo",
    "system",
    "systemId",
    "user",
    "workflowId",
];
/// `commandresultbycommandid`: like `commandresult` without `systemId`.
const RESULT_BY_COMMAND_FIELDS: &[&str] = &[
    "_id",
    "command",
    "files",
    "name",
    "organization",
    "requestTime",
    "response",
    "responseTime",
    "sudo",
    "system",
    "user",
    "workflowId",
    "workflowInstanceId",
];

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/commands", get(list))
        .route("/api/commands/{id}", get(get_one))
        .route("/api/commands/{id}/results", get(results_of_command))
        .route("/api/runCommand", post(run))
        .route("/api/commandresults", get(list_results))
        .route("/api/commandresults/{id}", get(get_result))
        .merge(association_routes(
            "/api/v2/commands/{id}/associations",
            Kind::Command,
            &[Kind::System, Kind::SystemGroup],
        ))
}

/// `GET /api/commands`
async fn list(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    let query = ListQuery::parse(raw.as_deref())?;
    read_org(&world, &org_id, |org| {
        let items: Vec<Object> = org
            .collection(Kind::Command)
            .map(|command| project(command, COMMAND_LIST_FIELDS))
            .collect();
        Ok(Json(query.respond(items.iter())))
    })
}

/// `GET /api/commands/{id}`
async fn get_one(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    read_org(&world, &org_id, |org| {
        let command = org.existing(Kind::Command, &id)?;
        Ok(Json(Value::Object(project(command, COMMAND_FIELDS))))
    })
}

/// `GET /api/commands/{id}/results`: a bare array (the one v1 list without an envelope,
/// NOTES §3), paged by `limit`/`skip`.
async fn results_of_command(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    let query = ListQuery::parse(raw.as_deref())?;
    read_org(&world, &org_id, |org| {
        org.existing(Kind::Command, &id)?;
        let results: Vec<Object> = org
            .collection(Kind::CommandResult)
            .filter(|result| field(result, "workflowId") == id)
            .map(|result| project(result, RESULT_BY_COMMAND_FIELDS))
            .collect();
        Ok(Json(Value::Array(query.select(results.iter()).1)))
    })
}

/// `POST /api/runCommand` with `{_id, systemIds?}`: queues the command on the listed
/// systems, or without `systemIds` on every system bound to it directly or through a
/// system group. Systems that are online answer at once; the others would run it when
/// they next connect, so they have no result yet.
async fn run(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let body = object_body(&body)?;
    let command_id = body
        .get("_id")
        .and_then(Value::as_str)
        .ok_or_else(|| SimError::bad_request("_id is required"))?
        .to_string();
    write_org(&world, &org_id, |org| {
        let command = org.existing(Kind::Command, &command_id)?.clone();
        let targets = match body.get("systemIds") {
            None | Some(Value::Null) => bound_systems(org, &command_id),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|id| {
                    id.as_str()
                        .filter(|id| org.object(Kind::System, id).is_some())
                        .map(str::to_string)
                        .ok_or_else(|| SimError::bad_request(format!("unknown system: {id}")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(SimError::bad_request("systemIds must be an array")),
        };
        let workflow_instance = new_object_id();
        let mut queue_ids = Vec::new();
        for system_id in targets {
            queue_ids.push(new_object_id());
            let system = org.existing(Kind::System, &system_id)?;
            if system.get("active") == Some(&Value::Bool(true)) {
                let result = command_result(
                    &new_object_id(),
                    &command,
                    system,
                    &workflow_instance,
                    Outcome {
                        exit_code: 0,
                        output: format!("{} finished", field(&command, "name")),
                        error: String::new(),
                        requested: timestamp(now()),
                        responded: timestamp(now()),
                    },
                );
                org.collection_mut(Kind::CommandResult)
                    .insert(field(&result, "_id"), result);
            }
        }
        Ok(Json(json!({
            "queueIds": queue_ids,
            "workflowInstanceId": workflow_instance,
        })))
    })
}

/// Systems bound to the command directly or through their system groups, in id order.
fn bound_systems(org: &Org, command_id: &str) -> Vec<String> {
    let command = (Kind::Command, command_id.to_string());
    let mut systems = org.graph.neighbours(&command, Kind::System);
    for group in org.graph.neighbours(&command, Kind::SystemGroup) {
        systems.extend(
            org.graph
                .neighbours(&(Kind::SystemGroup, group), Kind::System),
        );
    }
    systems.sort();
    systems.dedup();
    systems
}

/// `GET /api/commandresults`
async fn list_results(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    let query = ListQuery::parse(raw.as_deref())?;
    read_org(&world, &org_id, |org| {
        let items: Vec<Object> = org.collection(Kind::CommandResult).map(list_item).collect();
        Ok(Json(query.respond(items.iter())))
    })
}

fn list_item(result: &Object) -> Object {
    let mut item = project(result, RESULT_LIST_FIELDS);
    if let Some(Value::Object(response)) = item.get_mut("response") {
        let cut = |text: &Value| {
            Value::String(text.as_str().unwrap_or_default().chars().take(40).collect())
        };
        if let Some(error) = response.get("error") {
            let error = cut(error);
            response.insert("error".into(), error);
        }
        if let Some(Value::Object(data)) = response.get_mut("data")
            && let Some(output) = data.get("output")
        {
            let output = cut(output);
            data.insert("output".into(), output);
        }
    }
    item
}

/// `GET /api/commandresults/{id}`
async fn get_result(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    read_org(&world, &org_id, |org| {
        Ok(Json(Value::Object(project(
            org.existing(Kind::CommandResult, &id)?,
            RESULT_FIELDS,
        ))))
    })
}

struct Outcome {
    exit_code: i64,
    output: String,
    error: String,
    requested: String,
    responded: String,
}

/// A stored result: every field any of the result schemas has.
fn command_result(
    id: &str,
    command: &Object,
    system: &Object,
    workflow_instance: &str,
    outcome: Outcome,
) -> Object {
    let windows = field(system, "osFamily") == "windows";
    object(json!({
        "_id": id,
        "name": command.get("name"),
        "command": command.get("command"),
        "files": command.get("files").cloned().unwrap_or_else(|| json!([])),
        "organization": command.get("organization"),
        "system": system.get("displayName"),
        "systemId": system.get("_id"),
        "user": if windows { "NT AUTHORITY\\SYSTEM" } else { "root" },
        "sudo": command.get("sudo").cloned().unwrap_or(Value::Bool(false)),
        "requestTime": outcome.requested,
        "responseTime": outcome.responded,
        "exitCode": outcome.exit_code,
        "response": {
            "error": outcome.error,
            "data": { "exitCode": outcome.exit_code, "output": outcome.output },
        },
        "workflowId": command.get("_id"),
        "workflowInstanceId": workflow_instance,
    }))
}

/// `(name, commandType, shell, script, target system group, output, error)`.
const COMMANDS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "Rotate local admin password",
        "windows",
        "powershell",
        "$password = [System.Web.Security.Membership]::GeneratePassword(24, 4)\nSet-LocalUser -Name 'LocalAdmin' -Password (ConvertTo-SecureString $password -AsPlainText -Force)",
        "Windows fleet",
        "Password for LocalAdmin rotated",
        "Set-LocalUser : User LocalAdmin was not found.",
    ),
    (
        "Install Homebrew",
        "mac",
        "bash",
        "NONINTERACTIVE=1 /bin/bash -c \"$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)\"",
        "Mac fleet",
        "==> Installation successful!",
        "curl: (6) Could not resolve host: raw.githubusercontent.com",
    ),
    (
        "Update Google Chrome",
        "mac",
        "bash",
        "/Library/Google/GoogleSoftwareUpdate/GoogleSoftwareUpdate.bundle/Contents/Resources/ksinstall --install",
        "Mac fleet",
        "Google Chrome is up to date",
        "ksinstall: not found",
    ),
    (
        "Restart print spooler",
        "windows",
        "powershell",
        "Restart-Service -Name Spooler -Force",
        "Windows fleet",
        "",
        "Restart-Service : Cannot find any service with service name 'Spooler'.",
    ),
    (
        "Apply security updates",
        "linux",
        "bash",
        "apt-get update && unattended-upgrade -v",
        "Servers",
        "All upgrades installed",
        "E: Could not get lock /var/lib/dpkg/lock-frontend",
    ),
];

/// A handful of admin scripts bound to the fleet groups, with results on about two thirds
/// of those groups' systems (some failed).
pub(crate) fn seed(rng: &mut StdRng, org: &mut Org) {
    for &(name, command_type, shell, script, group_name, output, error) in COMMANDS {
        let id = object_id(rng);
        let command = object(json!({
            "_id": id,
            "name": name,
            "command": script,
            "commandType": command_type,
            "shell": shell,
            "description": "",
            "launchType": "manual",
            "listensTo": "",
            "trigger": "",
            "schedule": "",
            "scheduleRepeatType": "",
            "timeout": "600",
            "timeToLiveSeconds": 86_400,
            "sudo": command_type != "windows",
            "user": if command_type == "windows" { "" } else { "000000000000000000000000" },
            "files": [],
            "commandRunners": [],
            "aiGenerated": false,
            "templatingRequired": false,
            "organization": org.id,
        }));
        org.collection_mut(Kind::Command)
            .insert(id.clone(), command.clone());
        let Some(group) = org.id_named(Kind::SystemGroup, group_name) else {
            continue;
        };
        org.graph.link(
            (Kind::Command, id.clone()),
            (Kind::SystemGroup, group.clone()),
        );
        let workflow_instance = object_id(rng);
        let requested = SEED_EPOCH - rng.gen_range(1..20) * 86_400;
        for system_id in org
            .graph
            .neighbours(&(Kind::SystemGroup, group), Kind::System)
        {
            if !rng.gen_bool(0.65) {
                continue;
            }
            let Some(system) = org.object(Kind::System, &system_id) else {
                continue;
            };
            let failed = rng.gen_bool(0.2);
            let result_id = object_id(rng);
            let result = command_result(
                &result_id,
                &command,
                system,
                &workflow_instance,
                Outcome {
                    exit_code: if failed { 1 } else { 0 },
                    output: if failed {
                        String::new()
                    } else {
                        output.to_string()
                    },
                    error: if failed {
                        error.to_string()
                    } else {
                        String::new()
                    },
                    requested: timestamp(requested),
                    responded: timestamp(requested + rng.gen_range(2..600)),
                },
            );
            org.collection_mut(Kind::CommandResult)
                .insert(result_id, result);
        }
    }
}
