//! `creativeiq compare`: a design among the competitors' posts.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use creativeiq::features::{analyze_bytes, DecodeLimits};
use creativeiq::insight::CompareJob;

use super::{Global, Outcome};

/// Place a design among competitors' collected posts: its percentile per
/// feature, the nearest competitor designs, and the champion's score.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The design: a PNG, JPEG, WebP or GIF file.
    image: PathBuf,
    /// The competitors' account ids (as in the posts' account_id).
    #[arg(long, num_args = 1.., required = true)]
    competitors: Vec<String>,
    /// The platform to predict for (default: the competitors' most common).
    #[arg(long)]
    platform: Option<String>,
    /// Nearest competitor designs to list.
    #[arg(long, default_value_t = 5)]
    nearest: usize,
    /// One JSON object.
    #[arg(long)]
    json: bool,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let shown = args.image.display();
    let bytes = std::fs::read(&args.image).with_context(|| format!("reading {shown}"))?;
    let features =
        analyze_bytes(&bytes, &DecodeLimits::default()).with_context(|| format!("{shown}"))?;
    let comparison = CompareJob::new(args.competitors)
        .with_platform(args.platform)
        .with_neighbours(args.nearest)
        .run(&lake, &features)
        .await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&comparison)?)?;
        return Ok(Outcome::Done);
    }
    for line in &comparison.summary {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "\n{:<18} {:>10} {:>10} {:>10}",
        "feature", "design", "median", "percentile"
    )?;
    for p in &comparison.percentiles {
        writeln!(
            out,
            "{:<18} {:>10.3} {:>10.3} {:>10.1}",
            p.feature, p.value, p.competitor_median, p.percentile
        )?;
    }
    writeln!(out, "\nnearest competitor designs:")?;
    for n in &comparison.nearest {
        writeln!(
            out,
            "  {:<24} {:<16} {:<10} score {:>5}  distance {:.3}",
            n.post_id,
            n.account_id.as_deref().unwrap_or("-"),
            n.platform,
            n.performance_score
                .map_or("-".to_string(), |s| format!("{s:.1}")),
            n.distance
        )?;
    }
    Ok(Outcome::Done)
}
