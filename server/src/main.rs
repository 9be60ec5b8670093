use std::process::ExitCode;

use clap::Parser;

use app::auth::{accounts, password};
use app::db::Db;
use app::email::Email;
use server::config::{AuditCommand, Cli, Command, Settings};
use server::startup::Application;
use server::telemetry;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = telemetry::init(&cli.settings.log) {
        eprintln!("lanyard: {error}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.settings).await,
        Command::ResetPassword { email } => reset_password(&cli.settings, &email).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => verify_audit_log(&cli.settings).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lanyard: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> Result<(), String> {
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let ui = if app.hydrated() {
        "hydrated"
    } else {
        "server-rendered only (no WASM bundle found)"
    };
    tracing::info!(address = %app.address(), ui, "Lanyard is listening");
    println!("Lanyard is listening on http://{}", app.address());
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn reset_password(settings: &Settings, email: &str) -> Result<(), String> {
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let db = Db::connect(&settings.database_url())
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let (new_password, generated) = match std::env::var("LANYARD_NEW_PASSWORD") {
        Ok(password) => (password, false),
        Err(_) => (password::generate(), true),
    };
    accounts::set_password(&db, &email, &new_password)
        .await
        .map_err(|e| e.to_string())?;
    if generated {
        println!("New password for {email}: {new_password}");
    } else {
        println!("Password for {email} updated.");
    }
    Ok(())
}

async fn verify_audit_log(settings: &Settings) -> Result<(), String> {
    let db = Db::connect(&settings.database_url())
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    let verification = app::audit::verify(&db).await.map_err(|e| e.to_string())?;
    match verification.first_broken {
        None => {
            println!("The audit log is intact: {} entries.", verification.entries);
            Ok(())
        }
        Some(entry) => Err(format!(
            "the audit log is broken at entry {} ({} {} {}): it, or the entry before it, was changed or removed.",
            entry.seq,
            app::when::minute(entry.at),
            entry.action,
            entry.target
        )),
    }
}

/// Ctrl-C or SIGTERM: stop accepting connections and let requests in flight finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
