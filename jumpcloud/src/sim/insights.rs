//! Directory Insights `POST /insights/directory/v1/events`: the audit log, searched by
//! service and time and paged with `search_after` (NOTES §3, §15). JumpCloud serves it
//! from its own host; the simulator serves it under the same path on its one address.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::post;
use axum::{Json, Router};
use rand::Rng;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::seed::{SEED_EPOCH, new_object_id, object_id, timestamp};
use super::world::{Kind, Object, object, object_body, project, read_org, value_at};

const SERVICES: &[&str] = &[
    "alerts",
    "all",
    "directory",
    "ldap",
    "mdm",
    "notifications",
    "object_storage",
    "password_manager",
    "radius",
    "reports",
    "saas_app_management",
    "software",
    "sso",
    "systems",
    "access_management",
    "asset_management",
];
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new().route("/insights/directory/v1/events", post(events))
}

/// `EventQuery`.
#[derive(Deserialize)]
struct EventQuery {
    #[serde(default)]
    service: Vec<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    limit: Option<i64>,
    sort: Option<String>,
    fields: Option<Vec<String>>,
    search_term: Option<Map<String, Value>>,
    search_after: Option<Vec<Value>>,
}

/// Where an event sits in the result order: its time in milliseconds, then its id. The
/// `X-Search_after` header carries it as `[millis, "id"]`.
type SortKey = (i64, String);

