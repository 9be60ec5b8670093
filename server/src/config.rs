//! Configuration from flags and `LANYARD_*` environment variables. Every value is checked
//! at start-up; a bad one stops the program with a one-line message.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "lanyard",
    version,
    about = "A self-hosted web console for JumpCloud"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web console (the default).
    Serve,
    /// Set a new password for a dashboard account. The password comes from
    /// LANYARD_NEW_PASSWORD, or a random one is generated and printed.
    ResetPassword {
        /// The account's email address.
        #[arg(long)]
        email: String,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; exit 1 naming the first entry that does not
    /// match (it, or the one before it, was changed or removed).
    Verify,
}

#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "LANYARD_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,
    /// Directory for the SQLite database and other local state.
    #[arg(
        long,
        env = "LANYARD_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// sqlite:PATH or postgres://...; defaults to a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Email of the first administrator, created on first start.
    #[arg(
        long,
        env = "LANYARD_ADMIN_EMAIL",
        default_value = "admin@localhost",
        global = true
    )]
    pub admin_email: String,
    /// Password of the first administrator; when unset, one is generated and printed once.
    #[arg(
        long,
        env = "LANYARD_ADMIN_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub admin_password: Option<String>,
    /// The address users reach Lanyard at; an https URL makes session cookies `Secure`.
    #[arg(long, env = "LANYARD_PUBLIC_URL", global = true)]
    pub public_url: Option<url::Url>,
    /// Where the browser bundle (`pkg/` below it, built by `scripts/run`) lives. Without
    /// it the console still works, server-rendered only.
    #[arg(
        long,
        env = "LANYARD_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,
    /// Log filter, e.g. `info` or `lanyard=debug,tower_http=debug` (RUST_LOG syntax).
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "LANYARD_SESSION_IDLE_MINUTES", default_value_t = 480,
          value_parser = clap::value_parser!(u32).range(1..=43_200), global = true)]
    pub session_idle_minutes: u32,
    /// Base64 of 32 random bytes that encrypt stored JumpCloud secrets. When unset, a key
    /// file `secret.key` (mode 0600) in the data directory is used, created on first start.
    #[arg(
        long,
        env = "LANYARD_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,
    /// `auto`: run against the built-in JumpCloud simulator until a real connection is
    /// added; `off`: never.
    #[arg(long, env = "LANYARD_DEMO", value_enum, default_value_t = DemoMode::Auto, global = true)]
    pub demo: DemoMode,
    /// How often the job worker looks for due work (approved requests, expiring access).
    #[arg(long, env = "LANYARD_WORKER_INTERVAL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=60_000), global = true)]
    pub worker_interval_ms: u64,
    /// Calls per second Lanyard makes to one JumpCloud organization, per instance (with
    /// bursts of twice as many). JumpCloud publishes no limit and answers 429 when it is
    /// exceeded; Lanyard then backs off.
    #[arg(long, env = "LANYARD_JUMPCLOUD_CALLS_PER_SECOND", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1_000), global = true)]
    pub jumpcloud_calls_per_second: u32,
    /// Seconds a JumpCloud call may take before Lanyard gives up on it (and retries it
    /// when that is safe).
    #[arg(long, env = "LANYARD_JUMPCLOUD_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=600), global = true)]
    pub jumpcloud_timeout_seconds: u64,
    /// Test hooks (moving the request clock forward). Never enable in production.
    #[arg(
        long,
        env = "LANYARD_TEST_HOOKS",
        default_value_t = false,
        global = true
    )]
    pub test_hooks: bool,
    #[command(flatten)]
    pub oidc: OidcSettings,

    #[command(flatten)]
    pub smtp: SmtpSettings,
}

/// Single sign-on with an OpenID Connect provider (JumpCloud or any other). Off unless the
/// issuer and client id are both set. The redirect URL to register at the provider is
/// The SMTP server notification email goes through; without a host, no email is sent
/// (webhooks still are).
#[derive(Args, Debug, Clone, Default)]
pub struct SmtpSettings {
    /// SMTP server host, e.g. smtp.example.com.
    #[arg(long = "smtp-host", env = "LANYARD_SMTP_HOST", global = true)]
    pub host: Option<String>,
    /// Port; by default 587 for starttls, 465 for tls, 25 for none.
    #[arg(long = "smtp-port", env = "LANYARD_SMTP_PORT", global = true)]
    pub port: Option<u16>,
    /// How the connection is protected: starttls, tls, or none (a local relay only).
    #[arg(long = "smtp-tls", env = "LANYARD_SMTP_TLS", value_enum, default_value_t = SmtpTls::Starttls, global = true)]
    pub tls: SmtpTls,
    #[arg(long = "smtp-username", env = "LANYARD_SMTP_USERNAME", global = true)]
    pub username: Option<String>,
    #[arg(
        long = "smtp-password",
        env = "LANYARD_SMTP_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub password: Option<String>,
    /// The From address of notification email.
    #[arg(
        long = "smtp-from",
        env = "LANYARD_SMTP_FROM",
        default_value = "Lanyard <lanyard@localhost>",
        global = true
    )]
    pub from: String,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    #[default]
    Starttls,
    Tls,
}

