//! `creativeiq report`: HTML reports people look at.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use creativeiq::quality::QualityReport;

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
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let settings = global.settings(&lake).await?;
    match args.kind {
        Kind::Quality { out } => {
            let (html, summary) = QualityReport::new()
                .with_settings(settings)
                .render(&lake)
                .await?;
            let written = match out {
                Some(path) => {
                    std::fs::write(&path, html)
                        .with_context(|| format!("writing {}", path.display()))?;
                    path.display().to_string()
                }
                None => {
                    let relative = "reports/quality.html";
                    lake.put(relative, html.into_bytes().into()).await?;
                    format!(
                        "{}/{relative}",
                        lake.location().to_string().trim_end_matches('/')
                    )
                }
            };
            let mut out = std::io::stdout().lock();
            write!(out, "quality report: {written}\n{summary}")?;
        }
    }
    Ok(Outcome::Done)
}
