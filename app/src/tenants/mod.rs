//! Organizations and the JumpCloud connections behind them: who may enter which
//! organization, and how its JumpCloud calls are made.

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod connections;
pub mod gate;
#[cfg(feature = "ssr")]
pub mod memberships;
#[cfg(feature = "ssr")]
pub mod orgs;
pub mod roles;

use serde::{Deserialize, Serialize};

pub use roles::{Capability, OrgRole};

/// An organization as the org switcher shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgEntry {
    pub slug: String,
    pub name: String,
    pub role: OrgRole,
    pub is_default: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionKind {
    #[default]
    ApiKey,
    ServiceAccount,
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::ApiKey => "api_key",
            ConnectionKind::ServiceAccount => "service_account",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "service_account" => ConnectionKind::ServiceAccount,
            _ => ConnectionKind::ApiKey,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConnectionKind::ApiKey => "API key",
            ConnectionKind::ServiceAccount => "Service account (OAuth)",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionRegion {
    #[default]
    Us,
    Eu,
    Custom,
}

impl ConnectionRegion {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionRegion::Us => "us",
            ConnectionRegion::Eu => "eu",
            ConnectionRegion::Custom => "custom",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "eu" => ConnectionRegion::Eu,
            "custom" => ConnectionRegion::Custom,
            _ => ConnectionRegion::Us,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ConnectionRegion::Us => "US (console.jumpcloud.com)",
            ConnectionRegion::Eu => "EU (console.eu.jumpcloud.com)",
            ConnectionRegion::Custom => "Custom base URL",
        }
    }
}

/// A connection as the settings pages show it: never a secret, only its last characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: i64,
    pub name: String,
    pub kind: ConnectionKind,
    pub region: ConnectionRegion,
    pub base_url: String,
    pub multi_tenant: bool,
    pub client_id: Option<String>,
    pub secret_hint: String,
    pub secret_set_at: i64,
    pub secondary_hint: Option<String>,
    pub secondary_set_at: Option<i64>,
    pub demo: bool,
    pub verified_at: Option<i64>,
    pub org_count: usize,
}

/// A JumpCloud organization a connection reaches, and its dashboard mapping if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredOrg {
    pub jumpcloud_org_id: String,
    pub jumpcloud_name: String,
    /// The JumpCloud organization's basic settings, as its provider (MSP) lists them;
    /// `None` for a single organization or when JumpCloud does not say.
    pub licensed_users: Option<u64>,
    pub mapped_slug: Option<String>,
    pub mapped_name: Option<String>,
    pub is_default: bool,
    /// Mapped here but no longer returned by JumpCloud.
    pub vanished: bool,
}

/// A dashboard account as Settings → People shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub installation_role: String,
    pub disabled: bool,
    /// Organization name and role.
    pub memberships: Vec<(String, OrgRole)>,
    /// For operators: what they are limited to (empty: every organization).
    pub scopes: Vec<ScopeView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeView {
    Org(String),
    OrgGroup(String),
}
