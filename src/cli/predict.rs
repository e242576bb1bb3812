//! `creativeiq predict`: the champion's score for one design, with its
//! interval, tier and the features that pushed it up or down; or, with
//! `--partition` / `--all`, every post of the lake scored into
//! `predictions.posts`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};

use creativeiq::features::{analyze_bytes, DecodeLimits};
use creativeiq::insight::{brand_score, BrandProfile, InsightError};
use creativeiq::lake::Lake;
use creativeiq::predict::{BatchPredict, PredictError, Predictor, PREDICTIONS_TABLE};
use creativeiq::train::{AssembledBrand, ImageFeatures, PostContext, ALL_SCOPE, BRAND_SCORE};

use super::{Global, Outcome};

/// Predict a design's performance_score (0..100) with the champion model of
/// its platform (or the general one), and explain it; or score the lake's
/// posts of a partition (--partition dt=YYYY-MM-DD) or of every partition
/// (--all) into the table predictions.posts.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The design: a PNG, JPEG, WebP or GIF file.
    #[arg(required_unless_present_any = ["partition", "all"], requires = "platform")]
    image: Option<PathBuf>,
    /// Where it will be posted (instagram, linkedin, facebook, tiktok, x, ...).
    #[arg(long)]
    platform: Option<String>,
    /// Score the lake's valid posts of this partition: dt=YYYY-MM-DD, or a
    /// range dt=YYYY-MM-DD..YYYY-MM-DD.
    #[arg(long, conflicts_with_all = ["image", "all"])]
    partition: Option<String>,
    /// Score the lake's valid posts of every partition.
    #[arg(long, conflicts_with = "image")]
    all: bool,
    /// Posting hour, 0-23 (UTC unless --utc-offset is given).
    #[arg(long, default_value_t = 12)]
    hour: u32,
    /// Posting weekday, 0 = Monday .. 6 = Sunday.
    #[arg(long, default_value_t = 2)]
    weekday: u32,
    /// The publication time (RFC 3339), instead of --hour and --weekday.
    #[arg(long, conflicts_with_all = ["hour", "weekday", "utc_offset"])]
    at: Option<DateTime<FixedOffset>>,
    /// The account's followers.
    #[arg(long)]
    audience: Option<i64>,
    /// The post is promoted (--paid, or --paid false; unknown when absent).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    paid: Option<bool>,
    /// The media type (image, carousel, ...).
    #[arg(long, default_value = "image")]
    media_type: String,
    /// The caption (its length and hashtags are features).
    #[arg(long)]
    caption: Option<String>,
    /// The account's offset from UTC in minutes.
    #[arg(long)]
    utc_offset: Option<i32>,
    /// Features pushing up and down to show.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// One JSON object.
    #[arg(long)]
    json: bool,
}

