//! SSO applications (v1 `/applications`; v2 associations with users and user groups, and
//! the users who reach an application through them).

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphObjectWithPaths, GraphOp, GraphType};
use crate::paging::ListShape;

/// `application`, tolerant of missing and extra fields; `config` stays loosely typed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Application {
    #[serde(rename = "_id")]
    pub id: String,
    /// The catalog name, e.g. `slack`.
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub display_label: Option<String>,
    pub description: Option<String>,
    pub sso_url: Option<String>,
    pub active: Option<bool>,
    pub beta: Option<bool>,
    pub created: Option<String>,
    pub logo: Option<Logo>,
    pub sso: Option<serde_json::Value>,
    pub config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Logo {
    pub url: Option<String>,
    pub color: Option<String>,
}

impl OrgClient {
    /// Every application, in `_id` order.
    pub async fn list_all_applications(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<Application>, Error> {
        self.list_all(
            "/api/applications",
            ListShape::V1Envelope,
            Some("_id"),
            progress,
        )
        .await
    }

    pub async fn get_application(&self, id: &str) -> Result<Application, Error> {
        self.execute(Call::get(format!("/api/applications/{}", object_id(id)?)))
            .await?
            .json()
    }

    /// The application's direct associations with `user`s or `user_group`s.
    pub async fn list_application_associations(
        &self,
        id: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.graph_associations(&associations_path(id)?, target)
            .await
    }

    /// Gives a user or user group access to the application, or takes it away.
    pub async fn set_application_association(
        &self,
        id: &str,
        op: GraphOp,
        target: GraphType,
        target_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(&associations_path(id)?, op, target, target_id)
            .await
    }

    /// Users who can use the application, directly or through their groups.
    pub async fn list_application_users(
        &self,
        id: &str,
    ) -> Result<Vec<GraphObjectWithPaths>, Error> {
        self.list_all_unsorted(&format!("/api/v2/applications/{}/users", object_id(id)?))
            .await
    }
}

fn associations_path(id: &str) -> Result<String, Error> {
    Ok(format!(
        "/api/v2/applications/{}/associations",
        object_id(id)?
    ))
}
