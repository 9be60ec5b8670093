//! v1 `/systemusers` (NOTES §6, §7) and the v2 graph reads of one user
//! (`/users/{id}/memberof`, `/users/{id}/systems`; NOTES §8).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::graph::traversal_route;
use super::query::query_param;
use super::seed::{new_object_id, now, timestamp};
use super::world::{Kind, Object, Org, get_object, list_v1, object_body, write_org};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/systemusers", list_v1(Kind::User).post(create))
        .route(
            "/api/systemusers/{id}",
            get_object(Kind::User).put(update).delete(remove),
        )
        .route("/api/systemusers/{id}/state/activate", post(activate))
        .route("/api/systemusers/{id}/unlock", post(unlock))
        .route("/api/systemusers/{id}/resetmfa", post(reset_mfa))
        .route("/api/systemusers/{id}/expire", post(expire))
        .merge(traversal_route(
            "/api/v2/users/{id}/memberof",
            Kind::User,
            &[&[Kind::UserGroup]],
        ))
        .merge(traversal_route(
            "/api/v2/users/{id}/systems",
            Kind::User,
            &[
                &[Kind::System],
                &[Kind::UserGroup, Kind::System],
                &[Kind::SystemGroup, Kind::System],
                &[Kind::UserGroup, Kind::SystemGroup, Kind::System],
            ],
        ))
}

/// Fields of `systemuserputpost` / `systemuserput` stored as sent. `state`, `suspended`,
/// `activated` and `password` follow rules of their own.
const PROFILE_FIELDS: &[&str] = &[
    "account_locked",
    "addresses",
    "allow_public_key",
    "alternateEmail",
    "attributes",
    "company",
    "costCenter",
    "delegatedAuthority",
    "department",
    "description",
    "disableDeviceMaxLoginAttempts",
    "displayname",
    "email",
    "employeeIdentifier",
    "employeeType",
    "enable_managed_uid",
    "enable_user_portal_multifactor",
    "external_dn",
    "external_password_expiration_date",
    "external_source_type",
    "externally_managed",
    "firstname",
    "jobTitle",
    "lastname",
    "ldap_binding_user",
    "location",
    "managedAppleId",
    "manager",
    "mfa",
    "middlename",
    "password_never_expires",
    "passwordless_sudo",
    "phoneNumbers",
    "public_key",
    "recoveryEmail",
    "relationships",
    "restrictedFields",
    "samba_service_user",
    "ssh_keys",
    "sudo",
    "unix_guid",
    "unix_uid",
    "username",
];

/// `systemuserputpost.state` allows all three; `systemuserput.state` cannot go back to
/// STAGED (NOTES §6).
const CREATE_STATES: &[&str] = &["STAGED", "ACTIVATED", "SUSPENDED"];
const UPDATE_STATES: &[&str] = &["ACTIVATED", "SUSPENDED"];

/// The simulated organization's password policy: expiry after 90 days, 8 characters.
pub(crate) const PASSWORD_LIFETIME_DAYS: i64 = 90;
const PASSWORD_MIN_LENGTH: usize = 8;

const DAY: i64 = 86_400;

/// A `date-time` as JumpCloud takes it: RFC 3339, or without an offset (the spec's own
/// example is `2020-01-01T02:00:00`), read as UTC.
pub(crate) fn parse_date_time(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .or_else(|_| {
            PrimitiveDateTime::parse(text, &Iso8601::DEFAULT)
                .map(|local| local.assume_utc().unix_timestamp())
        })
        .ok()
}

fn text<'a>(object: &'a Object, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

