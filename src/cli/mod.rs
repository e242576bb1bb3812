//! The command line: one file per command, each holding its flags (with
//! their help) and the function that runs it. To add a command: a file
//! here with an `Args` struct and `run`, a variant in [`Command`] and a
//! line in [`run`].

mod analyze;
mod brand;
mod collect;
mod compare;
mod features;
mod import;
mod models;
mod monitor;
mod predict;
mod report;
mod retrain;
mod schema;
mod sim;
mod sql;
mod synth;
mod train;
mod trends;
mod validate;

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

    /// Change a setting the SQL views read, e.g. --set balance_strategy=downsample (see sql/settings.toml).
    #[arg(long = "set", global = true, value_name = "NAME=VALUE")]
    pub settings: Vec<String>,
}

impl Global {
    /// Opens the lake the flags name.
    pub async fn open_lake(&self) -> Result<creativeiq::lake::Lake> {
        Ok(creativeiq::lake::Lake::open(&self.lake).await?)
    }

    /// The settings of `lake` with the `--set` flags applied.
    pub async fn settings(
        &self,
        lake: &creativeiq::lake::Lake,
    ) -> Result<creativeiq::query::Settings> {
        Ok(creativeiq::query::Session::lake_settings(lake, &self.settings).await?)
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
    Validate(validate::Args),
    Report(report::Args),
    Schema(schema::Args),
    Sim(sim::Args),
    Synth(synth::Args),
    Train(train::Args),
    Models(models::Args),
    Predict(predict::Args),
    Brand(brand::Args),
    Trends(trends::Args),
    Compare(compare::Args),
    Retrain(retrain::Args),
    Monitor(monitor::Args),
}

impl Command {
    /// Whether the command decodes and analyses one design, then exits:
    /// its latency is what a user waits for.
    pub fn analyses_one_design(&self) -> bool {
        match self {
            Command::Analyze(_) => true,
            Command::Predict(args) => args.is_one_design(),
            _ => false,
        }
    }
}

/// How a command ended, when it did not fail.
pub enum Outcome {
    /// Everything went through.
    Done,
    /// It finished, and some items were rejected (and recorded).
    SomeRejected,
    /// It finished, and a data-quality check of the severity asked for failed.
    ChecksFailed,
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
        Command::Validate(args) => validate::run(global, args).await,
        Command::Report(args) => report::run(global, args).await,
        Command::Schema(args) => schema::run(args),
        Command::Sim(args) => sim::run(args).await,
        Command::Synth(args) => synth::run(global, args),
        Command::Train(args) => train::run(global, args).await,
        Command::Models(args) => models::run(global, args).await,
        Command::Predict(args) => predict::run(global, args).await,
        Command::Brand(args) => brand::run(global, args).await,
        Command::Trends(args) => trends::run(global, args).await,
        Command::Compare(args) => compare::run(global, args).await,
        Command::Retrain(args) => retrain::run(global, args).await,
        Command::Monitor(args) => monitor::run(global, args).await,
    }
}
