//! Systems, i.e. devices (v1 `/systems`, `/search/systems`, the built-in security
//! commands; v2 graph views). Systems cannot be created through the API: an agent enrols
//! them (NOTES §19).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphObjectWithPaths, GraphOp, GraphType};
use crate::paging::{ListShape, MAX_LIMIT, Page};

/// `JcSystem`, tolerant of missing and extra fields (NOTES §17.7).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct System {
    #[serde(rename = "_id")]
    pub id: String,
    pub display_name: Option<String>,
    pub hostname: Option<String>,
    pub description: Option<String>,
    pub serial_number: Option<String>,
    pub hw_vendor: Option<String>,
    pub os: Option<String>,
    pub os_family: Option<String>,
    pub version: Option<String>,
    pub arch: Option<String>,
    pub agent_version: Option<String>,
    pub created: Option<String>,
    pub last_contact: Option<String>,
    pub active: Option<bool>,
    #[serde(rename = "remoteIP")]
    pub remote_ip: Option<String>,
    pub fde: Option<Fde>,
    pub mdm: Option<Mdm>,
    pub primary_system_user: Option<PrimarySystemUser>,
    pub allow_ssh_root_login: Option<bool>,
    pub allow_ssh_password_authentication: Option<bool>,
    pub allow_multi_factor_authentication: Option<bool>,
    pub allow_public_key_authentication: Option<bool>,
    /// Built-in security commands queued for the device.
    pub built_in_commands: Vec<QueuedBuiltinCommand>,
    pub policy_stats: Option<PolicyStats>,
    pub is_policy_bound: Option<bool>,
}

/// Full-disk encryption: whether it is on, and whether JumpCloud holds the recovery key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Fde {
    pub active: Option<bool>,
    pub key_present: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Mdm {
    /// `unknown`, `none`, `internal` (JumpCloud MDM) or `external`.
    pub vendor: Option<String>,
    pub dep: Option<bool>,
    pub user_approved: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PrimarySystemUser {
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QueuedBuiltinCommand {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyStats {
    pub total: Option<u64>,
    pub success: Option<u64>,
    pub failed: Option<u64>,
    pub pending: Option<u64>,
}

/// `systemput`: v1 PUT merges, so only the fields set here change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_ssh_root_login: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_ssh_password_authentication: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_multi_factor_authentication: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_public_key_authentication: Option<bool>,
}

/// One page of systems for a list view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SystemQuery {
    /// At most 100 (JumpCloud's cap).
    pub limit: u64,
    pub skip: u64,
    /// Space-separated v1 sort fields, `-` for descending, e.g. `-lastContact _id`.
    pub sort: Option<String>,
    /// v1 filters `<field>:$<op>:<value>` (`$eq $ne $gt $gte $lt $lte`), all must match.
    pub filter: Vec<String>,
}

/// The built-in security commands (Linux and Windows only; macOS needs Apple MDM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinCommand {
    Lock,
    Restart,
    Shutdown,
    Erase,
}

impl BuiltinCommand {
    fn path_segment(self) -> &'static str {
        match self {
            BuiltinCommand::Lock => "lock",
            BuiltinCommand::Restart => "restart",
            BuiltinCommand::Shutdown => "shutdown",
            BuiltinCommand::Erase => "erase",
        }
    }
}

impl OrgClient {
    /// One page of systems, with the total for a pager.
    pub async fn list_systems(&self, query: &SystemQuery) -> Result<Page<System>, Error> {
        let mut call = Call::get("/api/systems")
            .query("limit", query.limit.min(MAX_LIMIT))
            .query("skip", query.skip);
        if let Some(sort) = &query.sort {
            call = call.query("sort", sort);
        }
        for filter in &query.filter {
            call = call.query("filter", filter);
        }
        self.v1_page(call).await
    }

    /// One page of systems whose hostname, display name or serial number contains
    /// `term` (case-insensitive), through `POST /search/systems`.
    pub async fn search_systems(
        &self,
        term: &str,
        limit: u64,
        skip: u64,
    ) -> Result<Page<System>, Error> {
        // Paging goes in the body: the operation declares no query parameters.
        let body = json!({
            "searchFilter": {
                "searchTerm": term,
                "fields": ["hostname", "displayName", "serialNumber"],
            },
            "limit": limit.min(MAX_LIMIT),
            "skip": skip,
        });
        self.v1_page(Call::post("/api/search/systems", body).idempotent())
            .await
    }

    /// Every system, in `_id` order; `progress` hears (fetched, total) per page.
    pub async fn list_all_systems(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<System>, Error> {
        self.list_all("/api/systems", ListShape::V1Envelope, Some("_id"), progress)
            .await
    }

    pub async fn get_system(&self, id: &str) -> Result<System, Error> {
        self.execute(Call::get(format!("/api/systems/{}", object_id(id)?)))
            .await?
            .json()
    }

    /// Changes the fields set in `update`; the others stay as they are.
    pub async fn update_system(&self, id: &str, update: &SystemUpdate) -> Result<System, Error> {
        let path = format!("/api/systems/{}", object_id(id)?);
        self.execute(Call::put(path, json_body(update)?))
            .await?
            .json()
    }

    /// Removes the system (its agent uninstalls itself when online); returns it as it was.
    pub async fn delete_system(&self, id: &str) -> Result<System, Error> {
        self.execute(Call::delete(format!("/api/systems/{}", object_id(id)?)))
            .await?
            .json()
    }

    /// Queues a built-in security command on the device (run when it is next online).
    /// Never retried: a repeated erase or restart is not harmless.
    pub async fn run_builtin_command(
        &self,
        id: &str,
        command: BuiltinCommand,
    ) -> Result<(), Error> {
        let path = format!(
            "/api/systems/{}/command/builtin/{}",
            object_id(id)?,
            command.path_segment()
        );
        self.execute(Call::action(path)).await?;
        Ok(())
    }

    /// Users who can log in to the system, directly or through groups.
    pub async fn list_system_users(&self, id: &str) -> Result<Vec<GraphObjectWithPaths>, Error> {
        self.list_all_unsorted(&format!("/api/v2/systems/{}/users", object_id(id)?))
            .await
    }

    /// The system groups the system is a member of.
    pub async fn list_system_memberof(&self, id: &str) -> Result<Vec<GraphObjectWithPaths>, Error> {
        self.list_all_unsorted(&format!("/api/v2/systems/{}/memberof", object_id(id)?))
            .await
    }

    /// The system's direct associations with objects of `target` (`user`, `user_group`,
    /// `command`, `policy`).
    pub async fn list_system_associations(
        &self,
        id: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.graph_associations(
            &format!("/api/v2/systems/{}/associations", object_id(id)?),
            target,
        )
        .await
    }

    /// Binds (or unbinds) a user or user group to the system.
    pub async fn set_system_association(
        &self,
        id: &str,
        op: GraphOp,
        target: GraphType,
        target_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(
            &format!("/api/v2/systems/{}/associations", object_id(id)?),
            op,
            target,
            target_id,
        )
        .await
    }
}
