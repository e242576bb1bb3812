//! `creativeiq validate`: run the data-quality checks and keep their results.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;

use creativeiq::quality::{Severity, Validation};

use super::{Global, Outcome};

/// Run every data-quality check of sql/checks/ over the lake, print a
/// summary, and append the results to quality.check_results and the
/// failing rows (with their keys) to quality.failed_rows.
///
/// Exit status: 0 when it ran (whatever the checks found, unless
/// --fail-on), 1 when a check of the --fail-on severity failed, 2 when the
/// validation could not run.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exit with 1 when a check of this severity (or a worse one) fails.
    #[arg(long, value_enum)]
    fail_on: Option<Severity>,
    /// The day freshness is measured against (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DAY")]
    as_of: Option<NaiveDate>,
    /// Change a check's threshold for this run, e.g. --param min_samples.min_overall=500.
    #[arg(long = "param", value_name = "CHECK.NAME=VALUE")]
    params: Vec<String>,
    /// Run only this check (repeatable).
    #[arg(long = "check", value_name = "NAME")]
    only: Vec<String>,
    /// Failing rows stored per check in quality.failed_rows (all are counted).
    #[arg(long, default_value_t = 10_000)]
    max_stored_rows: usize,
    /// Print the results without writing them to the lake.
    #[arg(long)]
    dry_run: bool,
    /// Write the SQL this run would execute (settings, views in order, checks
    /// with their thresholds filled in) into DIR, for another engine, and stop.
    #[arg(long, value_name = "DIR")]
    dump_sql: Option<PathBuf>,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let settings = global.settings(&lake).await?;
    let mut validation = Validation::new()
        .with_settings(settings.clone())
        .with_only(&args.only)
        .with_max_stored_rows(args.max_stored_rows)
        .with_write(!args.dry_run)
        .with_progress(!global.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if let Some(day) = args.as_of {
        validation = validation.with_as_of(day);
    }
    for param in &args.params {
        let Some((target, value)) = param.split_once('=') else {
            bail!("--param {param}: write CHECK.NAME=VALUE, e.g. min_samples.min_overall=500");
        };
        let Some((check, key)) = target.split_once('.') else {
            bail!(
                "--param {param}: name the check and the parameter, e.g. min_samples.min_overall"
            );
        };
        validation = validation.with_param(check.trim(), key.trim(), value.trim());
    }
    if let Some(dir) = &args.dump_sql {
        let written = creativeiq::quality::dump_sql(&validation, &settings, &lake, dir)
            .await
            .with_context(|| format!("writing the SQL into {}", dir.display()))?;
        println!("wrote {written} files into {}", dir.display());
        return Ok(Outcome::Done);
    }
    let report = validation.run(&lake).await?;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<18} {:<8} {:<6} {:>12}  {:<38} first failure",
        "check", "severity", "status", "failing rows", "threshold"
    )?;
    for check in &report.checks {
        let mut detail = check.detail().unwrap_or_default();
        if detail.chars().count() > 90 {
            detail = detail.chars().take(87).collect::<String>() + "...";
        }
        writeln!(
            out,
            "{:<18} {:<8} {:<6} {:>12}  {:<38} {}",
            check.name,
            check.severity.as_str(),
            check.status.as_str(),
            check.failed_rows,
            check.threshold,
            detail
        )?;
    }
    writeln!(
        out,
        "quality score {:.0}/100 ({} of {} checks pass) as of {}, run {} in {:.1} s",
        report.score,
        report.checks.iter().filter(|c| c.passed()).count(),
        report.checks.len(),
        report.as_of,
        report.run_id,
        report.seconds
    )?;
    if args.dry_run {
        writeln!(out, "dry run: nothing written")?;
    } else {
        writeln!(
            out,
            "results: creativeiq sql \"SELECT * FROM quality.check_results WHERE run_id = '{}'\"; failing rows: quality.failed_rows",
            report.run_id
        )?;
    }
    match args.fail_on {
        Some(severity) if report.failed_at(severity) => Ok(Outcome::ChecksFailed),
        _ => Ok(Outcome::Done),
    }
}
