//! User groups (v2 `/usergroups`) and their user members.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphObjectWithPaths, GraphOp, GraphType};
use crate::paging::ListShape;

/// `UserGroup`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub email: Option<String>,
    /// `GroupAttributes-UserGroup` (sudo, ldapGroups, posixGroups, radius, ...).
    pub attributes: Option<Value>,
    #[serde(rename = "membershipMethod")]
    pub membership_method: Option<String>,
    #[serde(rename = "memberQuery")]
    pub member_query: Option<Value>,
    #[serde(rename = "memberQueryExemptions")]
    pub member_query_exemptions: Option<Vec<Value>>,
    #[serde(rename = "memberSuggestionsNotify")]
    pub member_suggestions_notify: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// The writable fields of a group (`UserGroupPost` / `UserGroupPut`). A PUT replaces
/// the whole group: a field left `None` is cleared (NOTES §19).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct UserGroupFields {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Value>,
    #[serde(rename = "membershipMethod", skip_serializing_if = "Option::is_none")]
    pub membership_method: Option<String>,
    #[serde(rename = "memberQuery", skip_serializing_if = "Option::is_none")]
    pub member_query: Option<Value>,
    #[serde(
        rename = "memberQueryExemptions",
        skip_serializing_if = "Option::is_none"
    )]
    pub member_query_exemptions: Option<Vec<Value>>,
    #[serde(
        rename = "memberSuggestionsNotify",
        skip_serializing_if = "Option::is_none"
    )]
    pub member_suggestions_notify: Option<bool>,
}

impl From<UserGroup> for UserGroupFields {
    fn from(group: UserGroup) -> Self {
        UserGroupFields {
            name: group.name,
            description: group.description,
            email: group.email,
            attributes: group.attributes,
            membership_method: group.membership_method,
            member_query: group.member_query,
            member_query_exemptions: group.member_query_exemptions,
            member_suggestions_notify: group.member_suggestions_notify,
        }
    }
}

impl OrgClient {
    /// Every user group, sorted by name (the group collections refuse `sort=id`).
    pub async fn list_all_user_groups(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<UserGroup>, Error> {
        self.list_all(
            "/api/v2/usergroups",
            ListShape::V2Array,
            Some("name"),
            progress,
        )
        .await
    }

    pub async fn get_user_group(&self, id: &str) -> Result<UserGroup, Error> {
        self.execute(Call::get(group_path(id)?)).await?.json()
    }

    /// Creates a group; a taken name is `Error::Conflict`. Never retried.
    pub async fn create_user_group(&self, fields: &UserGroupFields) -> Result<UserGroup, Error> {
        self.execute(Call::post("/api/v2/usergroups", json_body(fields)?))
            .await?
            .json()
    }

    /// Replaces the group with `fields`: whatever is `None` there is cleared.
    /// `update_user_group` is the safe way to change a few fields.
    pub async fn replace_user_group(
        &self,
        id: &str,
        fields: &UserGroupFields,
    ) -> Result<UserGroup, Error> {
        self.execute(Call::put(group_path(id)?, json_body(fields)?))
            .await?
            .json()
    }

    /// Changes some fields and keeps the rest: reads the group, applies `edit`, and
    /// sends it whole, because a v2 PUT clears every field it is not sent.
    pub async fn update_user_group(
        &self,
        id: &str,
        edit: impl FnOnce(&mut UserGroupFields) + Send,
    ) -> Result<UserGroup, Error> {
        let mut fields = UserGroupFields::from(self.get_user_group(id).await?);
        edit(&mut fields);
        self.replace_user_group(id, &fields).await
    }

    pub async fn delete_user_group(&self, id: &str) -> Result<(), Error> {
        self.execute(Call::delete(group_path(id)?)).await.map(drop)
    }

    /// The group's direct associations with objects of `target` (the applications and
    /// system groups it reaches, ...).
    pub async fn list_user_group_associations(
        &self,
        id: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.graph_associations(&format!("{}/associations", group_path(id)?), target)
            .await
    }

    /// The group's direct members. Pages may come back short while more follow
    /// (orphaned association records, NOTES §17.3); the total decides the end.
    pub async fn list_user_group_members(&self, id: &str) -> Result<Vec<GraphConnection>, Error> {
        self.list_all_unsorted(&format!("{}/members", group_path(id)?))
            .await
    }

    /// The group's member users, resolved, with the paths that make them members.
    pub async fn list_user_group_membership(
        &self,
        id: &str,
    ) -> Result<Vec<GraphObjectWithPaths>, Error> {
        self.list_all_unsorted(&format!("{}/membership", group_path(id)?))
            .await
    }

    /// Adds a user to the group (`GraphOp::Add`; a user already in it is
    /// `Error::Conflict`) or removes one (`GraphOp::Remove`; a user not in it is
    /// `Error::NotFound`).
    pub async fn set_user_group_member(
        &self,
        id: &str,
        op: GraphOp,
        user_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(
            &format!("{}/members", group_path(id)?),
            op,
            GraphType::User,
            user_id,
        )
        .await
    }
}

fn group_path(id: &str) -> Result<String, Error> {
    Ok(format!("/api/v2/usergroups/{}", object_id(id)?))
}