/// A `systemuserreturn` with every field at the value JumpCloud gives a new user.
pub(crate) fn blank_user(id: &str, org_id: &str, created: i64, unix_uid: u64) -> Object {
    let user = json!({
        "_id": id,
        "username": "",
        "email": "",
        "firstname": "",
        "middlename": "",
        "lastname": "",
        "displayname": "",
        "company": "",
        "department": "",
        "jobTitle": "",
        "employeeType": "",
        "employeeIdentifier": "",
        "costCenter": "",
        "location": "",
        "description": "",
        "state": "ACTIVATED",
        "activated": true,
        "suspended": false,
        "account_locked": false,
        "account_locked_date": null,
        "badLoginAttempts": 0,
        "created": timestamp(created),
        "creationSource": "api",
        "organization": org_id,
        "password_date": null,
        "password_expiration_date": null,
        "password_expired": false,
        "password_never_expires": false,
        "totp_enabled": false,
        "enable_user_portal_multifactor": false,
        "mfa": { "configured": false, "exclusion": false },
        "mfaEnrollment": {
            "overallStatus": "NOT_ENROLLED",
            "totpStatus": "NOT_ENROLLED",
            "webAuthnStatus": "NOT_ENROLLED",
            "pushStatus": "NOT_ENROLLED",
        },
        "sudo": false,
        "passwordless_sudo": false,
        "allow_public_key": true,
        "public_key": "",
        "ssh_keys": [],
        "unix_uid": unix_uid,
        "unix_guid": unix_uid,
        "enable_managed_uid": false,
        "samba_service_user": false,
        "ldap_binding_user": false,
        "externally_managed": false,
        "external_dn": "",
        "external_source_type": "",
        "addresses": [],
        "phoneNumbers": [],
        "attributes": [],
        "relationships": [],
        "restrictedFields": [],
        "disableDeviceMaxLoginAttempts": false,
    });
    user.as_object().cloned().unwrap_or_default()
}

/// Moves a user to `state`, keeping the `activated`/`suspended` booleans in step.
pub(crate) fn set_state(user: &mut Object, state: &str) {
    user.insert("state".into(), state.into());
    user.insert("activated".into(), (state != "STAGED").into());
    user.insert("suspended".into(), (state == "SUSPENDED").into());
}

/// Records a password change at `when`: a fresh expiry and no longer expired.
pub(crate) fn set_password_date(user: &mut Object, when: i64) {
    user.insert("password_date".into(), timestamp(when).into());
    user.insert(
        "password_expiration_date".into(),
        timestamp(when + PASSWORD_LIFETIME_DAYS * DAY).into(),
    );
    user.insert("password_expired".into(), false.into());
}

fn clear_lockout(user: &mut Object) {
    user.insert("account_locked".into(), false.into());
    user.insert("account_locked_date".into(), Value::Null);
    user.insert("badLoginAttempts".into(), 0.into());
}

