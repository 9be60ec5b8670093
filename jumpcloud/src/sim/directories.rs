//! v2 `/ldapservers` and `/activedirectories`: the directories an organization syncs
//! with or serves (NOTES §13). Read-only here, but for an LDAP server's bindings:
//! JumpCloud creates the LDAP server itself and an Active Directory appears when its
//! agent is installed.

use std::collections::BTreeMap;

use axum::Router;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

use super::SharedWorld;
use super::graph::association_routes;
use super::seed::{SEED_EPOCH, object_id, timestamp};
use super::world::{Graph, Kind, Object, field, get_object, list_v2, object};

pub(crate) fn routes() -> Router<SharedWorld> {
    Router::new()
        .route(
            "/api/v2/ldapservers",
            list_v2(Kind::LdapServer, &["id", "name"]),
        )
        .route("/api/v2/ldapservers/{id}", get_object(Kind::LdapServer))
        .merge(association_routes(
            "/api/v2/ldapservers/{id}/associations",
            Kind::LdapServer,
            // `trait:graphTargetsLdapServer:targets`: the users and groups that may bind.
            &[Kind::User, Kind::UserGroup],
        ))
        .route(
            "/api/v2/activedirectories",
            list_v2(Kind::ActiveDirectory, &["id", "domain"]),
        )
        .route(
            "/api/v2/activedirectories/{id}",
            get_object(Kind::ActiveDirectory),
        )
}

/// The organization's one LDAP server (`ldap-server`), bound to the groups whose members
/// sign in over LDAP.
pub(crate) fn seed_ldap_server(
    rng: &mut StdRng,
    org_name: &str,
    groups: &BTreeMap<String, Object>,
    graph: &mut Graph,
) -> (String, Object) {
    let id = object_id(rng);
    for (group_id, group) in groups {
        if matches!(field(group, "name").as_str(), "All Staff" | "IT") {
            graph.link(
                (Kind::LdapServer, id.clone()),
                (Kind::UserGroup, group_id.clone()),
            );
        }
    }
    let server = object(json!({
        "id": id,
        "name": format!("{org_name} LDAP"),
        "userLockoutAction": "disable",
        "userPasswordExpirationAction": if rng.gen_bool(0.5) { "disable" } else { "remove" },
    }));
    (id, server)
}

/// One Active Directory domain with a sync agent (`active-directory`).
pub(crate) fn seed_active_directory(rng: &mut StdRng, org_name: &str) -> (String, Object) {
    let id = object_id(rng);
    let short_name = org_name
        .split_whitespace()
        .next()
        .unwrap_or("corp")
        .to_lowercase();
    let directory = object(json!({
        "id": id,
        "domain": format!("ad.{short_name}.example"),
        "primaryAgent": object_id(rng),
        "primaryImportAgent": object_id(rng),
        "delegationState": "ENABLED",
        "groupsEnabled": true,
        "permission": "PERMISSION_OWNER",
        "useCase": "TWOWAYSYNC",
        "updatedAt": timestamp(SEED_EPOCH - rng.gen_range(1..30) * 86_400),
    }));
    (id, directory)
}
