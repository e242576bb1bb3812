//! The command line: one file per command, each holding its flags (with
//! their help) and the function that runs it. To add a command: a file
//! here with an `Args` struct and `run`, a variant in [`Command`] and a
//! line in [`run`].

mod analyze;
mod collect;
mod features;
mod import;
mod models;
mod predict;
mod schema;
mod sim;
mod sql;
mod train;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Predict how well a visual design will perform, from a lake of posts,
/// A/B tests and images.
#[derive(Debug, Parser)]
#[command(name = "creativeiq", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// The lake: a directory, or s3://bucket/prefix (with the AWS_* environment).
    #[arg(long, global = true, env = "CREATIVEIQ_LAKE", default_value = creativeiq::lake::DEFAULT_LAKE)]
    pub lake: String,

    /// Print no progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

impl Global {
    /// Opens the lake the flags name.
    pub async fn open_lake(&self) -> Result<creativeiq::lake::Lake> {
        Ok(creativeiq::lake::Lake::open(&self.lake).await?)
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Import(import::Args),
    Collect(collect::Args),
    Features(features::Args),
    Analyze(analyze::Args),
    Sql(sql::Args),
    Schema(schema::Args),
    Sim(sim::Args),
    Train(train::Args),
    Models(models::Args),
    Predict(predict::Args),
}

/// How a command ended, when it did not fail.
pub enum Outcome {
    /// Everything went through.
    Done,
    /// It finished, and some items were rejected (and recorded).
    SomeRejected,
}

/// Runs the command the line names.
pub async fn run(cli: Cli) -> Result<Outcome> {
    let global = &cli.global;
    match cli.command {
        Command::Import(args) => import::run(global, args).await,
        Command::Collect(args) => collect::run(global, args).await,
        Command::Features(args) => features::run(global, args).await,
        Command::Analyze(args) => analyze::run(args),
        Command::Sql(args) => sql::run(global, args).await,
        Command::Schema(args) => schema::run(args),
        Command::Sim(args) => sim::run(args).await,
        Command::Train(args) => train::run(global, args).await,
        Command::Models(args) => models::run(global, args).await,
        Command::Predict(args) => predict::run(global, args).await,
    }
}
