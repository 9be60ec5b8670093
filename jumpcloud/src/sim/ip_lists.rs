//! v2 `/iplists`: named sets of addresses, ranges and CIDR blocks used by conditional
//! access policies (NOTES §13).

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Json, Router};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::auth::OrgScope;
use super::error::SimError;
use super::seed::object_id;
use super::world::{
    Kind, Object, create_object, get_object, list_v2, object, object_body, replace_object,
    write_org,
};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route(
            "/api/v2/iplists",
            list_v2(Kind::IpList, &["id", "name"])
                .merge(create_object(Kind::IpList, |_, id, body| ip_list(id, body))),
        )
        .route(
            "/api/v2/iplists/{id}",
            get_object(Kind::IpList)
                .merge(replace_object(Kind::IpList, |_, id, body| {
                    ip_list(id, body)
                }))
                .patch(update)
                .delete(remove),
        )
}

/// The `IPList` an `IPListRequest` makes (every field optional in the spec), refusing a
/// list without a name and entries that are not an address, a CIDR block or an `a-b`
/// range.
fn ip_list(id: &str, request: &Object) -> Result<Object, SimError> {
    let text = |name: &str| match request.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(SimError::bad_request(format!(
            "{name} must be a string, not {other}"
        ))),
    };
    let name = text("name")?;
    if name.trim().is_empty() {
        return Err(SimError::bad_request("name is required"));
    }
    let ips: Vec<String> = match request.get("ips") {
        None | Some(Value::Null) => Vec::new(),
        Some(ips) => serde_json::from_value(ips.clone())
            .map_err(|_| SimError::bad_request("ips must be an array of strings"))?,
    };
    if let Some(bad) = ips.iter().find(|entry| !valid_entry(entry)) {
        return Err(SimError::bad_request(format!("invalid IP address: {bad}")));
    }
    Ok(object(json!({
        "id": id,
        "name": name,
        "description": text("description")?,
        "ips": ips,
    })))
}

fn valid_entry(entry: &str) -> bool {
    let address = |text: &str| text.trim().parse::<IpAddr>().ok();
    if let Some((start, end)) = entry.split_once('-') {
        return matches!((address(start), address(end)),
            (Some(a), Some(b)) if a.is_ipv4() == b.is_ipv4() && a <= b);
    }
    match entry.split_once('/') {
        Some((base, bits)) => address(base).is_some_and(|base| {
            let max = if base.is_ipv4() { 32 } else { 128 };
            bits.parse::<u8>().is_ok_and(|bits| bits <= max)
        }),
        None => address(entry).is_some(),
    }
}

/// `PATCH /api/v2/iplists/{id}`: changes only the fields sent.
async fn update(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, SimError> {
    let changes = object_body(&body)?;
    write_org(&world, &org_id, |org| {
        let mut merged = org.existing(Kind::IpList, &id)?.clone();
        merged.extend(changes);
        let list = ip_list(&id, &merged)?;
        Ok(Json(Value::Object(org.insert(Kind::IpList, &id, list))))
    })
}

/// `DELETE /api/v2/iplists/{id}` → 200 with the deleted `IPList`.
async fn remove(
    State(world): State<SharedWorld>,
    OrgScope(org_id): OrgScope,
    Path(id): Path<String>,
) -> Result<Json<Value>, SimError> {
    write_org(&world, &org_id, |org| {
        Ok(Json(Value::Object(org.remove(Kind::IpList, &id)?)))
    })
}

/// The lists an organization would have: its office and its VPN egress.
pub(crate) fn seed(rng: &mut StdRng) -> BTreeMap<String, Object> {
    let office = format!("203.0.113.{}", rng.gen_range(1..100));
    let branch = rng.gen_range(1..200);
    let lists = [
        (
            "Head office",
            "Office egress addresses",
            vec![office, format!("192.0.2.{branch}-192.0.2.{}", branch + 20)],
        ),
        (
            "VPN egress",
            "Addresses of the corporate VPN",
            vec!["198.51.100.0/28".to_string(), "2001:db8:1::/48".to_string()],
        ),
    ];
    lists
        .into_iter()
        .map(|(name, description, ips)| {
            let id = object_id(rng);
            let list =
                object(json!({ "id": id, "name": name, "description": description, "ips": ips }));
            (id, list)
        })
        .collect()
}
