//! v2 `/softwareapps`: software JumpCloud installs on bound devices (NOTES §13).

use std::collections::BTreeMap;

use axum::Router;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::SharedWorld;
use super::error::SimError;
use super::seed::{SEED_EPOCH, now, object_id, timestamp};
use super::world::{Kind, Object, create_object, delete_object, get_object, list_v2, object};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route(
            "/api/v2/softwareapps",
            list_v2(Kind::SoftwareApp, &["id", "displayName"])
                .merge(create_object(Kind::SoftwareApp, |_, id, body| {
                    new_software_app(id, body)
                })),
        )
        .route(
            "/api/v2/softwareapps/{id}",
            get_object(Kind::SoftwareApp).merge(delete_object(Kind::SoftwareApp)),
        )
}

/// The `software-app-create` a `POST /api/v2/softwareapps` body makes. A package
/// manager app needs a `packageId` in its settings.
fn new_software_app(id: &str, request: &Object) -> Result<Object, SimError> {
    let display_name = match request.get("displayName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name,
        _ => return Err(SimError::bad_request("displayName is required")),
    };
    let settings: Vec<Object> = match request.get("settings") {
        None | Some(Value::Null) => Vec::new(),
        Some(settings) => serde_json::from_value(settings.clone())
            .map_err(|_| SimError::bad_request("settings must be an array of objects"))?,
    };
    let has_package = settings.iter().any(|settings| {
        settings
            .get("packageId")
            .and_then(Value::as_str)
            .is_some_and(|id| !id.is_empty())
    });
    if !has_package {
        return Err(SimError::bad_request("settings.packageId is required"));
    }
    Ok(software_app(id, display_name, settings, &timestamp(now())))
}

fn software_app(id: &str, display_name: &str, settings: Vec<Object>, created: &str) -> Object {
    object(json!({
        "id": id,
        "displayName": display_name,
        "settings": settings,
        "createdAt": created,
        "updatedAt": created,
    }))
}

/// Common apps from the package managers JumpCloud drives.
pub(crate) fn seed(rng: &mut StdRng) -> BTreeMap<String, Object> {
    const CATALOG: &[(&str, &str, &str)] = &[
        ("Google Chrome", "googlechrome", "CHOCOLATEY"),
        ("Slack", "slack", "CHOCOLATEY"),
        ("Zoom", "zoom", "CHOCOLATEY"),
        ("1Password", "com.1password.1password", "APPLE_VPP"),
        ("Firefox", "firefox", "CHOCOLATEY"),
    ];
    CATALOG
        .iter()
        .map(|(name, package, manager)| {
            let id = object_id(rng);
            let created = SEED_EPOCH - rng.gen_range(30..400) * 86_400;
            let settings = json!({
                "packageId": package,
                "packageManager": manager,
                "desiredState": "Install",
                "autoUpdate": rng.gen_bool(0.7),
                "allowUpdateDelay": false,
                "location": "",
                "locationObjectId": "",
            });
            let mut app = software_app(&id, name, vec![object(settings)], &timestamp(created));
            app.insert(
                "updatedAt".into(),
                Value::String(timestamp(created + rng.gen_range(0..30) * 86_400)),
            );
            (id, app)
        })
        .collect()
}
