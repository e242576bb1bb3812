//! The command line: flags and their help, nothing else.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use creativeiq::collect::Platform;
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
        /// Files (.json, .ndjson, .jsonl, .csv; images: .png, .jpg, .webp, .gif) or directories of them.
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
    /// Extract the visual features of every image that has none for this extractor version.
    ///
    /// Writes features/design/version=<v>/dt=<day>/. A second run does nothing;
    /// a bad image gets a row with its error and the batch carries on.
    Features {
        /// First dt (fetch day of the image) included.
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// Last dt included.
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        /// One partition only, as dt=YYYY-MM-DD.
        #[arg(long, conflicts_with_all = ["since", "until"])]
        partition: Option<String>,
        /// Recompute images that already have features for this version.
        #[arg(long)]
        force: bool,
    },
    /// Print every feature of one image file.
    Analyze {
        /// A PNG, JPEG, WebP or GIF file.
        image: PathBuf,
        /// Add the platform's context features (platform_aspect_fit).
        #[arg(long, value_enum)]
        platform: Option<Platform>,
        /// One JSON object, with the names of FEATURES.md.
        #[arg(long)]
        json: bool,
    },
    /// Run read-only SQL over the lake's tables (raw.posts, ...) and views.
    Sql {
        /// The query, e.g. "SELECT platform, count(*) FROM raw.posts GROUP BY platform".
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Collect posts, A/B results and images from the platforms' APIs.
    ///
    /// Tokens, accounts and API URLs come from the environment or .env
    /// (INSTAGRAM_ACCESS_TOKEN, INSTAGRAM_ACCOUNTS, INSTAGRAM_API_URL, ...).
    /// A killed collection resumes where it stopped when run again.
    /// Exit status: 0 all landed, 1 some items rejected, 2 a platform failed.
    Collect {
        /// Platforms to collect (repeat the flag for several).
        #[arg(long = "platform", value_enum, required_unless_present = "all")]
        platforms: Vec<Platform>,
        /// Every platform, and the experiments API.
        #[arg(long, conflicts_with = "platforms")]
        all: bool,
        /// Accounts to collect (default: <PLATFORM>_ACCOUNTS).
        #[arg(long = "account")]
        accounts: Vec<String>,
        /// First publication day collected (default: 30 days ago).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// First publication day not collected (default: tomorrow).
        #[arg(long)]
        until: Option<chrono::NaiveDate>,
        /// Read settings from this file instead of .env.
        #[arg(long)]
        env_file: Option<PathBuf>,
        /// Take a new snapshot of a window collected before.
        #[arg(long)]
        refresh: bool,
        /// Requests in flight per platform.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// The platform simulator, for demos and tests.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
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

/// Simulator commands.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the simulated platform APIs on 127.0.0.1 until stopped.
    Serve {
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Seed of the simulated world.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Posts over all platforms.
        #[arg(long, default_value_t = 700)]
        posts: usize,
        /// Accounts per platform.
        #[arg(long, default_value_t = 2)]
        accounts: usize,
        /// First publication day.
        #[arg(long, default_value = "2026-09-01")]
        start: chrono::NaiveDate,
        /// Days of publications.
        #[arg(long, default_value_t = 60)]
        days: u32,
        /// A/B experiments.
        #[arg(long, default_value_t = 20)]
        experiments: usize,
        /// Write the tokens, accounts and URLs a collector needs to this file.
        #[arg(long)]
        env_file: Option<PathBuf>,
        /// Requests per second per platform before rate limiting.
        #[arg(long)]
        rate_limit: Option<u32>,
        /// Share of requests answered with a 5xx.
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        /// Share of responses cut off mid-body.
        #[arg(long, default_value_t = 0.0)]
        truncate_rate: f64,
        /// Share of requests delayed by --slow-ms.
        #[arg(long, default_value_t = 0.0)]
        slow_rate: f64,
        /// Delay of a slow request, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        slow_ms: u64,
        /// Share of images served corrupt or truncated.
        #[arg(long, default_value_t = 0.0)]
        corrupt_images: f64,
        /// Share of list pages repeating an item of the page before.
        #[arg(long, default_value_t = 0.0)]
        duplicates: f64,
    },
}