impl SmtpSettings {
    /// The mail settings, when a host is configured.
    pub fn mail(&self) -> Option<app::notifications::mail::MailSettings> {
        use app::notifications::mail::{MailSettings, Tls};
        let host = self
            .host
            .as_deref()
            .map(str::trim)
            .filter(|host| !host.is_empty())?;
        Some(MailSettings {
            host: host.to_string(),
            port: self.port,
            tls: match self.tls {
                SmtpTls::None => Tls::None,
                SmtpTls::Starttls => Tls::StartTls,
                SmtpTls::Tls => Tls::Tls,
            },
            username: self.username.clone(),
            password: self.password.clone().map(jumpcloud::Secret::new),
            from: self.from.clone(),
        })
    }
}

/// `{LANYARD_PUBLIC_URL}/auth/oidc/callback`, or `http://{listen address}/auth/oidc/callback`
/// without a public URL (an unspecified address such as 0.0.0.0 becomes `localhost`).
#[derive(Args, Debug, Clone, Default)]
pub struct OidcSettings {
    /// OpenID Connect issuer URL for single sign-on, exactly as the provider's discovery
    /// document spells it (trailing slash included), e.g. https://oauth.id.jumpcloud.com/.
    #[arg(long = "oidc-issuer", env = "LANYARD_OIDC_ISSUER", global = true)]
    pub issuer: Option<String>,
    /// Client id of Lanyard's application at the OpenID Connect provider.
    #[arg(long = "oidc-client-id", env = "LANYARD_OIDC_CLIENT_ID", global = true)]
    pub client_id: Option<String>,
    /// Client secret of that application; leave unset for a public client (PKCE only).
    #[arg(
        long = "oidc-client-secret",
        env = "LANYARD_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub client_secret: Option<String>,
    /// Scopes to ask for, space-separated; `openid` is always sent.
    #[arg(
        long = "oidc-scopes",
        env = "LANYARD_OIDC_SCOPES",
        default_value = "openid email profile",
        global = true
    )]
    pub scopes: String,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoMode {
    Auto,
    Off,
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("lanyard.db").display()))
    }

    pub fn secret_key_file(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }

    /// Where the OpenID Connect provider sends the browser back to. `listening_on` is the
    /// bound address, so port 0 (tests) gives the real port.
    pub fn oidc_redirect_url(&self, listening_on: SocketAddr) -> String {
        const CALLBACK: &str = "/auth/oidc/callback";
        match &self.public_url {
            Some(public) => format!("{}{CALLBACK}", public.as_str().trim_end_matches('/')),
            None if listening_on.ip().is_unspecified() => {
                format!("http://localhost:{}{CALLBACK}", listening_on.port())
            }
            None => format!("http://{listening_on}{CALLBACK}"),
        }
    }

    /// The public address's `host[:port]`, if one is configured.
    pub fn public_authority(&self) -> Option<String> {
        let public = self.public_url.as_ref()?;
        let host = public.host_str()?;
        Some(match public.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|url| url.scheme() == "https")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_interface() {
        let cli = Cli::try_parse_from(["lanyard"]).unwrap();
        let settings = cli.settings;
        assert_eq!(settings.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.database_url(), "sqlite://./data/lanyard.db");
        assert_eq!(settings.admin_email, "admin@localhost");
        assert!(!settings.secure_cookies());
        assert_eq!(settings.demo, DemoMode::Auto);
    }

    #[test]
    fn bad_values_are_rejected_with_a_message() {
        let error = Cli::try_parse_from(["lanyard", "--addr", "nonsense"]).unwrap_err();
        assert!(
            error.to_string().contains("invalid value 'nonsense'"),
            "{error}"
        );
        let error = Cli::try_parse_from(["lanyard", "--session-idle-minutes", "0"]).unwrap_err();
        assert!(
            error.to_string().contains("--session-idle-minutes"),
            "{error}"
        );
    }

    #[test]
    fn the_oidc_redirect_url_follows_the_public_url_else_the_listen_address() {
        let bound: SocketAddr = "127.0.0.1:4123".parse().unwrap();
        let cli = Cli::try_parse_from(["lanyard"]).unwrap();
        assert_eq!(
            cli.settings.oidc_redirect_url(bound),
            "http://127.0.0.1:4123/auth/oidc/callback"
        );
        let everywhere: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert_eq!(
            cli.settings.oidc_redirect_url(everywhere),
            "http://localhost:3000/auth/oidc/callback"
        );
        let cli =
            Cli::try_parse_from(["lanyard", "--public-url", "https://lanyard.example/"]).unwrap();
        assert_eq!(
            cli.settings.oidc_redirect_url(bound),
            "https://lanyard.example/auth/oidc/callback"
        );
        assert_eq!(cli.settings.oidc.scopes, "openid email profile");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let cli =
            Cli::try_parse_from(["lanyard", "--public-url", "https://lanyard.example"]).unwrap();
        assert!(cli.settings.secure_cookies());
    }
}