/// `user` with `body` applied: every field sent replaces that field and every other
/// field stays, as v1 writes do (NOTES §19). Checked like JumpCloud checks a
/// `systemuserputpost`/`systemuserput`.
fn merged(
    org: &Org,
    mut user: Object,
    body: &Object,
    allowed_states: &[&str],
) -> Result<Object, SimError> {
    for field in PROFILE_FIELDS {
        if let Some(value) = body.get(*field) {
            user.insert(field.to_string(), value.clone());
        }
    }
    let id = text(&user, "_id").unwrap_or_default().to_string();
    for field in ["username", "email"] {
        if text(&user, field).is_none_or(|value| value.trim().is_empty()) {
            return Err(SimError::bad_request(format!("{field} is required")));
        }
    }
    let username = text(&user, "username").unwrap_or_default();
    let email = text(&user, "email").unwrap_or_default();
    if !email.contains('@') {
        return Err(SimError::bad_request(format!(
            "email {email:?} is not a valid email address"
        )));
    }
    let others = || {
        org.collection(Kind::User)
            .filter(|other| text(other, "_id") != Some(id.as_str()))
    };
    // A taken username or email is a 400, the only answer the spec has for it: v1-2023
    // documents `400 "User already exists or Bad Request"` on `POST /systemusers` (and
    // 400 on the PUT); the SDK copies in `spec/` document no error at all.
    if others()
        .any(|other| text(other, "username").is_some_and(|u| u.eq_ignore_ascii_case(username)))
    {
        return Err(SimError::bad_request(format!(
            "username {username:?} already exists"
        )));
    }
    if others().any(|other| text(other, "email").is_some_and(|e| e.eq_ignore_ascii_case(email))) {
        return Err(SimError::bad_request(format!(
            "email {email:?} already exists"
        )));
    }
    if let Some(manager) = text(&user, "manager").filter(|manager| !manager.is_empty())
        && (manager == id || org.object(Kind::User, manager).is_none())
    {
        return Err(SimError::bad_request(format!(
            "manager {manager:?} is not another user of this organization"
        )));
    }
    if let Some(state) = body.get("state") {
        let state = state
            .as_str()
            .filter(|state| allowed_states.contains(state))
            .ok_or_else(|| {
                SimError::bad_request(format!(
                    "state must be one of {}",
                    allowed_states.join(", ")
                ))
            })?;
        set_state(&mut user, state);
    } else if let Some(suspended) = body.get("suspended").and_then(Value::as_bool) {
        let is_suspended = text(&user, "state") == Some("SUSPENDED");
        if suspended != is_suspended {
            set_state(&mut user, if suspended { "SUSPENDED" } else { "ACTIVATED" });
        }
    }
    if body.get("account_locked") == Some(&Value::Bool(false)) {
        clear_lockout(&mut user);
    }
    if let Some(password) = body.get("password") {
        if password
            .as_str()
            .is_none_or(|password| password.chars().count() < PASSWORD_MIN_LENGTH)
        {
            return Err(SimError::bad_request(format!(
                "password must be at least {PASSWORD_MIN_LENGTH} characters"
            )));
        }
        set_password_date(&mut user, now());
    }
    Ok(user)
}

/// `POST /api/systemusers`: 200 with the new `systemuserreturn` (the spec says 200, not
/// 201). A taken username or email is refused with 400, as `merged` explains.
async fn create(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let body = object_body(&body)?;
    write_org(&world, &org_id, |org| {
        let id = new_object_id();
        let next_uid = org
            .collection(Kind::User)
            .filter_map(|user| user.get("unix_uid").and_then(Value::as_u64))
            .max()
            .map_or(5000, |highest| highest + 1);
        let blank = blank_user(&id, &org.id, now(), next_uid);
        let user = merged(org, blank, &body, CREATE_STATES)?;
        org.collection_mut(Kind::User).insert(id, user.clone());
        Ok(Json(Value::Object(user)))
    })
}

/// `PUT /api/systemusers/{id}`: merges the fields sent.
async fn update(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let body = object_body(&body)?;
    write_org(&world, &org_id, |org| {
        let user = org
            .object(Kind::User, &id)
            .cloned()
            .ok_or_else(SimError::not_found)?;
        let user = merged(org, user, &body, UPDATE_STATES)?;
        org.collection_mut(Kind::User).insert(id, user.clone());
        Ok(Json(Value::Object(user)))
    })
}

