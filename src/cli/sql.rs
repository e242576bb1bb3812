//! `creativeiq sql`: read-only SQL over the lake.

use anyhow::{Context, Result};

use creativeiq::query::{write_batches, OutputFormat, Session};

use super::{Global, Outcome};

/// Run read-only SQL over the lake's tables (raw.posts, ...) and views.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The query, e.g. "SELECT platform, count(*) FROM raw.posts GROUP BY platform".
    query: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let settings = global.settings(&lake).await?;
    let session = Session::open_with(&lake, &settings).await?;
    let frame = session.query(&args.query).await?;
    let batches = frame.collect().await.context("running the query")?;
    let mut out = std::io::stdout().lock();
    write_batches(&mut out, &batches, args.format)?;
    Ok(Outcome::Done)
}
