//! Email through the installation's SMTP server (lettre, rustls).

use std::time::Duration;

use jumpcloud::Secret;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain text: only for a relay on the same host or network.
    None,
    /// Plain connection upgraded with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Clone, Debug)]
pub struct MailSettings {
    pub host: String,
    pub port: Option<u16>,
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
}

/// A sender of notification email; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// A dead server must not hold the worker: each message gets this long.
const TIMEOUT: Duration = Duration::from_secs(10);

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|error| format!("LANYARD_SMTP_FROM {:?}: {error}", settings.from))?;
        let mut builder = match settings.tls {
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
            Tls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|error| format!("LANYARD_SMTP_HOST {:?}: {error}", settings.host))?
            }
            Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|error| format!("LANYARD_SMTP_HOST {:?}: {error}", settings.host))?,
        };
        if let Some(port) = settings.port {
            builder = builder.port(port);
        }
        if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(Mailer {
            transport: builder.timeout(Some(TIMEOUT)).build(),
            from,
        })
    }

    /// Sends one plain-text message; the error says why it was not accepted.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|error| format!("{to:?} is not an address: {error}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|error| error.to_string())?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|error| format!("SMTP: {error}"))
    }
}
