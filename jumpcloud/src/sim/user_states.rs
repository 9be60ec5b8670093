//! v2 `/bulk/userstates`: user state changes scheduled for a date (NOTES §6). JumpCloud
//! runs them from a scheduler; the simulator has none, so it runs the due ones whenever
//! a request arrives, before handling it: a change scheduled for now shows on the next
//! call.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::query::ListQuery;
use super::seed::{new_object_id, now, timestamp};
use super::users::{parse_date_time, set_state};
use super::world::{Kind, Object, Org, object, object_body, read_org, write_org};

/// One user's part of a scheduled job; a job covers every user of one POST.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct ScheduledUserState {
    pub job_id: String,
    pub user_id: String,
    pub state: String,
    pub due: i64,
}

impl ScheduledUserState {
    /// As `scheduled-userstate-result`.
    fn to_result(&self) -> Value {
        json!({
            "scheduledDate": timestamp(self.due),
            "scheduledJobId": self.job_id,
            "state": self.state,
            "systemUserId": self.user_id,
        })
    }
}

/// The states a job may move users to (`bulk-scheduled-statechange-create.state`).
const SCHEDULABLE_STATES: &[&str] = &["ACTIVATED", "SUSPENDED"];

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/v2/bulk/userstates", get(list).post(schedule))
        .route("/api/v2/bulk/userstates/{id}", delete(cancel))
}

/// Middleware: runs the state changes that are due, in every organization, before the
/// request is handled. A read lock finds out whether anything is due, so the common
/// case does not serialise requests.
pub(crate) async fn apply_due(
    State(world): State<SharedWorld>,
    request: Request,
    next: Next,
) -> Response {
    let now = now();
    let anything_due = world.read().is_ok_and(|world| {
        world
            .orgs
            .iter()
            .any(|org| org.scheduled_user_states.iter().any(|job| job.due <= now))
    });
    if anything_due && let Ok(mut world) = world.write() {
        for org in &mut world.orgs {
            run_due(org, now);
        }
    }
    next.run(request).await
}

fn run_due(org: &mut Org, now: i64) {
    let (mut due, pending): (Vec<_>, Vec<_>) = std::mem::take(&mut org.scheduled_user_states)
        .into_iter()
        .partition(|job| job.due <= now);
    org.scheduled_user_states = pending;
    due.sort_by_key(|job| job.due);
    let users = org.collection_mut(Kind::User);
    for job in due {
        if let Some(user) = users.get_mut(&job.user_id) {
            set_state(user, &job.state);
        }
    }
}

/// `GET /api/v2/bulk/userstates`: pending jobs, optionally of one user (`userid`).
async fn list(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    RawQuery(raw): RawQuery,
) -> Result<(HeaderMap, Json<Value>), SimError> {
    let query = ListQuery::parse_v2(raw.as_deref(), &[])?;
    let user = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "userid")
        .map(|(_, value)| value.into_owned());
    read_org(&world, &org_id, |org| {
        let results: Vec<Object> = org
            .scheduled_user_states
            .iter()
            .filter(|job| user.as_ref().is_none_or(|user| &job.user_id == user))
            .map(|job| object(job.to_result()))
            .collect();
        Ok(query.respond_v2(results.iter()))
    })
}

/// `POST /api/v2/bulk/userstates` with `bulk-scheduled-statechange-create`: 201 with a
/// `scheduled-userstate-result` per user. A past `start_date` is accepted (the spec's
/// sample uses one) and runs at the next request.
async fn schedule(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SimError> {
    let body = object_body(&body)?;
    let user_ids: Vec<String> = body
        .get("user_ids")
        .and_then(Value::as_array)
        .filter(|ids| !ids.is_empty())
        .and_then(|ids| {
            ids.iter()
                .map(|id| id.as_str().map(str::to_string))
                .collect()
        })
        .ok_or_else(|| SimError::bad_request("user_ids must be a non-empty array of user ids"))?;
    let state = body
        .get("state")
        .and_then(Value::as_str)
        .and_then(|state| SCHEDULABLE_STATES.iter().find(|known| **known == state))
        .ok_or_else(|| SimError::bad_request("state must be ACTIVATED or SUSPENDED"))?;
    let due = body
        .get("start_date")
        .and_then(Value::as_str)
        .and_then(parse_date_time)
        .ok_or_else(|| SimError::bad_request("start_date must be a date-time"))?;
    let activating = *state == "ACTIVATED";
    if body.get("send_activation_emails") == Some(&Value::Bool(true)) && !activating {
        return Err(SimError::bad_request(
            "send_activation_emails can only be used with scheduled activations",
        ));
    }
    if body.contains_key("activation_email_override") && (!activating || user_ids.len() != 1) {
        return Err(SimError::bad_request(
            "activation_email_override can only be used with a single user_id and scheduled activation",
        ));
    }
    write_org(&world, &org_id, |org| {
        if let Some(unknown) = user_ids
            .iter()
            .find(|id| org.object(Kind::User, id).is_none())
        {
            return Err(SimError::bad_request(format!("user {unknown} not found")));
        }
        let job_id = new_object_id();
        let jobs: Vec<ScheduledUserState> = user_ids
            .into_iter()
            .map(|user_id| ScheduledUserState {
                job_id: job_id.clone(),
                user_id,
                state: state.to_string(),
                due,
            })
            .collect();
        let results = jobs.iter().map(ScheduledUserState::to_result).collect();
        org.scheduled_user_states.extend(jobs);
        Ok((StatusCode::CREATED, Json(Value::Array(results))))
    })
}

/// `DELETE /api/v2/bulk/userstates/{id}`: cancels a whole job; 204.
async fn cancel(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(job_id): Path<String>,
) -> Result<StatusCode, SimError> {
    write_org(&world, &org_id, |org| {
        let before = org.scheduled_user_states.len();
        org.scheduled_user_states.retain(|job| job.job_id != job_id);
        if org.scheduled_user_states.len() == before {
            return Err(SimError::not_found());
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
