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
    /// Where the browser bundle built by cargo-leptos lives (`pkg/` below it). Without
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
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("lanyard.db").display()))
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
    fn https_public_url_makes_cookies_secure() {
        let cli =
            Cli::try_parse_from(["lanyard", "--public-url", "https://lanyard.example"]).unwrap();
        assert!(cli.settings.secure_cookies());
    }
}
