//! `jumpcloud-sim`: the JumpCloud simulator as a standalone server. Prints one JSON line
//! describing where it listens and which credentials it accepts, then serves until killed.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use jumpcloud::sim::{SimConfig, Simulator};

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
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = SimConfig {
        client_orgs: args.orgs,
        users_per_org: args.users,
        extra_groups_per_org: 0,
        seed: args.seed,
    };
    let simulator = match Simulator::start(args.addr, &config).await {
        Ok(simulator) => simulator,
        Err(error) => {
            eprintln!("jumpcloud-sim: cannot listen on {}: {error}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    match serde_json::to_string(&simulator.info) {
        Ok(line) => println!("{line}"),
        Err(error) => {
            eprintln!("jumpcloud-sim: {error}");
            return ExitCode::FAILURE;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    simulator.stop().await;
    ExitCode::SUCCESS
}
