//! Device policies (v2 `/policies`), their results and latest statuses, and their
//! associations with systems and system groups.

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphOp, GraphType};
use crate::paging::ListShape;

/// `Policy` (list item) and `PolicyWithDetails` (single get: adds `values`,
/// `config_fields` and `notes`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub template: Option<PolicyTemplate>,
    pub notes: Option<String>,
    pub values: Vec<serde_json::Value>,
    pub config_fields: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyTemplate {
    pub id: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// `darwin`, `windows`, `linux`, `ios`, `android` or `universal`.
    pub os_meta_family: Option<String>,
}

/// `PolicyResult`: one application of a policy on one system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyResult {
    pub id: String,
    #[serde(rename = "policyID")]
    pub policy_id: String,
    #[serde(rename = "systemID")]
    pub system_id: String,
    /// `success`, `failed` or `pending`.
    pub state: Option<String>,
    pub success: Option<bool>,
    pub exit_status: Option<i64>,
    pub std_out: Option<String>,
    pub std_err: Option<String>,
    pub detail: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

impl OrgClient {
    /// Every policy, in id order (`/policies`, unlike the group collections, sorts by id).
    pub async fn list_all_policies(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<Policy>, Error> {
        self.list_all("/api/v2/policies", ListShape::V2Array, Some("id"), progress)
            .await
    }

    /// The policy with its configured values.
    pub async fn get_policy(&self, id: &str) -> Result<Policy, Error> {
        self.execute(Call::get(policy_path(id)?)).await?.json()
    }

    /// Every result of the policy, old ones included.
    pub async fn list_policy_results(&self, id: &str) -> Result<Vec<PolicyResult>, Error> {
        self.list_all_unsorted(&format!("{}/policyresults", policy_path(id)?))
            .await
    }

    /// The latest result of the policy on each system.
    pub async fn list_policy_statuses(&self, id: &str) -> Result<Vec<PolicyResult>, Error> {
        self.list_all_unsorted(&format!("{}/policystatuses", policy_path(id)?))
            .await
    }

    /// Every policy result of the organization (`/policyresults` takes no sort).
    pub async fn list_all_policy_results(&self) -> Result<Vec<PolicyResult>, Error> {
        self.list_all_unsorted("/api/v2/policyresults").await
    }

    /// The latest result of each policy on one system.
    pub async fn list_system_policy_statuses(
        &self,
        system_id: &str,
    ) -> Result<Vec<PolicyResult>, Error> {
        self.list_all_unsorted(&format!(
            "/api/v2/systems/{}/policystatuses",
            object_id(system_id)?
        ))
        .await
    }

    /// The policy's direct associations with `system`s or `system_group`s.
    pub async fn list_policy_associations(
        &self,
        id: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.graph_associations(&format!("{}/associations", policy_path(id)?), target)
            .await
    }

    /// Applies the policy to a system or system group, or stops applying it.
    pub async fn set_policy_association(
        &self,
        id: &str,
        op: GraphOp,
        target: GraphType,
        target_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(
            &format!("{}/associations", policy_path(id)?),
            op,
            target,
            target_id,
        )
        .await
    }
}

fn policy_path(id: &str) -> Result<String, Error> {
    Ok(format!("/api/v2/policies/{}", object_id(id)?))
}
