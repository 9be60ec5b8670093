//! Groups → user groups: list with member counts, detail with every member and the
//! applications the group reaches, create/edit/delete, add and remove members, and a
//! membership check that shows the path.

mod pages;
#[cfg(feature = "ssr")]
mod ssr;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::directory::{GroupSummary, ObjectRef};
use crate::error::AppError;

pub use pages::{GroupPage, GroupsPage};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Every direct member, in username order.
    pub members: Vec<GroupMember>,
    /// Applications bound to the group: its members can sign in to them.
    pub applications: Vec<ObjectRef>,
    /// System groups bound to the group: its members can sign in to their systems.
    pub system_groups: Vec<ObjectRef>,
    /// Whether the account may change the group.
    pub can_manage: bool,
}

/// Whether a user is in a group, and through which chains of memberships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipCheck {
    pub user: String,
    /// Each path reads "jane.doe → Engineering → …"; empty when not a member.
    pub paths: Vec<String>,
}

#[server(endpoint = "groups")]
pub async fn list_groups(
    org: String,
    search: Option<String>,
) -> Result<Vec<GroupSummary>, AppError> {
    crate::error::with_http_status(ssr::list(&org, search.as_deref()).await)
}

#[server(endpoint = "groups/detail")]
pub async fn load_group(org: String, id: String) -> Result<GroupDetail, AppError> {
    crate::error::with_http_status(ssr::detail(&org, &id).await)
}

/// Users whose name, username or email contains `find`, to pick members from.
#[server(endpoint = "groups/candidates")]
pub async fn find_group_candidates(
    org: String,
    find: Option<String>,
) -> Result<Vec<GroupMember>, AppError> {
    crate::error::with_http_status(ssr::candidates(&org, find.as_deref()).await)
}

#[server(endpoint = "groups/check")]
pub async fn check_group_membership(
    org: String,
    id: String,
    user: Option<String>,
) -> Result<Option<MembershipCheck>, AppError> {
    crate::error::with_http_status(ssr::check(&org, &id, user.as_deref()).await)
}

#[server(endpoint = "groups/create")]
pub async fn create_group(
    org: String,
    name: String,
    description: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::create(&org, &name, description.as_deref()).await)
}

#[server(endpoint = "groups/update")]
pub async fn update_group(
    org: String,
    id: String,
    name: String,
    description: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::update(&org, &id, &name, description.as_deref()).await)
}

#[server(endpoint = "groups/delete")]
pub async fn delete_group(
    org: String,
    id: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::delete(&org, &id, confirm.as_deref()).await)
}

/// Adds the users ticked (`user_ids`) and those typed one per line (`usernames`).
#[server(endpoint = "groups/members/add")]
pub async fn add_group_members(
    org: String,
    id: String,
    user_ids: Option<Vec<String>>,
    usernames: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::add_members(
            &org,
            &id,
            user_ids.unwrap_or_default(),
            usernames.as_deref(),
        )
        .await,
    )
}

#[server(endpoint = "groups/members/remove")]
pub async fn remove_group_members(
    org: String,
    id: String,
    user_ids: Option<Vec<String>>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::remove_members(&org, &id, user_ids.unwrap_or_default()).await,
    )
}