fn parse_time(field: &str, text: Option<&str>) -> Result<Option<i64>, SimError> {
    text.map(|text| {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(|time| (time.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|_| SimError::bad_request(format!("{field} must be an RFC3339 date: {text}")))
    })
    .transpose()
}

fn sort_key(event: &Object) -> Option<SortKey> {
    let time = event.get("timestamp")?.as_str()?;
    let millis = parse_time("timestamp", Some(time)).ok()??;
    let id = event.get("id")?.as_str()?.to_string();
    Some((millis, id))
}

fn search_after_key(values: &[Value]) -> Result<SortKey, SimError> {
    let invalid = || SimError::bad_request("search_after must be a value of X-Search_after");
    let millis = match values.first() {
        Some(Value::Number(number)) => number.as_i64().ok_or_else(invalid)?,
        Some(Value::String(text)) => text.parse().map_err(|_| invalid())?,
        _ => return Err(invalid()),
    };
    let id = values.get(1).and_then(Value::as_str).ok_or_else(invalid)?;
    Ok((millis, id.to_string()))
}

/// `{field: value}` or `{field: [values]}`; stored values are lowercase (DI coerces them
/// on insert), so the comparison is too.
fn term_matches(event: &Object, term: &Value) -> bool {
    let Some(term) = term.as_object() else {
        return false;
    };
    term.iter().all(|(path, wanted)| {
        let text = |value: &Value| match value {
            Value::String(text) => text.to_lowercase(),
            other => other.to_string(),
        };
        let actual = value_at(event, path).map(text);
        match wanted {
            Value::Array(options) => options.iter().any(|option| actual == Some(text(option))),
            single => actual == Some(text(single)),
        }
    })
}

fn search_matches(event: &Object, search: &Map<String, Value>) -> bool {
    let terms = |conjunction: &str| -> Vec<Value> {
        match search.get(conjunction) {
            Some(Value::Array(terms)) => terms.clone(),
            Some(term @ Value::Object(_)) => vec![term.clone()],
            _ => Vec::new(),
        }
    };
    let all = terms("and");
    let any = terms("or");
    let none = terms("not");
    all.iter().all(|term| term_matches(event, term))
        && (any.is_empty() || any.iter().any(|term| term_matches(event, term)))
        && !none.iter().any(|term| term_matches(event, term))
}

/// `POST /insights/directory/v1/events` → a bare array of events, with the paging
/// headers `X-Result-Count`, `X-Limit`, `X-Sort`, `X-Search_after` and `X-Request-Id`.
async fn events(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    body: Bytes,
) -> Result<(HeaderMap, Json<Value>), SimError> {
    let query: EventQuery = serde_json::from_value(Value::Object(object_body(&body)?))
        .map_err(|error| SimError::bad_request(format!("invalid event query: {error}")))?;
    if query.service.is_empty()
        || query
            .service
            .iter()
            .any(|service| !SERVICES.contains(&service.as_str()))
    {
        return Err(SimError::bad_request(format!(
            "service must be one or more of: {}",
            SERVICES.join(", ")
        )));
    }
    let start = parse_time("start_time", query.start_time.as_deref())?
        .ok_or_else(|| SimError::bad_request("start_time is required"))?;
    let end = parse_time("end_time", query.end_time.as_deref())?;
    let now_millis = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    if start > now_millis {
        return Err(SimError::bad_request("start_time is in the future"));
    }
    if end.is_some_and(|end| end < start) {
        return Err(SimError::bad_request("end_time is before start_time"));
    }
    if query.fields.as_ref().is_some_and(Vec::is_empty) {
        return Err(SimError::bad_request("fields must name at least one field"));
    }
    // Nonsensical limits fall back to the default, as DI documents.
    let limit = query
        .limit
        .and_then(|limit| usize::try_from(limit).ok())
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .unwrap_or(DEFAULT_LIMIT);
    let descending = query
        .sort
        .as_deref()
        .is_some_and(|sort| sort.eq_ignore_ascii_case("desc"));
    let after = query
        .search_after
        .as_deref()
        .filter(|values| !values.is_empty())
        .map(search_after_key)
        .transpose()?;
    let all_services = query.service.iter().any(|service| service == "all");

    let (results, last_key) = read_org(&world, &org_id, |org| {
        let mut matching: Vec<(SortKey, &Object)> = org
            .collection(Kind::InsightsEvent)
            .filter_map(|event| Some((sort_key(event)?, event)))
            .filter(|((millis, _), _)| *millis >= start && end.is_none_or(|end| *millis <= end))
            .filter(|(_, event)| {
                all_services
                    || event
                        .get("service")
                        .and_then(Value::as_str)
                        .is_some_and(|service| query.service.iter().any(|wanted| wanted == service))
            })
            .filter(|(_, event)| {
                query
                    .search_term
                    .as_ref()
                    .is_none_or(|search| search_matches(event, search))
            })
            .collect();
        matching.sort_by(|(a, _), (b, _)| if descending { b.cmp(a) } else { a.cmp(b) });
        let page: Vec<(SortKey, &Object)> = matching
            .into_iter()
            .filter(|(key, _)| {
                after
                    .as_ref()
                    .is_none_or(|after| if descending { key < after } else { key > after })
            })
            .take(limit)
            .collect();
        let last_key = page.last().map(|(key, _)| key.clone()).or(after);
        let results = page
            .iter()
            .map(|(_, event)| selected_fields(event, query.fields.as_deref()))
            .collect::<Result<Vec<Value>, SimError>>()?;
        Ok((results, last_key))
    })?;

    let mut headers = HeaderMap::new();
    headers.insert("x-result-count", HeaderValue::from(results.len()));
    headers.insert("x-limit", HeaderValue::from(limit));
    headers.insert(
        "x-sort",
        HeaderValue::from_static(if descending { "DESC" } else { "ASC" }),
    );
    let search_after = match last_key {
        Some((millis, id)) => json!([millis, id]),
        None => json!([]),
    };
    if let Ok(value) = HeaderValue::from_str(&search_after.to_string()) {
        headers.insert("x-search_after", value);
    }
    if let Ok(request_id) = HeaderValue::from_str(&new_object_id()) {
        headers.insert("x-request-id", request_id);
    }
    Ok((headers, Json(Value::Array(results))))
}

/// The event, or only the `fields` asked for; asking only for fields no event has is
/// an error.
fn selected_fields(event: &Object, fields: Option<&[String]>) -> Result<Value, SimError> {
    let Some(fields) = fields else {
        return Ok(Value::Object(event.clone()));
    };
    let names: Vec<&str> = fields.iter().map(String::as_str).collect();
    let selected = project(event, &names);
    if selected.is_empty() {
        return Err(SimError::bad_request("fields names no known field"));
    }
    Ok(Value::Object(selected))
}

/// The event every service shares: who, from where, when.
fn event(rng: &mut StdRng, org_id: &str, service: &str, event_type: &str, at: i64) -> Object {
    const CITIES: &[(&str, &str, &str, &str)] = &[
        ("America/Denver", "US", "Colorado", "CO"),
        ("America/New_York", "US", "New York", "NY"),
        ("Europe/London", "GB", "England", "ENG"),
        ("Europe/Berlin", "DE", "Berlin", "BE"),
    ];
    let (timezone, country, region, region_code) = CITIES[rng.gen_range(0..CITIES.len())];
    object(json!({
        "id": object_id(rng),
        "@version": "1",
        "service": service,
        "event_type": event_type,
        "organization": org_id,
        "timestamp": timestamp(at),
        "client_ip": format!("198.51.100.{}", rng.gen_range(1..255)),
        "geoip": {
            "timezone": timezone,
            "country_code": country,
            "region_name": region,
            "region_code": region_code,
        },
        "useragent": {
            "name": "Chrome",
            "os": if rng.gen_bool(0.5) { "Mac OS X" } else { "Windows" },
            "major": "131",
            "device": "Other",
        },
    }))
}

/// Two weeks of an organization's audit log before the seed epoch: admin and user
/// portal logins, SSO sign-ins and admin changes to users.
pub(crate) fn seed(
    rng: &mut StdRng,
    org_id: &str,
    users: &BTreeMap<String, Object>,
) -> BTreeMap<String, Object> {
    const DAYS: i64 = 14;
    const APPS: &[&str] = &["Slack", "Google Workspace", "Salesforce", "GitHub"];
    let users: Vec<&Object> = users.values().collect();
    let mut events = BTreeMap::new();
    let Some(first) = users.first() else {
        return events;
    };
    let domain = first
        .get("email")
        .and_then(Value::as_str)
        .and_then(|email| email.split_once('@'))
        .map_or("example.com", |(_, domain)| domain);
    let admin =
        json!({ "id": object_id(rng), "type": "admin", "email": format!("admin@{domain}") });
    let user_ref = |user: &Object| {
        json!({
            "id": user.get("_id"),
            "type": "user",
            "username": user.get("username"),
            "email": user.get("email"),
        })
    };
    let mut add = |event: Object| {
        if let Some(id) = event.get("id").and_then(Value::as_str) {
            events.insert(id.to_string(), event);
        }
    };
    for day in (1..=DAYS).rev() {
        let day_start = SEED_EPOCH - day * 86_400;
        let during_day = |rng: &mut StdRng| day_start + rng.gen_range(7 * 3_600..19 * 3_600);
        for _ in 0..rng.gen_range(1..=2) {
            let at = during_day(rng);
            let mut login = event(rng, org_id, "directory", "admin_login_attempt", at);
            login.insert("initiated_by".into(), admin.clone());
            login.insert("resource".into(), admin.clone());
            login.insert("success".into(), Value::Bool(rng.gen_bool(0.95)));
            login.insert("mfa".into(), Value::Bool(true));
            add(login);
        }
        for _ in 0..rng.gen_range(4..=10) {
            let user = users[rng.gen_range(0..users.len())];
            let at = during_day(rng);
            let portal = rng.gen_bool(0.4);
            let (service, event_type) = if portal {
                ("directory", "user_login_attempt")
            } else {
                ("sso", "sso_auth")
            };
            let mut login = event(rng, org_id, service, event_type, at);
            login.insert("initiated_by".into(), user_ref(user));
            login.insert(
                "username".into(),
                user.get("username").cloned().unwrap_or_default(),
            );
            login.insert("success".into(), Value::Bool(rng.gen_bool(0.9)));
            login.insert(
                "mfa".into(),
                user.get("totp_enabled").cloned().unwrap_or_default(),
            );
            if portal {
                login.insert("resource".into(), user_ref(user));
            } else {
                let app = APPS[rng.gen_range(0..APPS.len())];
                login.insert(
                    "application".into(),
                    json!({ "name": app.to_lowercase(), "display_label": app }),
                );
            }
            add(login);
        }
        if rng.gen_bool(0.6) {
            let user = users[rng.gen_range(0..users.len())];
            let at = during_day(rng);
            let mut change = event(rng, org_id, "directory", "user_update", at);
            change.insert("initiated_by".into(), admin.clone());
            change.insert("resource".into(), user_ref(user));
            change.insert("success".into(), Value::Bool(true));
            let (field, from, to) = match rng.gen_range(0..3) {
                0 => ("jobtitle", "", "team lead"),
                1 => ("account_locked", "true", "false"),
                _ => ("password_expired", "false", "true"),
            };
            change.insert(
                "changes".into(),
                json!([{ "field": field, "from": from, "to": to }]),
            );
            add(change);
        }
    }
    events
}
