//! The Lanyard server: configuration, start-up, routing, sessions and the demo simulator.
//! Pages and domain logic live in the `app` crate; this crate wires them to axum.

pub mod config;
mod hardening;
mod input_errors;
mod oidc;
mod routes;
mod sessions;
pub mod startup;
pub mod telemetry;
pub mod worker;

pub use routes::route_paths;
