// Large `json!` literals in the simulator seed need a deeper macro recursion limit.
#![recursion_limit = "256"]
//! Every HTTP call Lanyard makes to JumpCloud, and (feature `sim`) an in-process
//! simulator of the JumpCloud API for tests and demo mode.
//!
//! Start with [`Client`], make an [`OrgClient`] per organization with
//! [`Client::for_org`], and use the resource modules (`users`, `organizations`, ...) on it.

pub mod applications;
pub mod approval_flows;
mod client;
pub mod commands;
pub mod directories;
mod error;
pub mod graph;
pub mod groups;
pub mod insights;
pub mod ip_lists;
mod oauth;
pub mod organizations;
mod paging;
pub mod policies;
mod rate_limit;
mod region;
mod secret;
pub mod software_apps;
pub mod system_groups;
pub mod systems;
pub mod user_states;
pub mod users;

#[cfg(feature = "sim")]
pub mod sim;

pub use client::{Client, ClientConfig, Connection, Credentials, OrgClient};
pub use error::Error;
pub use oauth::{SecretUsed, ServiceAccount};
pub use paging::Page;
pub use rate_limit::RateLimit;
pub use region::{DEFAULT_TOKEN_URL, Region, custom_console_url, http_url};
pub use secret::Secret;
