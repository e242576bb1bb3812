//! `creativeiq synth`: a synthetic design world with a known ground truth.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{NaiveDate, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use creativeiq::synth::{self, GroundTruth, PlatformTable, Shift, SynthConfig};

use super::{Global, Outcome};

/// Render synthetic designs and write them with posts, A/B tests and their ground truth.
///
/// Writes DIR/images (the designs and a JSON of ground truth beside each),
/// DIR/export (posts and A/B tests in the seed's formats: `creativeiq
/// import DIR/export` lands them) and DIR/truth (expected rates, labels,
/// weights, the ceiling). The same seed writes the same bytes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Designs to render; each gets one to three posts.
    #[arg(long, default_value_t = 1000)]
    designs: usize,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Same seed, same world, byte for byte.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Accounts per platform.
    #[arg(long, default_value_t = 3)]
    accounts: usize,
    /// First publication day.
    #[arg(long, default_value = "2026-01-01")]
    start: NaiveDate,
    /// Days of publications.
    #[arg(long, default_value_t = 180)]
    days: u32,
    /// A/B tests (default: one per 50 designs, at least one).
    #[arg(long)]
    experiments: Option<usize>,
    /// Standard deviation of the log-normal noise on each post's engagement rate.
    #[arg(long, default_value_t = 0.3)]
    noise: f64,
    /// From this day on, engagement follows the second weight table (for drift tests).
    #[arg(long)]
    shift_at: Option<NaiveDate>,
    /// Also write a contact sheet (PNG) of the first designs here.
    #[arg(long)]
    contact_sheet: Option<PathBuf>,
    /// Designs on the contact sheet.
    #[arg(long, default_value_t = 36)]
    sheet_designs: usize,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    anyhow::ensure!(
        args.noise.is_finite() && args.noise >= 0.0,
        "--noise {}: expected a standard deviation of 0 or more",
        args.noise
    );
    let shift = args.shift_at.map(|day| Shift {
        at: Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")),
        weights: PlatformTable::shifted(),
    });
    let config = SynthConfig::default()
        .with_seed(args.seed)
        .with_designs(args.designs)
        .with_accounts(args.accounts)
        .with_period(args.start, args.days)
        .with_experiments(args.experiments.unwrap_or((args.designs / 50).max(1)))
        .with_truth(GroundTruth {
            noise_sigma: args.noise,
            shift,
            ..GroundTruth::default()
        });
    let started = Instant::now();
    let world = synth::generate(&config);
    let bar = if global.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(world.designs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "synth [{bar:30}] {pos}/{len} designs, {per_sec}, eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    };
    let report = synth::write(&world, &args.out, &bar)
        .with_context(|| format!("writing the synthetic world to {}", args.out.display()))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} designs ({} posted, {} A/B variants), {} posts, {} A/B tests, {:.1} MB of images in {}",
        report.images,
        report.images - 2 * report.experiments,
        2 * report.experiments,
        report.posts,
        report.experiments,
        report.image_bytes as f64 / 1e6,
        args.out.display()
    );
    println!(
        "{:.1} s ({:.0} designs/s on {} threads)",
        seconds,
        report.images as f64 / seconds.max(1e-9),
        rayon::current_num_threads()
    );
    let c = &world.ceiling;
    println!(
        "ceiling (noise-free score against performance_score, {} posts): R² {:.3} (uncalibrated {:.3}), Spearman {:.3}",
        c.all.posts, c.all.r2, c.all.r2_uncalibrated, c.all.spearman
    );
    for (platform, fit) in &c.platforms {
        println!(
            "  {platform:<10} {:>6} posts  R² {:.3}  Spearman {:.3}",
            fit.posts, fit.r2, fit.spearman
        );
    }
    if let Some(path) = &args.contact_sheet {
        let n = args.sheet_designs.min(world.designs.len());
        let columns = (n as f64).sqrt().ceil() as u32;
        let sheet = synth::contact_sheet(&world.designs[..n], columns, 240);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        sheet
            .save(path)
            .with_context(|| format!("writing the contact sheet {}", path.display()))?;
        println!("contact sheet of {n} designs: {}", path.display());
    }
    Ok(Outcome::Done)
}
