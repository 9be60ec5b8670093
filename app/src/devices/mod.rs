//! Devices (JumpCloud systems): the filtered list, a device's detail, the built-in
//! security commands behind confirmations, the org setting that routes lock and erase
//! through an approved request, and the streamed fleet report.

#[cfg(feature = "ssr")]
mod fleet;
mod pages;
#[cfg(feature = "ssr")]
pub(crate) mod ssr;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::directory::ObjectRef;
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub use fleet::fleet_csv;
pub(crate) use pages::DeviceTable;
pub use pages::{DevicePage, DevicesPage};
#[cfg(feature = "ssr")]
pub(crate) use ssr::row as device_row;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub hostname: String,
    /// `darwin`, `windows` or `linux`.
    pub os_family: String,
    /// "Windows 11 Pro", "Ubuntu 24.04".
    pub os: String,
    pub arch: String,
    pub serial: String,
    pub vendor: String,
    pub agent_version: String,
    /// "2026-01-01 10:00 UTC", and "3 days ago" relative to when the page was made.
    pub last_contact: Option<(String, String)>,
    pub encrypted: Option<bool>,
    /// `internal` (JumpCloud MDM), `external`, `none` or `unknown`.
    pub mdm: String,
    pub primary_user: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub rows: Vec<DeviceRow>,
    /// Devices matching the filters.
    pub total: u64,
    pub skip: u64,
    pub limit: u64,
    /// Every OS family in the organization, for the filter.
    pub os_families: Vec<String>,
    pub approval_required: bool,
    pub can_manage_org: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    pub policy: ObjectRef,
    pub state: String,
    pub ended_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutcome {
    pub id: String,
    pub name: String,
    pub exit_code: Option<i64>,
    pub requested_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub device: DeviceRow,
    pub users: Vec<ObjectRef>,
    pub groups: Vec<ObjectRef>,
    pub policies: Vec<PolicyOutcome>,
    pub commands: Vec<CommandOutcome>,
    /// Built-in commands queued and not yet picked up by the agent.
    pub queued: Vec<String>,
    pub approval_required: bool,
    pub can_manage: bool,
}

/// The built-in security commands, by the name forms and URLs use.
pub const COMMANDS: [(&str, &str); 4] = [
    ("lock", "Lock"),
    ("restart", "Restart"),
    ("shutdown", "Shut down"),
    ("erase", "Erase"),
];

/// Whether a command needs an approved request when the org's setting asks for one.
pub fn needs_approval(command: &str) -> bool {
    command == "lock" || command == "erase"
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "devices")]
pub async fn list_systems(
    org: String,
    os: Option<String>,
    unencrypted: Option<String>,
    stale_days: Option<String>,
    no_mdm: Option<String>,
    sort: Option<String>,
    skip: Option<u64>,
) -> Result<DeviceList, AppError> {
    let filters = ssr::Filters::parse(os, unencrypted, stale_days, no_mdm, sort, skip);
    crate::error::with_http_status(ssr::list(&org, filters).await)
}

#[server(endpoint = "devices/detail")]
pub async fn load_system(org: String, id: String) -> Result<DeviceDetail, AppError> {
    crate::error::with_http_status(ssr::detail(&org, &id).await)
}

/// Queues `command` (lock, restart, shutdown, erase); erase needs the hostname typed.
#[server(endpoint = "devices/command")]
pub async fn run_system_command(
    org: String,
    id: String,
    command: String,
    confirm: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::run(&org, &id, &command, confirm.as_deref()).await)
}

#[server(endpoint = "devices/approval")]
pub async fn set_device_approval(org: String, required: Option<String>) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::set_approval(&org, required.is_some()).await)
}
