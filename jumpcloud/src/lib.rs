// Large `json!` literals in the simulator seed need a deeper macro recursion limit.
#![recursion_limit = "256"]
//! Every HTTP call Lanyard makes to JumpCloud, and (feature `sim`) an in-process
//! simulator of the JumpCloud API for tests and demo mode.
//!
//! Start with [`Client`], make an [`OrgClient`] per organization with
//! [`Client::for_org`], and use the resource modules (`users`, `organizations`, ...) on it.

mod client;
mod error;
pub mod groups;
mod oauth;
pub mod organizations;
mod paging;
mod secret;
pub mod users;

#[cfg(feature = "sim")]
pub mod sim;

pub use client::{Client, ClientConfig, Connection, Credentials, OrgClient};
pub use error::Error;
pub use oauth::{SecretUsed, ServiceAccount};
pub use paging::Page;
pub use secret::Secret;
