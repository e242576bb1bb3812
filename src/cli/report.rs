//! `creativeiq report`: HTML reports people look at.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use creativeiq::lake::Lake;
use creativeiq::quality::QualityReport;
use creativeiq::report::ModelReport;

use super::{Global, Outcome};

/// Write an HTML report (one self-contained file) and print its summary.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,
}

#[derive(Debug, clap::Subcommand)]
enum Kind {
    /// Data quality: the latest checks and their history, platform
    /// distribution, missing data, metric distributions, A/B results.
    Quality {
        /// Where to write it (default: reports/quality.html in the lake).
        #[arg(long, value_name = "FILE.html")]
        out: Option<PathBuf>,
    },
    /// Models: predicted against actual on the holdout, residuals by
    /// platform, feature importance, cross-validation spread, the champion
    /// history and the A/B pairwise accuracy of a training run.
    Model {
        /// The training run (default: the latest).
        #[arg(long)]
        run: Option<String>,
        /// Where to write it (default: reports/model.html in the lake).
        #[arg(long, value_name = "FILE.html")]
        out: Option<PathBuf>,
    },
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let settings = global.settings(&lake).await?;
    let (name, html, summary, out) = match args.kind {
        Kind::Quality { out } => {
            let (html, summary) = QualityReport::new()
                .with_settings(settings)
                .render(&lake)
                .await?;
            ("quality", html, summary.to_string(), out)
        }
        Kind::Model { run, out } => {
            let (html, summary) = ModelReport::new()
                .with_run(run)
                .with_settings(settings)
                .render(&lake)
                .await?;
            ("model", html, summary.to_string(), out)
        }
    };
    let written = save(&lake, name, html, out).await?;
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{name} report: {written}\n{summary}")?;
    Ok(Outcome::Done)
}

/// Writes the report to `out`, or to `reports/<name>.html` in the lake;
/// returns where.
async fn save(lake: &Lake, name: &str, html: String, out: Option<PathBuf>) -> Result<String> {
    Ok(match out {
        Some(path) => {
            std::fs::write(&path, html).with_context(|| format!("writing {}", path.display()))?;
            path.display().to_string()
        }
        None => {
            let relative = format!("reports/{name}.html");
            lake.put(&relative, html.into_bytes().into()).await?;
            format!(
                "{}/{relative}",
                lake.location().to_string().trim_end_matches('/')
            )
        }
    })
}
