//! `jumpcloud-sim`: the JumpCloud simulator as a standalone server. Prints one JSON line
//! describing where it listens and which credentials it accepts, then serves until killed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use jumpcloud::sim::{Faults, RateLimitFault, SimConfig, Simulator};

#[derive(Parser)]
#[command(version, about = "A JumpCloud API simulator for tests and demos")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Organizations managed by the MSP key (a standalone organization is added).
    #[arg(long, default_value_t = 3)]
    orgs: usize,
    /// Users per organization.
    #[arg(long, default_value_t = 60)]
    users: usize,
    /// Seed for the generated data; the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the world in this JSON file: load it if it exists, else seed and create it;
    /// every change is written back.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Requests allowed per organization per window, as `COUNT/SECONDS` (e.g. `100/60`);
    /// requests past it get 429.
    #[arg(long, value_parser = parse_rate_limit)]
    rate_limit: Option<(u32, Duration)>,
    /// Send `Retry-After` with rate-limit 429s (JumpCloud documents none).
    #[arg(long)]
    retry_after: bool,
    /// Share of requests, 0.0 to 1.0, answered with a 500 (repeatable for a given seed).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Never answer requests whose path starts with this.
    #[arg(long)]
    hang_path: Option<String>,
}

fn parse_rate_limit(text: &str) -> Result<(u32, Duration), String> {
    let (count, seconds) = text
        .split_once('/')
        .ok_or_else(|| format!("expected COUNT/SECONDS, got {text:?}"))?;
    let count = count
        .trim()
        .parse()
        .map_err(|error| format!("bad count {count:?}: {error}"))?;
    let seconds: f64 = seconds
        .trim()
        .parse()
        .map_err(|error| format!("bad seconds {seconds:?}: {error}"))?;
    let window =
        Duration::try_from_secs_f64(seconds).map_err(|error| format!("bad window: {error}"))?;
    Ok((count, window))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.error_rate) {
        eprintln!("jumpcloud-sim: --error-rate must be between 0 and 1");
        return ExitCode::FAILURE;
    }
    let config = SimConfig {
        client_orgs: args.orgs,
        users_per_org: args.users,
        extra_groups_per_org: 0,
        seed: args.seed,
    };
    let started = match &args.state_file {
        Some(path) => Simulator::start_persistent(args.addr, &config, path).await,
        None => Simulator::start(args.addr, &config).await,
    };
    let simulator = match started {
        Ok(simulator) => simulator,
        Err(error) => {
            eprintln!("jumpcloud-sim: cannot start on {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    simulator.set_faults(Faults {
        latency: Duration::from_millis(args.latency_ms),
        rate_limit: args.rate_limit.map(|(requests, window)| RateLimitFault {
            requests,
            window,
            retry_after: args.retry_after,
        }),
        error_rate: args.error_rate,
        hang_path: args.hang_path,
        ..Faults::default()
    });
    match serde_json::to_string(&simulator.info) {
        Ok(line) => println!("{line}"),
        Err(error) => {
            eprintln!("jumpcloud-sim: {error}");
            return ExitCode::FAILURE;
        }
    }
    wait_for_termination().await;
    simulator.stop().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM from a supervisor, so a persistent world gets its last write.
async fn wait_for_termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