impl Args {
    /// One design's score, rather than a batch over the lake.
    pub fn is_one_design(&self) -> bool {
        self.image.is_some()
    }
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let (Some(image), Some(platform)) = (&args.image, &args.platform) else {
        return run_batch(&lake, &args).await;
    };
    anyhow::ensure!(
        args.hour < 24 && args.weekday < 7,
        "--hour is 0-23 and --weekday 0-6"
    );
    // The design is decoded and analysed while the champion loads: one
    // design's latency is the longer of the two, not their sum.
    let started = std::time::Instant::now();
    let image_path = image.clone();
    let analysis = tokio::task::spawn_blocking(move || {
        let shown_path = image_path.display();
        let bytes = std::fs::read(&image_path).with_context(|| format!("reading {shown_path}"))?;
        let features = analyze_bytes(&bytes, &DecodeLimits::default())
            .with_context(|| format!("{shown_path}"))?;
        tracing::debug!(elapsed = ?started.elapsed(), "design analysed");
        anyhow::Ok(features)
    });
    let predictor = match Predictor::champion(&lake, platform).await {
        Err(PredictError::NoChampion { .. }) => Predictor::champion(&lake, ALL_SCOPE).await?,
        other => other?,
    };
    predictor.warm_up();
    tracing::debug!(elapsed = ?started.elapsed(), "champion loaded");
    let features = analysis.await.context("analysing the design")??;
    // Only the hour and weekday of the time are features: any week will do
    // (2024-01-01 was a Monday).
    let offset = Duration::minutes(i64::from(args.utc_offset.unwrap_or(0)));
    let published_at = match args.at {
        Some(at) => at.with_timezone(&Utc),
        None => {
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
                + Duration::days(i64::from(args.weekday))
                + Duration::hours(i64::from(args.hour))
                - offset
        }
    };
    let mut post = PostContext {
        platform: platform.clone(),
        published_at,
        utc_offset_minutes: args.utc_offset,
        media_type: Some(args.media_type.clone()),
        followers: args.audience,
        paid: args.paid,
        ..Default::default()
    };
    if let Some(caption) = &args.caption {
        post = post.with_caption(caption);
    }
    let p = predictor.predict_post(&post, Some(&ImageFeatures::from_design(&features)))?;
    tracing::debug!(elapsed = ?started.elapsed(), "predicted and explained");
    let brand = predictor
        .model()
        .manifest
        .assembler
        .as_ref()
        .and_then(|a| a.brand());
    if let Some(brand) = brand {
        note_brand_changes(&lake, brand).await;
    }
    // The brand score itself, not only its push: a designer reads both.
    let brand_json = brand.map(|b| {
        serde_json::json!({
            "name": b.profile().name,
            "sha256": b.sha256(),
            "brand_score": brand_score(b.profile(), &features),
        })
    });
    if args.json {
        let mut value = serde_json::to_value(&p)?;
        if let Some(brand) = brand_json {
            value["brand"] = brand;
        }
        value["contributions"] = serde_json::to_value(
            p.contributions
                .iter()
                .take(2 * args.top)
                .collect::<Vec<_>>(),
        )?;
        println!("{value}");
        return Ok(Outcome::Done);
    }
    let (run, scope, kind) = &p.model;
    println!(
        "score {:.1}  (90% interval {:.1} .. {:.1})  tier {:?}",
        p.score, p.interval.0, p.interval.1, p.tier
    );
    if let Some(prob) = p.top_tier_probability {
        println!("top-quartile probability {:.0}%", prob * 100.0);
    }
    if let Some(b) = &brand_json {
        let push = p
            .contributions
            .iter()
            .find(|c| c.feature == BRAND_SCORE)
            .map_or(0.0, |c| c.contribution);
        println!(
            "brand {}: brand_score {:.1} / 100, pushing the score {push:+.2}",
            b["name"].as_str().unwrap_or_default(),
            b["brand_score"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!(
        "model {kind} for {scope}, run {run}; contributions by {:?}",
        p.contribution_method
    );
    for c in p.top_up(args.top) {
        println!(
            "  + {:<22} {:>+7.2}  (value {:.3})",
            c.feature, c.contribution, c.value
        );
    }
    for c in p.top_down(args.top) {
        println!(
            "  - {:<22} {:>+7.2}  (value {:.3})",
            c.feature, c.contribution, c.value
        );
    }
    Ok(Outcome::Done)
}

/// Says on stderr when the lake's profile of the model's brand is gone or
/// has changed since training: the model keeps scoring with the profile in
/// its manifest (the one it learnt from), which may not be what the user
/// now calls the brand.
async fn note_brand_changes(lake: &Lake, brand: &AssembledBrand) {
    let name = &brand.profile().name;
    let note = match BrandProfile::load(lake, name).await {
        Ok(current) if current.content_sha256() == brand.sha256() => return,
        Ok(_) => "has changed since",
        Err(InsightError::NoBrand { .. }) => "is gone from the lake since",
        Err(e) => {
            tracing::warn!(brand = %name, error = %e, "the lake's profile could not be compared with the model's");
            return;
        }
    };
    eprintln!(
        "note: brand {name}'s profile {note} the model was trained; brand_score uses the profile saved with the model; `creativeiq train --brand {name}` trains on the current one"
    );
}

/// `--partition` / `--all`: score the lake's posts into predictions.posts.
async fn run_batch(lake: &Lake, args: &Args) -> Result<Outcome> {
    let job = match &args.partition {
        Some(partition) => {
            let range = partition.strip_prefix("dt=").with_context(|| {
                format!(
                    "--partition {partition:?}: give dt=YYYY-MM-DD or dt=YYYY-MM-DD..YYYY-MM-DD"
                )
            })?;
            let (first, last) = range.split_once("..").unwrap_or((range, range));
            for day in [first, last] {
                chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").with_context(|| {
                    format!("--partition {partition:?}: {day:?} is not YYYY-MM-DD")
                })?;
            }
            BatchPredict::new(first, last)
        }
        None => BatchPredict::all(),
    };
    let report = job.with_top(args.top.min(5)).run(lake).await?;
    println!(
        "scored {} posts ({} with image features, {} on their context alone) into {} in {} dt partitions",
        report.posts,
        report.with_image,
        report.posts - report.with_image,
        PREDICTIONS_TABLE,
        report.partitions
    );
    for (model, posts) in &report.by_model {
        println!("  {posts:>6} posts  {model}");
    }
    if report.posts == 0 {
        println!("no valid posts in that range: see `creativeiq validate`");
    }
    Ok(Outcome::Done)
}
