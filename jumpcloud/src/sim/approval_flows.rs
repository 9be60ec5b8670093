//! v2 `/approvalflowrequest`: users' requests for temporary access, waiting for an admin
//! to approve or deny them (NOTES §14).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::query::{ListQuery, query_param};
use super::seed::{SEED_EPOCH, now, object_id, timestamp};
use super::world::{Kind, Object, field, object, object_body, read_org, write_org};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/v2/approvalflowrequest", get(list))
        .route("/api/v2/approvalflowrequest/{id}", get(get_one).put(decide))
}

/// The optional `organizationObjectId` (of the query or the body) must name the
/// organization the call acts on, as a path organization id must match `x-org-id`
/// (NOTES §2).
fn check_organization(scope: &str, named: Option<&str>) -> Result<(), SimError> {
    match named {
        Some(named) if !named.is_empty() && named != scope => Err(SimError::bad_request(
            "x-org-id and Organization path ID do not match",
        )),
        _ => Ok(()),
    }
}

/// `GET /api/v2/approvalflowrequest` → `{results, totalCount}`, one of the few v2 lists
/// with an envelope (NOTES §3).
async fn list(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    check_organization(
        &org_id,
        query_param(raw.as_deref(), "organizationObjectId").as_deref(),
    )?;
    let query = ListQuery::parse_v2(
        raw.as_deref(),
        &["id", "createdAt", "updatedAt", "status", "userName"],
    )?;
    read_org(&world, &org_id, |org| {
        Ok(Json(
            query.respond(org.collection(Kind::ApprovalFlowRequest)),
        ))
    })
}

/// `GET /api/v2/approvalflowrequest/{id}` → `GetWorkflowAccessRequestResponse`
async fn get_one(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    check_organization(
        &org_id,
        query_param(raw.as_deref(), "organizationObjectId").as_deref(),
    )?;
    read_org(&world, &org_id, |org| {
        Ok(Json(Value::Object(
            org.existing(Kind::ApprovalFlowRequest, &id)?.clone(),
        )))
    })
}

/// `PUT /api/v2/approvalflowrequest/{id}` with `{status, approvedDuration, remarks,
/// admin, organizationObjectId}`: approves or denies a pending request. A request already
/// decided cannot be decided again.
async fn decide(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let decision = object_body(&body)?;
    let text = |name: &str| decision.get(name).and_then(Value::as_str);
    check_organization(&org_id, text("organizationObjectId"))?;
    let status = text("status").unwrap_or_default().to_uppercase();
    if !matches!(status.as_str(), "APPROVED" | "DENIED") {
        return Err(SimError::bad_request(format!(
            "invalid status {:?}: use APPROVED or DENIED",
            text("status").unwrap_or_default()
        )));
    }
    write_org(&world, &org_id, |org| {
        let request = org
            .collection_mut(Kind::ApprovalFlowRequest)
            .get_mut(&id)
            .ok_or_else(SimError::not_found)?;
        let current = field(request, "status");
        if current != "PENDING" {
            return Err(SimError::new(
                StatusCode::CONFLICT,
                format!("access request is already {current}"),
            ));
        }
        let approved_duration = match status.as_str() {
            "APPROVED" => text("approvedDuration")
                .map(str::to_string)
                .unwrap_or_else(|| field(request, "requestedDuration")),
            _ => String::new(),
        };
        let mut changes = vec![
            ("status", status),
            ("approvedDuration", approved_duration),
            ("updatedAt", timestamp(now())),
            ("updatedBy", text("admin").unwrap_or_default().to_string()),
        ];
        changes.extend(text("remarks").map(|remarks| ("remarks", remarks.to_string())));
        for (name, value) in changes {
            request.insert(name.into(), Value::String(value));
        }
        Ok(Json(Value::Object(request.clone())))
    })
}

/// Requests from the organization's users: most pending, one approved, one denied.
pub(crate) fn seed(rng: &mut StdRng, users: &BTreeMap<String, Object>) -> BTreeMap<String, Object> {
    const FLOWS: &[(&str, &str, &str)] = &[
        (
            "Production database",
            "Read access to the production database",
            "Engineering",
        ),
        (
            "Finance reporting",
            "The finance reporting application",
            "Finance",
        ),
        (
            "Local admin rights",
            "Administrator rights on the user's laptop",
            "IT",
        ),
    ];
    const DURATIONS: &[&str] = &["3600s", "14400s", "28800s", "86400s"];
    const REMARKS: &[&str] = &[
        "Investigating an incident",
        "Month-end close",
        "Installing a printer driver",
        "Customer escalation",
        "Quarterly audit",
    ];
    const STATUSES: &[&str] = &["PENDING", "PENDING", "PENDING", "APPROVED", "DENIED"];
    let flows: Vec<(String, &str, &str, &str)> = FLOWS
        .iter()
        .map(|(name, description, department)| (object_id(rng), *name, *description, *department))
        .collect();
    let requestors: Vec<&Object> = users.values().collect();
    if requestors.is_empty() {
        return BTreeMap::new();
    }
    STATUSES
        .iter()
        .map(|status| {
            let user = requestors[rng.gen_range(0..requestors.len())];
            let text = |field: &str| user.get(field).cloned().unwrap_or(Value::Null);
            let (flow_id, flow_name, flow_description, flow_group) =
                &flows[rng.gen_range(0..flows.len())];
            let created = SEED_EPOCH - rng.gen_range(600..4 * 86_400);
            let requested = DURATIONS[rng.gen_range(0..DURATIONS.len())];
            let decided = *status != "PENDING";
            let id = object_id(rng);
            let decided_by = if decided {
                object_id(rng)
            } else {
                String::new()
            };
            let request = object(json!({
                "id": id,
                "status": status,
                "requestor": text("_id"),
                "userName": text("username"),
                "department": text("department"),
                "manager": text("manager"),
                "approvalFlowId": flow_id,
                "approvalFlowName": flow_name,
                "approvalFlowDescription": flow_description,
                "group": flow_group,
                "requestedDuration": requested,
                "approvedDuration": if *status == "APPROVED" { requested } else { "" },
                "remarks": REMARKS[rng.gen_range(0..REMARKS.len())],
                "timeBasedAccess": true,
                "nonAdminApproval": false,
                "iconUrl": "",
                "iconColor": "#2f6fde",
                "runId": object_id(rng),
                "createdAt": timestamp(created),
                "updatedAt": timestamp(if decided { created + 1_800 } else { created }),
                "updatedBy": decided_by,
            }));
            (id, request)
        })
        .collect()
}
