//! SSO applications (v1 `/applications`; v2 associations and user traversal; NOTES §12).

use axum::Router;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

use super::SharedWorld;
use super::graph::{association_routes, traversal_route};
use super::seed::{SEED_EPOCH, object_id, timestamp};
use super::world::{Kind, Org, field, get_object, list_v1, object};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route("/api/applications", list_v1(Kind::Application))
        .route("/api/applications/{id}", get_object(Kind::Application))
        .merge(association_routes(
            "/api/v2/applications/{id}/associations",
            Kind::Application,
            &[Kind::User, Kind::UserGroup],
        ))
        .merge(traversal_route(
            "/api/v2/applications/{id}/users",
            Kind::Application,
            &[&[Kind::User], &[Kind::UserGroup, Kind::User]],
        ))
}

/// `(catalog name, display label, colour, SSO URL host, user groups given access)`.
const APPLICATIONS: &[(&str, &str, &str, &str, &[&str])] = &[
    ("slack", "Slack", "#7C6ADA", "slack.com", &["All Staff"]),
    (
        "googleworkspace",
        "Google Workspace",
        "#006CAC",
        "google.com",
        &["All Staff"],
    ),
    (
        "salesforce",
        "Salesforce",
        "#3E8696",
        "my.salesforce.com",
        &["Sales", "Support"],
    ),
    (
        "github",
        "GitHub",
        "#202D38",
        "github.com",
        &["Engineering"],
    ),
    ("zoom", "Zoom", "#0617AC", "zoom.us", &["All Staff"]),
    (
        "awssso",
        "AWS IAM Identity Center",
        "#FFB000",
        "awsapps.com",
        &["Engineering", "IT"],
    ),
];

/// The usual SaaS suite, each SAML app given to the user groups that need it.
pub(crate) fn seed(rng: &mut StdRng, org: &mut Org) {
    let tenant = org
        .name
        .split_whitespace()
        .next()
        .unwrap_or("org")
        .to_lowercase();
    for &(name, label, color, host, groups) in APPLICATIONS {
        let id = object_id(rng);
        let sso_url = format!("https://sso.jumpcloud.com/saml2/{name}-{tenant}");
        let config_field = |label: &str, value: String, position: i64| {
            json!({
                "label": label,
                "value": value,
                "type": "text",
                "position": position,
                "visible": true,
                "readOnly": false,
                "required": true,
            })
        };
        let application = object(json!({
            "_id": id,
            "name": name,
            "displayName": label,
            "displayLabel": label,
            "description": format!("{label} single sign-on"),
            "ssoUrl": sso_url,
            "active": true,
            "beta": false,
            "color": color,
            "logo": { "color": color, "url": format!("https://cdn.jumpcloud.com/apps/{name}.png") },
            "created": timestamp(SEED_EPOCH - rng.gen_range(30..800) * 86_400),
            "organization": org.id,
            "learnMore": format!("https://jumpcloud.com/support/integrate-with-{name}"),
            "sso": { "type": "saml", "jit": rng.gen_bool(0.5), "hidden": false, "beta": false },
            "config": {
                "acsUrl": config_field("ACS URL", format!("https://{tenant}.{host}/saml/acs"), 1),
                "spEntityId": config_field("SP Entity ID", format!("https://{tenant}.{host}"), 2),
                "idpEntityId": config_field("IdP Entity ID", format!("jumpcloud-{tenant}"), 3),
            },
            "databaseAttributes": [],
        }));
        org.collection_mut(Kind::Application)
            .insert(id.clone(), application);
        let group_ids: Vec<String> = org
            .collection(Kind::UserGroup)
            .filter(|group| groups.contains(&field(group, "name").as_str()))
            .map(|group| field(group, "id"))
            .collect();
        for group in group_ids {
            org.graph
                .link((Kind::Application, id.clone()), (Kind::UserGroup, group));
        }
    }
}
