//! `creativeiq analyze`: every feature of one image file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use creativeiq::collect::Platform;
use creativeiq::features::{analyze_bytes, platform_aspect_fit, DecodeLimits};

use super::Outcome;

/// Print every feature of one image file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A PNG, JPEG, WebP or GIF file.
    image: PathBuf,
    /// Add the platform's context features (platform_aspect_fit).
    #[arg(long, value_enum)]
    platform: Option<Platform>,
    /// One JSON object, with the names of FEATURES.md.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<Outcome> {
    let shown_path = args.image.display();
    let bytes = std::fs::read(&args.image).with_context(|| format!("reading {shown_path}"))?;
    let features =
        analyze_bytes(&bytes, &DecodeLimits::default()).with_context(|| format!("{shown_path}"))?;
    let mut value = serde_json::to_value(&features)?;
    if let Some(platform) = args.platform {
        value["platform"] = json!(platform.name());
        value["platform_aspect_fit"] =
            json!(platform_aspect_fit(features.aspect_ratio, platform.name()));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{value}")?;
    } else if let Value::Object(map) = &value {
        for (name, v) in map {
            writeln!(out, "{name:<20} {}", shown(v))?;
        }
    }
    Ok(Outcome::Done)
}

/// A feature's value as a person reads it: palettes as `#hex share%`.
fn shown(value: &Value) -> String {
    match value {
        Value::Array(colours) => colours
            .iter()
            .map(|c| {
                format!(
                    "{} {:.0}%",
                    c["hex"].as_str().unwrap_or("?"),
                    c["share"].as_f64().unwrap_or(0.0) * 100.0
                )
            })
            .collect::<Vec<_>>()
            .join("  "),
        Value::Number(n) if n.is_f64() => format!("{:.4}", n.as_f64().unwrap_or(0.0)),
        other => other.to_string(),
    }
}
