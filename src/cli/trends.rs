//! `creativeiq trends`: visual properties whose share among the top posts
//! rose or fell between two windows, per platform.

use std::io::Write;

use anyhow::Result;
use chrono::NaiveDate;

use creativeiq::insight::trends::parse_window;
use creativeiq::insight::TrendJob;

use super::{Global, Outcome};

/// Find visual properties whose share among each platform's top-quartile
/// posts changed significantly between the previous and the current
/// window (two-proportion z-test, Benjamini-Hochberg); writes
/// metrics/trends/run=<last day>_<window>d/ and prints the changes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Length of each window, in days (30d or 30).
    #[arg(long, default_value = "30d")]
    window: String,
    /// Top-quartile posts a platform needs in each window to be tested.
    #[arg(long, default_value_t = 50)]
    min_samples: usize,
    /// Last day of the current window (default: the latest labelled post's day).
    #[arg(long)]
    until: Option<NaiveDate>,
    /// False discovery rate (Benjamini-Hochberg).
    #[arg(long, default_value_t = 0.05)]
    fdr: f64,
    /// Print every tested property, not only the significant ones.
    #[arg(long)]
    all: bool,
    /// One JSON object.
    #[arg(long)]
    json: bool,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    anyhow::ensure!(
        args.fdr > 0.0 && args.fdr < 1.0,
        "--fdr {}: give a rate between 0 and 1",
        args.fdr
    );
    let lake = global.open_lake().await?;
    let report = TrendJob::new()
        .with_window_days(parse_window(&args.window)?)
        .with_min_samples(args.min_samples)
        .with_last_day(args.until)
        .with_fdr(args.fdr)
        .run(&lake)
        .await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
        return Ok(Outcome::Done);
    }
    writeln!(
        out,
        "trends {}: previous {} .. {}, current {} .. {} (top quartile of performance_score, FDR {})",
        report.run,
        report.previous_start,
        report.current_start.pred_opt().unwrap_or(report.current_start),
        report.current_start,
        report.current_end,
        report.fdr
    )?;
    for s in &report.skipped {
        writeln!(
            out,
            "  {}: not tested, {} and {} top posts (fewer than --min-samples {})",
            s.platform, s.previous_top_posts, s.current_top_posts, args.min_samples
        )?;
    }
    let shown: Vec<_> = if args.all {
        report.trends.iter().collect()
    } else {
        report.significant().collect()
    };
    if shown.is_empty() {
        writeln!(out, "  no significant change")?;
    }
    for t in shown {
        writeln!(
            out,
            "  {:<10} {:<20} {:<8} {:>5.1}% -> {:>5.1}%  (z {:>6.2}, q {:.4}; {}/{} -> {}/{})",
            t.platform,
            t.property,
            t.direction.name(),
            100.0 * t.previous_share,
            100.0 * t.current_share,
            t.z.unwrap_or(0.0),
            t.q_value,
            t.previous_with,
            t.previous_top_posts,
            t.current_with,
            t.current_top_posts
        )?;
    }
    if let Some(path) = &report.written {
        writeln!(out, "written to {path}")?;
    }
    Ok(Outcome::Done)
}
