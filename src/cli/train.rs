//! `creativeiq train`: train every model kind on a training file, publish
//! the models, metric tables and champions into the lake.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use creativeiq::train::publish::publish;
use creativeiq::train::{source, FeatureAssembler, ModelKind, SearchBudget, TrainJob};

use super::{Global, Outcome};

/// Train the models on a training file (Parquet or CSV with post_id,
/// platform, published_at, performance_score, optional sample_weight, and
/// numeric feature columns), evaluate them, and publish them to the lake.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The training file (.parquet or .csv).
    #[arg(long)]
    dataset: PathBuf,
    /// Model kinds to train (default: all).
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Weeks of the latest data held out for the final evaluation.
    #[arg(long, default_value_t = 4)]
    holdout_weeks: u32,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Hyperparameter candidates tried per model kind.
    #[arg(long, default_value_t = 5)]
    search_candidates: usize,
    /// Seconds of hyperparameter search per model kind.
    #[arg(long, default_value_t = 120)]
    search_seconds: u64,
    /// Fewest rows for a platform to get its own models.
    #[arg(long, default_value_t = 300)]
    min_platform_rows: usize,
    /// The best R² reachable on this data, when known (synthetic data).
    #[arg(long)]
    ceiling_r2: Option<f64>,
    /// The run's name (default: its UTC start time).
    #[arg(long)]
    run: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let data = source::read_file(&args.dataset)?;
    let kinds: Vec<ModelKind> = if args.kinds.is_empty() {
        ModelKind::ALL.to_vec()
    } else {
        args.kinds
            .iter()
            .map(|k| k.parse())
            .collect::<Result<_, _>>()?
    };
    let mut job = TrainJob::new()
        .with_kinds(&kinds)
        .with_seed(args.seed)
        .with_holdout_weeks(args.holdout_weeks)
        .with_folds(args.folds)
        .with_min_scope_rows(args.min_platform_rows)
        .with_search(SearchBudget {
            max_candidates: args.search_candidates,
            time_limit: Duration::from_secs(args.search_seconds),
            folds: 3,
        })
        .with_progress(!global.quiet);
    if let Some(assembler) = FeatureAssembler::recognise(data.feature_names()) {
        job = job.with_assembler(assembler);
    }
    if let Some(c) = args.ceiling_r2 {
        job = job.with_ceiling_r2(c);
    }
    if let Some(run) = args.run {
        job = job.with_run_id(run);
    }
    // Training is CPU-bound: keep it off the async workers.
    let output = tokio::task::spawn_blocking(move || job.run(&data))
        .await
        .context("the training thread")??;
    let published = publish(&lake, &output).await?;
    print!("{}", output.report.table());
    for (scope, why) in &output.report.skipped {
        println!("skipped {scope}: {why}");
    }
    println!(
        "run {}: {} models, {} files, {} metric tables",
        output.report.run_id,
        output.models.len(),
        published.model_files,
        published.table_files
    );
    for (scope, c) in &published.registry.champions {
        println!(
            "champion {scope:<10} {:<14} holdout r2 {:.3}  run {}",
            c.kind.name(),
            c.holdout_r2,
            c.run_id
        );
    }
    Ok(Outcome::Done)
}
