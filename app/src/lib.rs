//! Lanyard's pages, components and server functions. With the `ssr` feature it also holds
//! the domain modules the server functions call; nothing below a server function knows
//! about HTML.

pub mod auth;
pub mod components;
pub mod email;
pub mod error;
pub mod home;
pub mod layout;
pub mod sections;
pub mod shell;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod state;

pub use shell::{App, shell};
