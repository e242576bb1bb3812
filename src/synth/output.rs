//! Writing a world to a directory: the images and their ground truth, the
//! posts and A/B tests in the seed's export formats (so `creativeiq
//! import DIR/export` lands them), and the truth behind every number.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::render::encode;
use super::world::{reported, Interaction, SynthExperiment, SynthPost, SynthWorld};
use crate::collect::Platform;

/// A failure writing the world.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file or directory could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct WriteReport {
    /// Images written.
    pub images: usize,
    /// Their total size in bytes.
    pub image_bytes: u64,
    /// Posts written.
    pub posts: usize,
    /// A/B tests written.
    pub experiments: usize,
    /// Seconds spent rendering and writing.
    pub seconds: f64,
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    std::fs::write(path, bytes).map_err(|source| SynthError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn make_dir(path: &Path) -> Result<(), SynthError> {
    std::fs::create_dir_all(path).map_err(|source| SynthError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn json_line<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string(value).expect("plain data serialises");
    s.push('\n');
    s
}

fn pretty<T: Serialize>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).expect("plain data serialises");
    v.push(b'\n');
    v
}

/// The path an image is written to, relative to the output directory
/// (also the `image_url` of the exports).
pub fn image_path(file_name: &str) -> String {
    format!("images/{file_name}")
}

