//! The program behind `./bench` (the script at the repository root): Lanyard's
//! performance figures, measured in one run on this machine against the release binary,
//! the in-process JumpCloud simulator and Debian's nginx and wrk. Every ratio is computed
//! from figures of the same run. BENCHMARKS.md explains them.
//!
//! Usage: bench [--lanyard PATH] [--markdown FILE] [--only SECTION]...
//!   --lanyard   the release `lanyard` binary (default: next to this program)
//!   --markdown  also write the machine and the table as Markdown to FILE
//!   --only      run only the sections whose names start with SECTION (e.g. `queue`,
//!               `msp`, `ssr`, `jumpcloud`, `footprint`), to profile one of them

mod calls;
mod directory;
mod fanout;
mod footprint;
mod lanyard;
mod load;
mod proxy;
mod queue;
mod report;
mod setup;
mod ssr;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context;

use crate::report::{Report, Verdict};

/// The MSP of the fan-out: 500 client organizations of 200 users (100,000 users in all,
/// which also fill the users cache for the footprint).
const MSP_ORGS: usize = 500;
const MSP_USERS_PER_ORG: usize = 200;
/// The organization whose users are listed, exported and viewed, and whose requests
/// fill the queue.
const DIRECTORY_USERS: usize = 10_000;

/// Lanyard's performance figures, each with its target (BENCHMARKS.md).
#[derive(clap::Parser)]
#[command(name = "bench")]
struct Options {
    /// The release `lanyard` binary (default: next to this program).
    #[arg(long)]
    lanyard: Option<PathBuf>,
    /// Also write the machine and the table as Markdown to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Run only the sections whose names start with this (e.g. `queue`, `msp`, `ssr`,
    /// `jumpcloud`, `footprint`); repeatable.
    #[arg(long)]
    only: Vec<String>,
}

impl Options {
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|wanted| section.to_lowercase().starts_with(&wanted.to_lowercase()))
    }
}

/// The `lanyard` binary to measure: as given, else next to this program.
fn lanyard_binary(options: &Options) -> anyhow::Result<PathBuf> {
    let lanyard = match &options.lanyard {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("lanyard"),
    };
    if !lanyard.is_file() {
        anyhow::bail!(
            "no lanyard binary at {}; build it with `cargo build --release -p server`",
            lanyard.display()
        );
    }
    Ok(lanyard)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A section that stops early is a failed figure, and the run goes on.
fn note(report: &mut Report, section: &'static str, outcome: anyhow::Result<()>) {
    if let Err(error) = outcome {
        report.checked(
            section,
            "The section could not finish",
            format!("{error:#}"),
            "finishes",
            false,
        );
    }
}

fn heading(title: &str) {
    println!("\n== {title}");
}

async fn run() -> anyhow::Result<()> {
    let options = <Options as clap::Parser>::parse();
    let lanyard = lanyard_binary(&options)?;
    let binary = lanyard.as_path();
    let started = Instant::now();
    let machine = machine(binary);
    println!("{machine}");
    let mut report = Report::default();

    if options.runs("footprint") || options.runs("msp fan-out") {
        heading(&format!(
            "Simulated MSP: {MSP_ORGS} organizations of {MSP_USERS_PER_ORG} users"
        ));
        let msp = setup::simulator(MSP_ORGS, MSP_USERS_PER_ORG).await?;
        if options.runs("footprint") {
            heading("Footprint");
            let outcome = footprint::run(binary, &msp, MSP_USERS_PER_ORG, &mut report).await;
            note(&mut report, "Footprint", outcome);
        }
        if options.runs("msp fan-out") {
            heading("MSP fan-out");
            let outcome = fanout::run(binary, &msp, MSP_USERS_PER_ORG, &mut report).await;
            note(&mut report, "MSP fan-out", outcome);
        }
    }

    let directory_sections = ["ssr vs static", "jumpcloud calls", "queue"];
    if directory_sections
        .iter()
        .any(|section| options.runs(section))
    {
        heading(&format!(
            "Simulated directory: two organizations of {DIRECTORY_USERS} users"
        ));
        let sim = setup::simulator(1, DIRECTORY_USERS).await?;
        if options.runs("ssr vs static") || options.runs("jumpcloud calls") {
            match directory::Directory::start(binary, &sim).await {
                Ok(directory) => {
                    if options.runs("ssr vs static") {
                        heading("SSR vs static");
                        let outcome = ssr::run(&directory, &mut report).await;
                        note(&mut report, "SSR vs static", outcome);
                    }
                    if options.runs("jumpcloud calls") {
                        heading("JumpCloud calls");
                        let outcome = calls::run(&directory, DIRECTORY_USERS, &mut report).await;
                        note(&mut report, "JumpCloud calls", outcome);
                    }
                    directory.stop().await?;
                }
                Err(error) => note(&mut report, "Directory", Err(error)),
            }
        }
        if options.runs("queue") {
            heading("Queue");
            let outcome = queue::run(binary, &sim, &mut report).await;
            note(&mut report, "Queue", outcome);
        }
    }

    let summary = format!(
        "{} targets met, {} missed, {} figures without a target; the run took {:.0} s.",
        report.count(Verdict::Pass),
        report.count(Verdict::Fail),
        report.count(Verdict::Recorded),
        started.elapsed().as_secs_f64()
    );
    println!("\n{}\n\n{summary}", report.table());
    if let Some(path) = options.markdown {
        let text = format!("{machine}\n\n{}\n{summary}\n", report.markdown());
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// What the figures were measured on, one line each.
fn machine(binary: &std::path::Path) -> String {
    let file = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = file("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory_gib = file("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map(|kib| kib / (1024.0 * 1024.0))
        .unwrap_or_default();
    let os = file("/etc/os-release")
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim_matches('"').to_string())
        .unwrap_or_else(|| "unknown".into());
    let kernel = file("/proc/sys/kernel/osrelease").trim().to_string();
    let output = |program: &str, args: &[&str]| match Command::new(program).args(args).output() {
        Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_string(),
        Err(_) => "unknown".into(),
    };
    let rustc = output("rustc", &["-V"]);
    let commit = output("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = !output("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    format!(
        "Machine: {cpu}, {cores} cores, {memory_gib:.0} GiB; {os}, Linux {kernel}\n\
         Software: {rustc}; nginx {}; {}\n\
         Lanyard: {} at commit {commit}{}",
        load::Nginx::version(),
        load::wrk_version(),
        binary.display(),
        if dirty {
            " (with uncommitted changes in the work tree)"
        } else {
            ""
        }
    )
}
