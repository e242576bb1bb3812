//! `creativeiq brand`: learn a brand's look from its designs, and check a
//! new design against it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use creativeiq::features::{analyze_bytes, DecodeLimits};
use creativeiq::insight::brand::{account_designs, analyze_files, image_files};
use creativeiq::insight::BrandProfile;

use super::{Global, Outcome};

/// Learn a brand profile (palette in CIELAB, tone, typography, layout,
/// aspect ratios) into the lake's brands/, or score a design against one.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Learn a profile from a folder of designs or an account's posts;
    /// writes brands/<name>.json in the lake (replacing an older one).
    Learn {
        /// The brand's name (letters, digits, '.', '-', '_').
        #[arg(long)]
        name: String,
        /// A folder of the brand's designs (PNG, JPEG, WebP, GIF; searched recursively).
        #[arg(long, conflicts_with = "account", required_unless_present = "account")]
        from: Option<PathBuf>,
        /// An account whose valid posts' images (with features) make the portfolio.
        #[arg(long)]
        account: Option<String>,
    },
    /// Score a design 0..100 against a brand and name what departs.
    Check {
        /// The design: a PNG, JPEG, WebP or GIF file.
        image: PathBuf,
        /// The brand (learnt with `creativeiq brand learn`).
        #[arg(long)]
        brand: String,
        /// One JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the brands in the lake.
    List,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    match args.action {
        Action::Learn {
            name,
            from,
            account,
        } => {
            let mut outcome = Outcome::Done;
            let (source, designs) = match (from, account) {
                (Some(dir), _) => {
                    let files = image_files(&dir)?;
                    let bar = progress(global.quiet, files.len() as u64);
                    let (designs, failures) = analyze_files(&files, &|| bar.inc(1));
                    bar.finish_and_clear();
                    for (path, reason) in &failures {
                        eprintln!("skipped {}: {reason}", path.display());
                    }
                    if !failures.is_empty() {
                        outcome = Outcome::SomeRejected;
                    }
                    (format!("dir:{}", dir.display()), designs)
                }
                (None, Some(account)) => {
                    let designs = account_designs(&lake, &account).await?;
                    (format!("account:{account}"), designs)
                }
                (None, None) => anyhow::bail!("give --from DIR or --account ACCOUNT"),
            };
            let profile = BrandProfile::learn(&name, &source, &designs)?;
            let path = profile.save(&lake).await?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "brand {name}: {} designs from {source} -> {path}",
                profile.designs
            )?;
            let colours: Vec<String> = profile
                .palette
                .iter()
                .take(8)
                .map(|c| format!("{} {:.0}%", c.hex, 100.0 * c.share))
                .collect();
            writeln!(out, "palette      {}", colours.join("  "))?;
            let ratios: Vec<String> = profile
                .aspect_ratios
                .iter()
                .map(|a| format!("{:.2} {:.0}%", a.ratio, 100.0 * a.share))
                .collect();
            writeln!(out, "aspect       {}", ratios.join("  "))?;
            for (feature, spread) in &profile.features {
                writeln!(
                    out,
                    "{feature:<16} median {:.3}  (p10 {:.3}, p90 {:.3})",
                    spread.median, spread.p10, spread.p90
                )?;
            }
            Ok(outcome)
        }
        Action::Check { image, brand, json } => {
            let profile = BrandProfile::load(&lake, &brand).await?;
            let shown = image.display();
            let bytes = std::fs::read(&image).with_context(|| format!("reading {shown}"))?;
            let features = analyze_bytes(&bytes, &DecodeLimits::default())
                .with_context(|| format!("{shown}"))?;
            let check = profile.check(&features);
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string(&check)?)?;
                return Ok(Outcome::Done);
            }
            writeln!(out, "brand {brand}: {:.0} / 100", check.score)?;
            for c in &check.components {
                writeln!(
                    out,
                    "  {:<11} {:>5.1}  (distance {:.2}, tolerance {:.2})",
                    format!("{:?}", c.component).to_lowercase(),
                    c.score,
                    c.distance,
                    c.tolerance
                )?;
            }
            if check.departures.is_empty() {
                writeln!(out, "nothing departs from the brand")?;
            }
            for d in &check.departures {
                writeln!(out, "  - {}", d.detail)?;
            }
            Ok(Outcome::Done)
        }
        Action::List => {
            for name in BrandProfile::list(&lake).await? {
                println!("{name}");
            }
            Ok(Outcome::Done)
        }
    }
}

/// A progress bar over `len` images (hidden with --quiet).
fn progress(quiet: bool, len: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("analysing {bar:30} {pos}/{len} images {elapsed}")
            .expect("a valid template"),
    );
    bar
}
