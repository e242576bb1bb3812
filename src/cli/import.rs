//! `creativeiq import`: land the exports a team already has.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use creativeiq::import::{expand_inputs, is_image, Import};

use super::{Global, Outcome};

/// Land JSON or CSV exports in the lake; bad records go to raw/rejects with their reason.
///
/// JSON records are recognised by their keys (engagement_metrics: a post,
/// expert_scores: an annotation, variant_a/variant_b: an A/B test).
/// Exit status: 0 all landed, 1 some records rejected, 2 the import failed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files (.json, .ndjson, .jsonl, .csv; images: .png, .jpg, .webp, .gif) or directories of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The platform of post records that do not name one (instagram, linkedin, ...).
    #[arg(long)]
    platform: Option<String>,
    /// Read every record as this built-in payload (see `creativeiq schema --payloads`).
    #[arg(long)]
    payload: Option<String>,
    /// Column mapping for CSV inputs (see schemas/mappings/).
    #[arg(long)]
    mapping: Option<PathBuf>,
}

pub async fn run(global: &Global, args: Args) -> Result<Outcome> {
    let lake = global.open_lake().await?;
    let mut import = Import::new();
    if global.quiet {
        import = import.with_progress(false);
    }
    if let Some(platform) = &args.platform {
        import = import.with_platform(platform);
    }
    if let Some(payload) = &args.payload {
        import = import.with_payload(payload)?;
    }
    if let Some(mapping) = &args.mapping {
        import = import.with_mapping(mapping)?;
    }
    let files = expand_inputs(&args.inputs)?;
    let (images, records): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| is_image(f));
    let mut reports = Vec::new();
    for file in &records {
        reports.push(import.run(&lake, file).await?);
    }
    if !images.is_empty() {
        reports.push(import.run_images(&lake, &images).await?);
    }
    let mut out = std::io::stdout().lock();
    let row = |out: &mut dyn Write, input: &str, read, landed, rejected| {
        writeln!(out, "{input:<40} {read:>10} {landed:>10} {rejected:>10}")
    };
    writeln!(
        out,
        "{:<40} {:>10} {:>10} {:>10}",
        "input", "read", "landed", "rejected"
    )?;
    let (mut read, mut landed, mut rejected) = (0, 0, 0);
    for r in &reports {
        row(&mut out, &r.input, r.read, r.landed, r.rejected)?;
        read += r.read;
        landed += r.landed;
        rejected += r.rejected;
    }
    if reports.len() > 1 {
        row(&mut out, "total", read, landed, rejected)?;
    }
    if rejected > 0 {
        writeln!(
            out,
            "rejected records are in raw.rejects with their reason: creativeiq sql \"SELECT input, record, reason FROM raw.rejects\""
        )?;
        return Ok(Outcome::SomeRejected);
    }
    Ok(Outcome::Done)
}
