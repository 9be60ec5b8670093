//! System groups (v2 `/systemgroups`): device groups and their system members.

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphOp, GraphType};
use crate::paging::ListShape;

/// `SystemGroup`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SystemGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub email: Option<String>,
    pub membership_method: Option<String>,
    pub attributes: Option<serde_json::Value>,
    pub member_query: Option<serde_json::Value>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `SystemGroupPost` / `SystemGroupPut`. A v2 PUT replaces the whole group and clears
/// every field left out (NOTES §19), so an update starts from the current group:
/// `SystemGroupFields::from(&group)`, then change what should change.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemGroupFields {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_query: Option<serde_json::Value>,
}

impl From<&SystemGroup> for SystemGroupFields {
    fn from(group: &SystemGroup) -> Self {
        SystemGroupFields {
            name: group.name.clone(),
            description: group.description.clone(),
            email: group.email.clone(),
            membership_method: group.membership_method.clone(),
            attributes: group.attributes.clone(),
            member_query: group.member_query.clone(),
        }
    }
}

impl OrgClient {
    /// Every system group, sorted by name (the group collections refuse `sort=id`).
    pub async fn list_all_system_groups(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<SystemGroup>, Error> {
        self.list_all(
            "/api/v2/systemgroups",
            ListShape::V2Array,
            Some("name"),
            progress,
        )
        .await
    }

    pub async fn get_system_group(&self, id: &str) -> Result<SystemGroup, Error> {
        self.execute(Call::get(group_path(id)?)).await?.json()
    }

    /// Creates a group; a taken name is `Error::Conflict`. Never retried.
    pub async fn create_system_group(
        &self,
        fields: &SystemGroupFields,
    ) -> Result<SystemGroup, Error> {
        self.execute(Call::post("/api/v2/systemgroups", json_body(fields)?))
            .await?
            .json()
    }

    /// Replaces the group with `fields`: whatever is left out is cleared.
    pub async fn replace_system_group(
        &self,
        id: &str,
        fields: &SystemGroupFields,
    ) -> Result<SystemGroup, Error> {
        self.execute(Call::put(group_path(id)?, json_body(fields)?))
            .await?
            .json()
    }

    pub async fn delete_system_group(&self, id: &str) -> Result<(), Error> {
        self.execute(Call::delete(group_path(id)?)).await?;
        Ok(())
    }

    /// The group's direct system members.
    pub async fn list_system_group_members(&self, id: &str) -> Result<Vec<GraphConnection>, Error> {
        self.list_all_unsorted(&format!("{}/members", group_path(id)?))
            .await
    }

    /// Adds a system to the group (`GraphOp::Add`; one already in it is
    /// `Error::Conflict`) or removes one (`GraphOp::Remove`; one not in it is
    /// `Error::NotFound`).
    pub async fn set_system_group_member(
        &self,
        id: &str,
        op: GraphOp,
        system_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(
            &format!("{}/members", group_path(id)?),
            op,
            GraphType::System,
            system_id,
        )
        .await
    }
}

fn group_path(id: &str) -> Result<String, Error> {
    Ok(format!("/api/v2/systemgroups/{}", object_id(id)?))
}
