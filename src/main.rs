//! The `creativeiq` binary: parse the command line, run, map the outcome to
//! an exit code (0 done, 1 done with rejected items or failing checks, 2
//! failed).

mod cli;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod one_shot_heap;
#[cfg(target_os = "linux")]
mod zstd_contexts;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if cli.command.analyses_one_design() {
        one_shot_heap::prepare();
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("creativeiq: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(cli::Outcome::Done) => ExitCode::SUCCESS,
        Ok(cli::Outcome::SomeRejected | cli::Outcome::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("creativeiq: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, each said once: many errors
/// (DataFusion's among them) already print their source in their own
/// message, and repeating it buries the one line that matters.
fn error_chain(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let said = cause.to_string();
        if !line.contains(&said) {
            line.push_str(": ");
            line.push_str(&said);
        }
    }
    line
}