/// Writes `world` under `dir`:
///
/// ```text
/// images/<design>.png|jpg      the rendered designs
/// images/<design>.json         each design's ground truth: recipe, text lines with ink boxes, focal point, properties
/// export/posts.ndjson          posts in the seed's post format (creativeiq import lands them)
/// export/ab_tests.json         A/B tests in the seed's format
/// truth/posts.ndjson           per post: design, expected rate, design and context terms, label, noise-free score
/// truth/designs.ndjson         per design: layout, palette recipe and measured properties (the design term's inputs)
/// truth/ab_tests.ndjson        per test: what changed, each arm's true rates
/// truth/accounts.ndjson        accounts and their followers
/// truth/ground_truth.json      the weights, noise and shift used
/// truth/ceiling.json           the ceiling, overall and per platform
/// ```
///
/// Every byte depends on the world alone, so the same seed writes the same
/// files. `progress` advances once per image.
pub fn write(
    world: &SynthWorld,
    dir: &Path,
    progress: &ProgressBar,
) -> Result<WriteReport, SynthError> {
    let started = Instant::now();
    let (images, export, truth) = (dir.join("images"), dir.join("export"), dir.join("truth"));
    for d in [&images, &export, &truth] {
        make_dir(d)?;
    }
    let names: std::collections::BTreeMap<&str, String> = world
        .designs
        .iter()
        .map(|d| (d.id.as_str(), image_path(&d.file_name())))
        .collect();
    let image_bytes = world
        .designs
        .par_iter()
        .map(|d| {
            let bytes = encode(d);
            write_file(&images.join(d.file_name()), &bytes)?;
            write_file(&images.join(format!("{}.json", d.id)), &pretty(d))?;
            progress.inc(1);
            Ok(bytes.len() as u64)
        })
        .collect::<Result<Vec<u64>, SynthError>>()?
        .into_iter()
        .sum();
    let posts: String = world
        .posts
        .iter()
        .map(|p| json_line(&seed_post(p, &names[p.design.as_str()])))
        .collect();
    write_file(&export.join("posts.ndjson"), posts.as_bytes())?;
    let tests: Vec<Value> = world
        .experiments
        .iter()
        .map(|e| seed_ab_test(e, &names))
        .collect();
    write_file(&export.join("ab_tests.json"), &pretty(&tests))?;
    write_truth(world, &truth)?;
    Ok(WriteReport {
        images: world.designs.len(),
        image_bytes,
        posts: world.posts.len(),
        experiments: world.experiments.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes the truth of `world` into `dir` (the `truth/` folder of
/// [`write`]): posts.ndjson, designs.ndjson, ab_tests.ndjson,
/// accounts.ndjson, ground_truth.json and ceiling.json. The simulator writes the same files
/// for the world it serves (`sim serve --truth-dir`).
pub fn write_truth(world: &SynthWorld, dir: &Path) -> Result<(), SynthError> {
    write_truth_as(world, dir, |p| p.id.clone())
}

/// [`write_truth`], with each post's `id` in posts.ndjson given by
/// `post_id` (the id a platform serves it under; `synth_id` keeps the
/// generator's).
pub fn write_truth_as(
    world: &SynthWorld,
    dir: &Path,
    post_id: impl Fn(&SynthPost) -> String,
) -> Result<(), SynthError> {
    make_dir(dir)?;
    let posts: String = world
        .posts
        .iter()
        .map(|p| {
            let mut value = serde_json::to_value(p).expect("plain data serialises");
            value["synth_id"] = Value::String(p.id.clone());
            value["id"] = Value::String(post_id(p));
            json_line(&value)
        })
        .collect();
    write_file(&dir.join("posts.ndjson"), posts.as_bytes())?;
    // A design's properties are what its design term is computed from: a
    // model's holdout error can be traced to the property it misreads.
    let designs: String = world
        .designs
        .iter()
        .map(|d| {
            json_line(&serde_json::json!({
                "id": d.id,
                "layout": d.layout,
                "palette": d.palette,
                "properties": d.properties,
            }))
        })
        .collect();
    write_file(&dir.join("designs.ndjson"), designs.as_bytes())?;
    let tests: String = world.experiments.iter().map(json_line).collect();
    write_file(&dir.join("ab_tests.ndjson"), tests.as_bytes())?;
    let accounts: String = world.accounts.iter().map(json_line).collect();
    write_file(&dir.join("accounts.ndjson"), accounts.as_bytes())?;
    write_file(&dir.join("ground_truth.json"), &pretty(&world.config.truth))?;
    write_file(&dir.join("ceiling.json"), &pretty(&world.ceiling))?;
    Ok(())
}

/// Whether a platform reports views (and counts them as impressions).
fn reports_views(platform: Platform) -> bool {
    matches!(
        platform,
        Platform::Tiktok | Platform::Dribbble | Platform::Behance
    )
}

/// Whether a platform reports reach.
fn reports_reach(platform: Platform) -> bool {
    matches!(
        platform,
        Platform::Instagram | Platform::Facebook | Platform::Linkedin
    )
}

/// A post in the seed's format, with only the metrics its platform reports.
fn seed_post(p: &SynthPost, image_url: &str) -> Value {
    let m = &p.metrics;
    let mut metrics = Map::new();
    for (kind, _) in reported(p.platform) {
        let (name, value) = match kind {
            Interaction::Likes => ("likes", m.likes),
            Interaction::Comments => ("comments", m.comments),
            Interaction::Shares => ("shares", m.shares),
            Interaction::Saves => ("saves", m.saves),
            Interaction::Clicks => ("clicks", m.clicks),
        };
        metrics.insert(name.into(), json!(value));
    }
    if reports_reach(p.platform) {
        metrics.insert("reach".into(), json!(m.reach));
    }
    if reports_views(p.platform) {
        metrics.insert("views".into(), json!(m.views));
    }
    metrics.insert("impressions".into(), json!(m.impressions));
    json!({
        "id": p.id,
        "platform": p.platform.name(),
        "account_id": p.account,
        "media_type": "image",
        "image_url": image_url,
        "posting_time": p.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "engagement_metrics": metrics,
        "audience_size": p.audience,
        "paid": p.paid,
        "caption": p.caption,
        "hashtag_count": p.hashtags,
    })
}

/// An A/B test in the seed's format.
fn seed_ab_test(e: &SynthExperiment, names: &std::collections::BTreeMap<&str, String>) -> Value {
    let arm = |i: usize| {
        let a = &e.arms[i];
        let n = a.visitors.max(1) as f64;
        json!({
            "image_path": names[a.design.as_str()],
            "impressions": a.visitors,
            "conversions": a.conversions,
            "clicks": a.clicks,
            "conversion_rate": a.conversions as f64 / n,
            "click_through_rate": a.clicks as f64 / n,
        })
    };
    json!({
        "test_id": format!("ab_{}", e.id),
        "platform": e.platform.name(),
        "started_at": e.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "variant_a": arm(0),
        "variant_b": arm(1),
        "statistical_significance": e.significance,
    })
}
