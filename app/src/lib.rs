//! Lanyard's pages, components and server functions. With the `ssr` feature it also holds
//! the domain modules the server functions call; nothing below a server function knows
//! about HTML.

pub mod audit;
pub mod auth;
pub mod components;
pub mod devices;
pub mod directory;
pub mod email;
pub mod error;
pub mod groups;
pub mod home;
pub mod layout;
pub mod notifications;
pub mod overview;
pub mod requests;
pub mod reviews;
pub mod settings;
pub mod shell;
pub mod sso;
pub mod tenants;
pub mod users;
pub mod when;

#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod leases;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod vault;

pub use shell::{App, shell};
