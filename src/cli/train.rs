//! `creativeiq train`: train every model kind on the lake's training set
//! (or a training file), publish the models, metric tables and champions
//! into the lake. `--brand B` adds the column `brand_score` (see
//! `creativeiq::train::assemble`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use creativeiq::insight::BrandProfile;
use creativeiq::train::publish::publish;
use creativeiq::train::{source, FeatureAssembler, ModelKind, SearchBudget, TrainJob, TrueRates};

use super::{Global, Outcome};

/// Train the models on the lake's training set (training_posts joined with
/// features.design, sql/jobs/training_set.sql) or on a training file,
/// evaluate them, and publish them to the lake.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Train on this file instead of the lake (.parquet or .csv with
    /// post_id, platform, published_at, performance_score, optional
    /// sample_weight, and numeric feature columns).
    #[arg(long)]
    dataset: Option<PathBuf>,
    #[command(flatten)]
    model: ModelOptions,
    /// Weeks of the latest data held out for the final evaluation.
    #[arg(long, default_value_t = 4)]
    holdout_weeks: u32,
    /// The best R² reachable on this data, when known (synthetic data).
    #[arg(long, conflicts_with = "truth")]
    ceiling_r2: Option<f64>,
    /// The truth of the synthetic world the data comes from (the
    /// --truth-dir of `sim serve`, a `synth` output's truth/, or its
    /// posts.ndjson): each scope's ceiling R² is computed from it on the
    /// holdout, against the lake's label.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// The run's name (default: its UTC start time).
    #[arg(long)]
    run: Option<String>,
    /// Train brand-specific models: add the column brand_score, each
    /// design's 0..100 score against the brand's profile (brands/<B>.json,
    /// learnt with `creativeiq brand learn`), as `brand check` computes it.
    /// The profile is saved in every model's manifest.
    #[arg(long, value_name = "B", conflicts_with = "dataset")]
    brand: Option<String>,
}

/// The training options `train` and `retrain` share.
#[derive(Debug, clap::Args)]
pub struct ModelOptions {
    /// The extractor version of the image features to train on.
    #[arg(long, default_value = creativeiq::features::EXTRACTOR_VERSION)]
    pub extractor_version: String,
    /// Model kinds to train (default: all).
    #[arg(long, value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Hyperparameter candidates tried per model kind.
    #[arg(long, default_value_t = 5)]
    pub search_candidates: usize,
    /// Seconds of hyperparameter search per model kind.
    #[arg(long, default_value_t = 120)]
    pub search_seconds: u64,
    /// Fewest rows for a platform to get its own models.
    #[arg(long, default_value_t = 300)]
    pub min_platform_rows: usize,
}

impl ModelOptions {
    /// The model kinds asked for, all when none is named.
    pub fn kinds(&self) -> Result<Vec<ModelKind>> {
        if self.kinds.is_empty() {
            return Ok(ModelKind::ALL.to_vec());
        }
        Ok(self
            .kinds
            .iter()
            .map(|k| k.parse())
            .collect::<Result<_, _>>()?)
    }

    /// The hyperparameter search budget per model kind.
    pub fn search(&self) -> SearchBudget {
        SearchBudget {
            max_candidates: self.search_candidates,
            time_limit: Duration::from_secs(self.search_seconds),
            folds: 3,
        }
    }
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let (data, assembler, ab_pairs) = match &args.dataset {
        Some(path) => {
            let data = source::read_file(path)?;
            let assembler = FeatureAssembler::recognise(data.feature_names());
            (data, assembler, None)
        }
        None => {
            let brand = match &args.brand {
                Some(name) => {
                    let profile = BrandProfile::load(&lake, name).await?;
                    println!(
                        "brand {name}: brand_score against its profile of {} designs from {} (SHA-256 {})",
                        profile.designs,
                        profile.source,
                        &profile.content_sha256()[..12]
                    );
                    if profile.extractor_version != args.model.extractor_version {
                        eprintln!(
                            "warning: brand {name} was learnt from features of extractor version {}, the training set has version {}; learn it again for comparable scores",
                            profile.extractor_version, args.model.extractor_version
                        );
                    }
                    Some(profile)
                }
                None => None,
            };
            let settings = global.settings(&lake).await?;
            let set =
                source::read_lake(&lake, &settings, &args.model.extractor_version, brand).await?;
            println!(
                "training set: {} posts ({} with image features, extractor version {}), {} A/B pairs with features",
                set.data.len(),
                set.with_image_features,
                args.model.extractor_version,
                set.ab_pairs.as_ref().map_or(0, |p| p.pairs.len())
            );
            (set.data, Some(set.assembler), set.ab_pairs)
        }
    };
    let model = &args.model;
    let mut job = TrainJob::new()
        .with_kinds(&model.kinds()?)
        .with_seed(model.seed)
        .with_holdout_weeks(args.holdout_weeks)
        .with_folds(model.folds)
        .with_min_scope_rows(model.min_platform_rows)
        .with_search(model.search())
        .with_extractor_version(model.extractor_version.clone())
        .with_progress(!global.quiet);
    if let Some(assembler) = assembler {
        job = job.with_assembler(assembler);
    }
    if let Some(pairs) = ab_pairs {
        job = job.with_ab_pairs(pairs);
    }
    if let Some(c) = args.ceiling_r2 {
        job = job.with_ceiling_r2(c);
    }
    if let Some(path) = &args.truth {
        let rates = TrueRates::read(path)?;
        println!(
            "truth: {} posts' expected rates from {}",
            rates.len(),
            path.display()
        );
        job = job.with_true_rates(rates);
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