/// `DELETE /api/systemusers/{id}`: 200 with the deleted user. A manager of other users
/// is refused with 409 unless `cascade_manager` asks to clear their manager first
/// (v1-2023). The user's associations and scheduled state changes go with it.
async fn remove(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, SimError> {
    let cascade_manager = query_param(raw.as_deref(), "cascade_manager").is_some();
    write_org(&world, &org_id, |org| {
        if org.object(Kind::User, &id).is_none() {
            return Err(SimError::not_found());
        }
        let users = org.collection_mut(Kind::User);
        let reports: Vec<&mut Object> = users
            .values_mut()
            .filter(|user| text(user, "manager") == Some(id.as_str()))
            .collect();
        if !reports.is_empty() && !cascade_manager {
            return Err(SimError::new(
                StatusCode::CONFLICT,
                format!(
                    "user is the manager of {} other users; delete with cascade_manager=null to clear their manager",
                    reports.len()
                ),
            ));
        }
        // `manager` is a string the spec does not let be null: a cleared manager is
        // left out.
        for report in reports {
            report.remove("manager");
        }
        let user = org.remove(Kind::User, &id)?;
        org.scheduled_user_states.retain(|job| job.user_id != id);
        Ok(Json(Value::Object(user)))
    })
}

/// Applies `change` to one user; 200 with no body, as the v1 user actions answer.
fn change_user(
    world: &SharedWorld,
    org_id: &str,
    id: &str,
    change: impl FnOnce(&mut Object) -> Result<(), SimError>,
) -> Result<StatusCode, SimError> {
    write_org(world, org_id, |org| {
        let user = org
            .collection_mut(Kind::User)
            .get_mut(id)
            .ok_or_else(SimError::not_found)?;
        change(user)?;
        Ok(StatusCode::OK)
    })
}

/// `POST /api/systemusers/{id}/state/activate`: STAGED → ACTIVATED. `email` is a string
/// (another address) or `false` (no email), NOTES §6.
async fn activate(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, SimError> {
    let body = object_body(&body)?;
    if !matches!(
        body.get("email"),
        None | Some(Value::String(_)) | Some(Value::Bool(false))
    ) {
        return Err(SimError::bad_request(
            "email must be an address, or false to send no email",
        ));
    }
    change_user(&world, &org_id, &id, |user| {
        if text(user, "state") != Some("STAGED") {
            return Err(SimError::new(
                StatusCode::CONFLICT,
                "only a STAGED user can be activated",
            ));
        }
        set_state(user, "ACTIVATED");
        Ok(())
    })
}

/// `POST /api/systemusers/{id}/unlock`
async fn unlock(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<StatusCode, SimError> {
    change_user(&world, &org_id, &id, |user| {
        clear_lockout(user);
        Ok(())
    })
}

/// `POST /api/systemusers/{id}/expire`: the password must be changed at next login.
async fn expire(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<StatusCode, SimError> {
    change_user(&world, &org_id, &id, |user| {
        user.insert("password_expired".into(), true.into());
        user.insert("password_expiration_date".into(), timestamp(now()).into());
        Ok(())
    })
}

/// `POST /api/systemusers/{id}/resetmfa` with `{exclusion, exclusionDays ≥ 1,
/// exclusionUntil}`: the TOTP key is gone and a new enrollment period starts; during an
/// exclusion the user may still log in without MFA (NOTES §7).
async fn reset_mfa(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, SimError> {
    let body = object_body(&body)?;
    let exclusion = match body.get("exclusion") {
        None => false,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| SimError::bad_request("exclusion must be a boolean"))?,
    };
    let days = match body.get("exclusionDays") {
        None => None,
        Some(value) => Some(value.as_f64().filter(|days| *days >= 1.0).ok_or_else(|| {
            SimError::bad_request("exclusionDays must be a number of at least 1")
        })?),
    };
    let until = match text(&body, "exclusionUntil") {
        None => None,
        Some(until) => Some(
            parse_date_time(until)
                .ok_or_else(|| SimError::bad_request("exclusionUntil must be a date-time"))?,
        ),
    };
    let until = until.or_else(|| days.map(|days| now() + (days * DAY as f64) as i64));
    if exclusion && until.is_none() {
        return Err(SimError::bad_request(
            "an exclusion needs exclusionDays or exclusionUntil",
        ));
    }
    change_user(&world, &org_id, &id, |user| {
        let mut mfa = json!({ "configured": false, "exclusion": exclusion });
        if exclusion && let Some(until) = until {
            mfa["exclusionUntil"] = timestamp(until).into();
            if let Some(days) = days {
                mfa["exclusionDays"] = days.into();
            }
        }
        let status = if exclusion {
            "IN_ENROLLMENT"
        } else {
            "NOT_ENROLLED"
        };
        user.insert("mfa".into(), mfa);
        user.insert("totp_enabled".into(), false.into());
        user.insert(
            "mfaEnrollment".into(),
            json!({
                "overallStatus": status,
                "totpStatus": status,
                "webAuthnStatus": "NOT_ENROLLED",
                "pushStatus": "NOT_ENROLLED",
            }),
        );
        Ok(())
    })
}
