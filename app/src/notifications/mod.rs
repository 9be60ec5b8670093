//! Notifications: things a person should hear about (a new request to decide, a
//! decision, a failure, access ending soon). They are written once per event and person
//! to an outbox in the database (`outbox`), then delivered by the worker by email (the
//! installation's SMTP server, `mail`) and the organization's webhook, retried with
//! backoff; a channel that stays down leaves the notification failed with its error,
//! never a request blocked. Links go to pages (sign-in required), never to actions.

#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
mod outbox;
mod settings;

#[cfg(feature = "ssr")]
pub use outbox::*;
pub use settings::{NotificationSettings, NotificationSettingsPanel, SaveNotificationSettings};
