//! Directories an organization serves or syncs with: its LDAP servers (v2
//! `/ldapservers`) and Active Directory domains (v2 `/activedirectories`).

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphOp, GraphType};
use crate::paging::ListShape;

/// `ldap-server`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LdapServer {
    pub id: String,
    pub name: String,
    /// `disable` or `remove`: what happens to a locked-out user in LDAP.
    #[serde(rename = "userLockoutAction")]
    pub user_lockout_action: Option<String>,
    /// `disable` or `remove`: what happens to a user whose password expired.
    #[serde(rename = "userPasswordExpirationAction")]
    pub user_password_expiration_action: Option<String>,
}

/// `active-directory`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActiveDirectory {
    pub id: String,
    pub domain: String,
    /// `ENABLED`, `PENDING` or `DISABLED`.
    #[serde(rename = "delegationState")]
    pub delegation_state: Option<String>,
    #[serde(rename = "groupsEnabled")]
    pub groups_enabled: Option<bool>,
    pub permission: Option<String>,
    #[serde(rename = "primaryAgent")]
    pub primary_agent: Option<String>,
    #[serde(rename = "primaryImportAgent")]
    pub primary_import_agent: Option<String>,
    /// `TWOWAYSYNC`, `JCASAUTHORITY`, `ADASAUTHORITY` or `UNSET`.
    #[serde(rename = "useCase")]
    pub use_case: Option<String>,
    #[serde(rename = "updatedAt")]
    pub updated_at: Option<String>,
}

impl OrgClient {
    pub async fn list_ldap_servers(&self) -> Result<Vec<LdapServer>, Error> {
        self.list_all(LDAP_SERVERS, ListShape::V2Array, Some("id"), &mut |_, _| {})
            .await
    }

    pub async fn get_ldap_server(&self, id: &str) -> Result<LdapServer, Error> {
        self.execute(Call::get(ldap_server_path(id)?)).await?.json()
    }

    pub async fn list_active_directories(&self) -> Result<Vec<ActiveDirectory>, Error> {
        self.list_all(
            ACTIVE_DIRECTORIES,
            ListShape::V2Array,
            Some("id"),
            &mut |_, _| {},
        )
        .await
    }

    pub async fn get_active_directory(&self, id: &str) -> Result<ActiveDirectory, Error> {
        let path = format!("{ACTIVE_DIRECTORIES}/{}", object_id(id)?);
        self.execute(Call::get(path)).await?.json()
    }

    /// The LDAP server's bindings with `user`s or `user_group`s: those that may bind over
    /// LDAP.
    pub async fn list_ldap_server_associations(
        &self,
        id: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.graph_associations(&associations_path(id)?, target)
            .await
    }

    /// Binds a user or user group to the LDAP server (`GraphOp::Add`; one already bound
    /// is `Error::Conflict`) or unbinds one (`GraphOp::Remove`).
    pub async fn set_ldap_server_association(
        &self,
        id: &str,
        op: GraphOp,
        target: GraphType,
        target_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(&associations_path(id)?, op, target, target_id)
            .await
    }
}

const LDAP_SERVERS: &str = "/api/v2/ldapservers";
const ACTIVE_DIRECTORIES: &str = "/api/v2/activedirectories";

fn ldap_server_path(id: &str) -> Result<String, Error> {
    Ok(format!("{LDAP_SERVERS}/{}", object_id(id)?))
}

fn associations_path(id: &str) -> Result<String, Error> {
    Ok(format!("{}/associations", ldap_server_path(id)?))
}
