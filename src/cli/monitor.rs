//! `creativeiq monitor`: the retrain job's decisions and monitoring tables
//! of a week, with what crosses its threshold flagged.

use anyhow::{Context, Result};
use arrow::array::{Array, AsArray};
use arrow::record_batch::RecordBatch;

use creativeiq::query::{write_batches, OutputFormat, Session};
use creativeiq::retrain::monitor::{PSI_THRESHOLD, R2_DROP_THRESHOLD};
use creativeiq::train::source::run_job;

use super::{Global, Outcome};

/// Print a week's retrain decisions (metrics.retrain_runs), the champion's
/// accuracy on the week (metrics.accuracy), drift (metrics.drift) and the
/// feature importance that moved (metrics.importance_shift), flagging
/// PSI above 0.25 and an R² drop above 0.1.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ISO week (default: the latest the retrain job decided).
    #[arg(long)]
    week: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let session = Session::open_with(&lake, &global.settings(&lake).await?).await?;
    let trend = run_job(&session, "monitor_weeks", &[]).await?;
    let week = match args.week {
        Some(w) => w,
        None => match first_text(&trend, "week") {
            Some(w) => w,
            None => {
                println!("no retrain has run yet: creativeiq retrain --week YYYY-Www");
                return Ok(Outcome::Done);
            }
        },
    };
    let mut out = std::io::stdout().lock();
    let mut section = |title: &str, batches: &[RecordBatch]| -> Result<()> {
        use std::io::Write;
        writeln!(out, "\n== {title}")?;
        if batches.iter().all(|b| b.num_rows() == 0) {
            writeln!(out, "(none)")?;
            return Ok(());
        }
        write_batches(&mut out, batches, OutputFormat::Table).context("printing")?;
        Ok(())
    };
    let runs = run_job(&session, "monitor_runs", &[&week]).await?;
    section(
        &format!("decisions of {week} (metrics.retrain_runs)"),
        &runs,
    )?;
    let accuracy = run_job(&session, "monitor_accuracy", &[&week]).await?;
    section(
        "champion accuracy on the week (metrics.accuracy)",
        &accuracy,
    )?;
    let drift = run_job(&session, "monitor_drift", &[&week]).await?;
    let flagged_drift: Vec<RecordBatch> = drift.iter().map(|b| head(b, 15)).collect();
    section(
        "drift, PSI against the champion's data (metrics.drift, top 15)",
        &flagged_drift,
    )?;
    let importance = run_job(&session, "monitor_importance", &[&week]).await?;
    section(
        "feature importance that moved (metrics.importance_shift)",
        &importance,
    )?;
    section("trend (metrics.retrain_runs, metrics.accuracy)", &trend)?;

    let mut flags = Vec::new();
    for batch in &drift {
        let (scope, quantity, flagged) = (
            texts(batch, "scope"),
            texts(batch, "quantity"),
            bools(batch, "flagged"),
        );
        let psi = batch
            .column_by_name("psi")
            .map(|c| c.as_primitive::<arrow::datatypes::Float64Type>().clone());
        for i in 0..batch.num_rows() {
            if flagged[i] {
                let value = psi
                    .as_ref()
                    .filter(|p| !p.is_null(i))
                    .map_or(f64::NAN, |p| p.value(i));
                flags.push(format!(
                    "DRIFT {} {}: PSI {value:.3} > {PSI_THRESHOLD}",
                    scope[i], quantity[i]
                ));
            }
        }
    }
    for batch in &accuracy {
        let (scope, flagged) = (texts(batch, "scope"), bools(batch, "flagged"));
        for i in 0..batch.num_rows() {
            if flagged[i] {
                flags.push(format!(
                    "ACCURACY {}: the champion's R² dropped by more than {R2_DROP_THRESHOLD}",
                    scope[i]
                ));
            }
        }
    }
    for batch in &runs {
        let (scope, decision, reason) = (
            texts(batch, "scope"),
            texts(batch, "decision"),
            texts(batch, "reason"),
        );
        for i in 0..batch.num_rows() {
            if decision[i] == "blocked" {
                flags.push(format!("BLOCKED {}: {}", scope[i], reason[i]));
            } else if decision[i] == "promote" {
                flags.push(format!("PROMOTED {}: {}", scope[i], reason[i]));
            }
        }
    }
    println!("\n== flags of {week}");
    if flags.is_empty() {
        println!("none");
    }
    for f in &flags {
        println!("{f}");
    }
    Ok(Outcome::Done)
}

fn head(batch: &RecordBatch, rows: usize) -> RecordBatch {
    batch.slice(0, rows.min(batch.num_rows()))
}

fn texts(batch: &RecordBatch, name: &str) -> Vec<String> {
    batch
        .column_by_name(name)
        .and_then(|c| arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).ok())
        .map(|c| {
            c.as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_else(|| vec![String::new(); batch.num_rows()])
}

fn bools(batch: &RecordBatch, name: &str) -> Vec<bool> {
    batch
        .column_by_name(name)
        .map(|c| c.as_boolean().iter().map(|v| v.unwrap_or(false)).collect())
        .unwrap_or_else(|| vec![false; batch.num_rows()])
}

fn first_text(batches: &[RecordBatch], name: &str) -> Option<String> {
    batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| texts(b, name).remove(0))
}
