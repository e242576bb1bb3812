//! The command line: flags and their help, nothing else.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use creativeiq::query::OutputFormat;

/// Predict how well a visual design will perform, from a lake of posts,
/// A/B tests and images.
#[derive(Debug, Parser)]
#[command(name = "creativeiq", version, about, long_about = None)]
pub struct Cli {
    /// The lake: a directory, or s3://bucket/prefix (with the AWS_* environment).
    #[arg(long, global = true, env = "CREATIVEIQ_LAKE", default_value = creativeiq::lake::DEFAULT_LAKE)]
    pub lake: String,

    /// Print no progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Land JSON or CSV exports in the lake; bad records go to raw/rejects with their reason.
    ///
    /// JSON records are recognised by their keys (engagement_metrics: a post,
    /// expert_scores: an annotation, variant_a/variant_b: an A/B test).
    /// Exit status: 0 all landed, 1 some records rejected, 2 the import failed.
    Import {
        /// Files (.json, .ndjson, .jsonl, .csv) or directories of them.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The platform of post records that do not name one (instagram, linkedin, ...).
        #[arg(long)]
        platform: Option<String>,
        /// Read every record as this built-in payload (see `creativeiq schema --payloads`).
        #[arg(long)]
        payload: Option<String>,
        /// Column mapping for CSV inputs (see schemas/mappings/).
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
    /// Run read-only SQL over the lake's tables (raw.posts, ...) and views.
    Sql {
        /// The query, e.g. "SELECT platform, count(*) FROM raw.posts GROUP BY platform".
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Print the contract of a table (or of all tables).
    Schema {
        /// A table such as raw.posts; all tables when left out.
        table: Option<String>,
        /// Print the payload formats import reads instead.
        #[arg(long)]
        payloads: bool,
    },
}
