//! `creativeiq retrain`: the weekly champion/challenger retrain of one ISO
//! week, or a backfill of several weeks (one child process per week).

use anyhow::{bail, Context, Result};
use chrono::Utc;

use creativeiq::retrain::{IsoWeek, PromotionRule, RetrainJob};

use super::train::ModelOptions;
use super::{Global, Outcome};

/// Retrain on the data up to the end of an ISO week, holding the week out:
/// quality gate (validate; an error check stops it, exit 2), features of
/// new images, challengers, a paired test against the champion on the
/// week's posts, promotion only when significantly better by a margin.
/// Writes metrics.retrain_runs, metrics.drift, metrics.accuracy and
/// metrics.importance_shift. A week already decided is skipped (--force
/// redoes it).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ISO week, e.g. 2026-W47 (default: the last complete week).
    #[arg(long, conflicts_with = "backfill")]
    week: Option<String>,
    /// Replay the weeks --from ..= --to in order, one process per week.
    #[arg(long, requires_all = ["from", "to"])]
    backfill: bool,
    /// First week of a backfill.
    #[arg(long)]
    from: Option<String>,
    /// Last week of a backfill.
    #[arg(long)]
    to: Option<String>,
    /// Redo a week that already has a decision.
    #[arg(long)]
    force: bool,
    /// Significance level of the paired test.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Least relative MSE reduction to promote (0.02 = 2%).
    #[arg(long, default_value_t = 0.02)]
    margin: f64,
    /// Train on the last N weeks before the week only (default: all).
    #[arg(long, value_name = "N")]
    window_weeks: Option<u32>,
    #[command(flatten)]
    model: ModelOptions,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    if args.backfill {
        return backfill(&args);
    }
    let week = match &args.week {
        Some(w) => w.parse::<IsoWeek>()?,
        None => IsoWeek::last_complete(Utc::now()),
    };
    let lake = global.open_lake().await?;
    let model = &args.model;
    let job = RetrainJob::new(week)
        .with_force(args.force)
        .with_rule(PromotionRule {
            alpha: args.alpha,
            margin: args.margin,
        })
        .with_window_weeks(args.window_weeks)
        .with_kinds(&model.kinds()?)
        .with_seed(model.seed)
        .with_folds(model.folds)
        .with_search(model.search())
        .with_min_scope_rows(model.min_platform_rows)
        .with_extractor_version(model.extractor_version.clone())
        .with_settings(global.settings(&lake).await?)
        .with_progress(!global.quiet);
    let report = job.run(&lake).await?;
    if report.skipped {
        println!(
            "week {week}: already decided ({}); nothing changed. --force redoes it",
            report
                .runs
                .iter()
                .map(|r| format!("{} {}", r.scope, r.decision))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(Outcome::Done);
    }
    println!(
        "week {week}: run {}, {} new images' features",
        report.run_id, report.features_extracted
    );
    for r in &report.runs {
        let figure = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        println!(
            "{:<10} {:<8} challenger {} r2 {}  champion {} r2 {}  n {}  p {}  {}",
            r.scope,
            r.decision,
            r.challenger_kind.as_deref().unwrap_or("-"),
            figure(r.challenger[0]),
            r.champion_kind.as_deref().unwrap_or("-"),
            figure(r.champion[0]),
            r.n,
            r.p_value.map_or("-".to_string(), |p| format!("{p:.2e}")),
            r.reason
        );
    }
    let flagged = report.drift.iter().filter(|d| d.flagged).count()
        + report.accuracy.iter().filter(|a| a.flagged).count();
    println!(
        "promoted: {}; {flagged} monitoring flags (creativeiq monitor --week {week})",
        if report.promoted.is_empty() {
            "none".to_string()
        } else {
            report.promoted.join(", ")
        }
    );
    Ok(Outcome::Done)
}

/// Runs this binary once per week with the same flags, in order; stops at
/// the first week that fails.
fn backfill(args: &Args) -> Result<Outcome> {
    let (Some(from), Some(to)) = (&args.from, &args.to) else {
        bail!("--backfill needs --from and --to");
    };
    let (from, to): (IsoWeek, IsoWeek) = (from.parse()?, to.parse()?);
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    // The flags of this run, less the backfill's own.
    let mut passed = Vec::new();
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--backfill" => {}
            "--from" | "--to" => {
                given.next();
            }
            a if a.starts_with("--from=") || a.starts_with("--to=") => {}
            _ => passed.push(arg),
        }
    }
    let exe = std::env::current_exe().context("finding this program to run each week")?;
    for week in from.through(to) {
        println!("== {week}");
        let status = std::process::Command::new(&exe)
            .args(&passed)
            .arg("--week")
            .arg(week.to_string())
            .status()
            .with_context(|| format!("starting the retrain of {week}"))?;
        if !status.success() {
            bail!("week {week} failed ({status}); the weeks before it are done, rerun from {week}");
        }
    }
    Ok(Outcome::Done)
}
