//! User groups (v2 `/usergroups`).

use serde::{Deserialize, Serialize};

use crate::client::OrgClient;
use crate::error::Error;
use crate::paging::ListShape;

/// `UserGroup`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub email: Option<String>,
    #[serde(rename = "membershipMethod")]
    pub membership_method: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
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
}
