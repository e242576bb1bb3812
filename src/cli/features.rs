//! `creativeiq features`: the feature batch job over the lake's images.

use anyhow::{Context, Result};
use chrono::NaiveDate;

use creativeiq::features::{FeatureJob, DEFAULT_MEMORY_BUDGET};

use super::{Global, Outcome};

/// Extract the visual features of every image that has none for this extractor version.
///
/// Writes features/design/version=<v>/dt=<day>/. A second run does nothing;
/// a bad image gets a row with its error and the batch carries on.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// First dt (fetch day of the image) included.
    #[arg(long)]
    since: Option<NaiveDate>,
    /// Last dt included.
    #[arg(long)]
    until: Option<NaiveDate>,
    /// One partition only, as dt=YYYY-MM-DD.
    #[arg(long, conflicts_with_all = ["since", "until"])]
    partition: Option<String>,
    /// Recompute images that already have features for this version.
    #[arg(long)]
    force: bool,
    /// Most memory, in MiB, that decoded images may hold at once over all
    /// threads (threads: RAYON_NUM_THREADS, default one per core).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MEMORY_BUDGET >> 20)]
    memory_budget: u64,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let (since, until) = match &args.partition {
        Some(p) => {
            let day = p
                .strip_prefix("dt=")
                .and_then(|d| d.parse::<NaiveDate>().ok())
                .with_context(|| format!("--partition {p:?}: expected dt=YYYY-MM-DD"))?;
            (Some(day), Some(day))
        }
        None => (args.since, args.until),
    };
    let lake = global.open_lake().await?;
    let job = FeatureJob::default()
        .with_range(since, until)
        .with_force(args.force)
        .with_memory_budget(args.memory_budget << 20)
        .with_progress(!global.quiet);
    let r = job.run(&lake).await?;
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "features v{}: {} pending, {} extracted, {} with an error, {} files; {:.1} MP in {:.2} s: {:.1} images/s, {:.1} MP/s; peak memory {:.0} MiB ({:.0} MiB decoded pixels in {} images at most)",
        r.version,
        r.pending,
        r.extracted,
        r.failed,
        r.files,
        r.megapixels,
        r.seconds,
        r.images_per_second(),
        r.megapixels / r.seconds.max(1e-9),
        mib(r.peak_rss_bytes.unwrap_or(0)),
        mib(r.max_decoded_bytes),
        r.max_images_in_flight,
    );
    if r.failed > 0 {
        println!("images with an error: creativeiq sql \"SELECT image_sha256, error FROM features.design WHERE error IS NOT NULL\"");
        return Ok(Outcome::SomeRejected);
    }
    Ok(Outcome::Done)
}
