//! The synthetic world: `creativeiq synth` output, determinism, the
//! ground-truth function's documented responses, the ceiling recomputed
//! independently, recoverability from pixels, and the simulator serving it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, TimeZone, Utc};
use creativeiq::collect::Platform;
use creativeiq::features::{analyze_bytes, DecodeLimits};
use creativeiq::synth::{
    self, Context, GroundTruth, Layout, PlatformTable, Recipe, Shift, SynthConfig, TextRole,
};
use serde_json::Value;

use crate::common::{run, stderr, stdout};

/// Runs `creativeiq synth` into `dir`.
fn synth_into(dir: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "synth",
        "--quiet",
        "--out",
        dir.to_str().expect("utf-8 path"),
    ];
    all.extend_from_slice(args);
    let output = run(dir.join("unused-lake").to_str().unwrap(), &all);
    assert!(output.status.success(), "synth failed: {}", stderr(&output));
    stdout(&output)
}

/// Every file under `dir`, relative path to bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn ndjson(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("readable")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn synth_writes_designs_with_ground_truth_and_the_same_seed_writes_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let args = ["--designs", "6", "--seed", "7", "--experiments", "1"];
    let printed = synth_into(&a, &args);
    assert!(printed.contains("ceiling"), "{printed}");
    synth_into(&b, &args);
    synth_into(&c, &["--designs", "6", "--seed", "8", "--experiments", "1"]);
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(
            bytes == &fb[path],
            "{} differs between two runs of seed 7",
            path.display()
        );
    }
    assert_ne!(
        fa[Path::new("images/d000000.json")],
        fc[Path::new("images/d000000.json")]
    );

    // 6 posted designs and 2 A/B variants, each an image of a native size
    // with its ground truth beside it.
    let truths: Vec<&PathBuf> = fa
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.starts_with("images"))
        .collect();
    assert_eq!(truths.len(), 8);
    for path in truths {
        let truth: Value = serde_json::from_slice(&fa[path]).unwrap();
        let (w, h) = (
            truth["width"].as_u64().unwrap() as u32,
            truth["height"].as_u64().unwrap() as u32,
        );
        assert!(synth::SIZES.contains(&(w, h)), "{w}x{h}");
        let ext = if truth["format"] == "png" {
            "png"
        } else {
            "jpg"
        };
        let image_path = path.with_extension(ext);
        let img = image::load_from_memory(&fa[&image_path]).expect("the image decodes");
        assert_eq!(
            (img.width(), img.height()),
            (w, h),
            "{}",
            image_path.display()
        );
        for line in truth["text"].as_array().unwrap() {
            let b: Vec<u64> = line["ink_box"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert!(
                b[0] < b[2] && b[1] < b[3] && b[2] <= u64::from(w) && b[3] <= u64::from(h),
                "{line}"
            );
            assert!(line["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
        if let Some(focal) = truth["focal"].as_object() {
            let c = focal["centre"].as_array().unwrap();
            assert!(
                c[0].as_f64().unwrap() <= f64::from(w) && c[1].as_f64().unwrap() <= f64::from(h)
            );
        }
        assert!(truth["properties"]["colorfulness"].as_f64().is_some());
    }
}

#[test]
fn the_exports_import_into_the_lake_with_nothing_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("world");
    synth_into(
        &out,
        &["--designs", "5", "--seed", "3", "--experiments", "2"],
    );
    let posts = ndjson(&out.join("export/posts.ndjson")).len();
    let lake = tmp.path().join("lake");
    let lake = lake.to_str().unwrap();
    let output = run(lake, &["import", out.join("export").to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        crate::common::count(lake, "SELECT count(*) AS n FROM raw.posts"),
        posts as i64
    );
    assert_eq!(
        crate::common::count(lake, "SELECT count(*) AS n FROM raw.ab_tests"),
        4
    );
    assert_eq!(
        crate::common::count(lake, "SELECT count(*) AS n FROM raw.rejects"),
        0
    );
    // Impressions are there for every platform, so the label's denominator is.
    assert_eq!(
        crate::common::count(
            lake,
            "SELECT count(*) AS n FROM raw.posts WHERE impressions IS NULL"
        ),
        0
    );
}

/// `100 * PERCENT_RANK()` within (platform, year, month), written out
/// independently of the crate's implementation.
fn direct_percentiles(keys: &[(String, i32, u32)], values: &[f64]) -> Vec<f64> {
    (0..values.len())
        .map(|i| {
            let peers: Vec<usize> = (0..values.len()).filter(|&j| keys[j] == keys[i]).collect();
            let below = peers.iter().filter(|&&j| values[j] < values[i]).count();
            if peers.len() > 1 {
                100.0 * below as f64 / (peers.len() - 1) as f64
            } else {
                0.0
            }
        })
        .collect()
}

fn direct_pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn direct_ranks(v: &[f64]) -> Vec<f64> {
    v.iter()
        .map(|x| {
            let less = v.iter().filter(|y| *y < x).count() as f64;
            let equal = v.iter().filter(|y| *y == x).count() as f64;
            less + (equal + 1.0) / 2.0
        })
        .collect()
}

#[test]
fn the_reported_ceiling_matches_a_direct_computation_from_the_written_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("world");
    synth_into(
        &out,
        &[
            "--designs",
            "14",
            "--seed",
            "11",
            "--experiments",
            "1",
            "--days",
            "40",
        ],
    );
    let exported = ndjson(&out.join("export/posts.ndjson"));
    let truth = ndjson(&out.join("truth/posts.ndjson"));
    assert_eq!(exported.len(), truth.len());
    let mut keys = Vec::new();
    let (mut observed, mut expected) = (Vec::new(), Vec::new());
    for (e, t) in exported.iter().zip(&truth) {
        assert_eq!(e["id"], t["id"]);
        let m = &e["engagement_metrics"];
        let interactions: u64 = ["likes", "comments", "shares", "saves", "clicks"]
            .iter()
            .filter_map(|k| m[k].as_u64())
            .sum();
        observed.push(interactions as f64 / m["impressions"].as_u64().unwrap() as f64);
        expected.push(t["expected_rate"].as_f64().unwrap());
        let at = chrono::DateTime::parse_from_rfc3339(e["posting_time"].as_str().unwrap()).unwrap();
        keys.push((
            e["platform"].as_str().unwrap().to_string(),
            at.year(),
            at.month(),
        ));
    }
    // Every post's design is in designs.ndjson, with the properties its
    // image's own truth file gives.
    let designs: std::collections::HashMap<String, Value> =
        ndjson(&out.join("truth/designs.ndjson"))
            .into_iter()
            .map(|d| (d["id"].as_str().unwrap().to_string(), d))
            .collect();
    for t in &truth {
        let id = t["design"].as_str().unwrap();
        let image: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("images/{id}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(designs[id]["properties"], image["properties"], "{id}");
        assert_eq!(designs[id]["palette"], image["palette"], "{id}");
    }
    let label = direct_percentiles(&keys, &observed);
    let clean = direct_percentiles(&keys, &expected);
    for (i, t) in truth.iter().enumerate() {
        assert!(
            (t["performance_score"].as_f64().unwrap() - label[i]).abs() < 1e-9,
            "{t}"
        );
        assert!(
            (t["noise_free_score"].as_f64().unwrap() - clean[i]).abs() < 1e-9,
            "{t}"
        );
    }
    let ceiling: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth/ceiling.json")).unwrap())
            .unwrap();
    let r = direct_pearson(&label, &clean);
    let spearman = direct_pearson(&direct_ranks(&label), &direct_ranks(&clean));
    let mean = label.iter().sum::<f64>() / label.len() as f64;
    let r2_raw = 1.0
        - label
            .iter()
            .zip(&clean)
            .map(|(l, c)| (l - c).powi(2))
            .sum::<f64>()
            / label.iter().map(|l| (l - mean).powi(2)).sum::<f64>();
    let all = &ceiling["all"];
    assert_eq!(all["posts"].as_u64().unwrap() as usize, label.len());
    assert!(
        (all["r2"].as_f64().unwrap() - r * r).abs() < 1e-9,
        "{all} vs {}",
        r * r
    );
    assert!(
        (all["spearman"].as_f64().unwrap() - spearman).abs() < 1e-9,
        "{all} vs {spearman}"
    );
    assert!(
        (all["r2_uncalibrated"].as_f64().unwrap() - r2_raw).abs() < 1e-9,
        "{all} vs {r2_raw}"
    );
}

#[test]
fn a_default_sized_world_has_a_ceiling_well_above_zero_and_below_one() {
    let world = synth::generate(&SynthConfig::default().with_posts(700).with_experiments(0));
    let c = &world.ceiling.all;
    assert_eq!(c.posts, 700);
    assert!(c.r2 > 0.3 && c.r2 < 0.95, "{c:?}");
    assert!(c.spearman > 0.55 && c.spearman < 0.98, "{c:?}");
    assert!(c.r2 >= c.r2_uncalibrated);
    // The noise is what keeps the ceiling below 1: without it, only the
    // binomial draw of the counts remains.
    let quiet = GroundTruth {
        noise_sigma: 0.0,
        ..GroundTruth::default()
    };
    let clean = synth::generate(
        &SynthConfig::default()
            .with_posts(700)
            .with_experiments(0)
            .with_truth(quiet),
    );
    assert!(
        clean.ceiling.all.r2 > c.r2 + 0.1,
        "{:?} vs {c:?}",
        clean.ceiling.all
    );
}

fn context(platform: Platform) -> Context {
    Context {
        platform,
        published_at: Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap(),
        audience: 20_000,
        paid: false,
        hashtags: 3,
    }
}

/// A recipe with text and a focal object.
fn recipe(seed: u64, size: (u32, u32)) -> Recipe {
    let mut r = Recipe::random(seed, Some(size));
    r.layout = Layout::SideBySide;
    r.text_scale = 1.0;
    r
}

#[test]
fn raising_text_contrast_raises_expected_engagement_on_linkedin_most() {
    let truth = GroundTruth::default();
    for seed in 0..4 {
        let mut low = recipe(seed, (1200, 627));
        // On a light, flat ground both contrasts are reachable.
        low.ground = synth::Ground::Light;
        low.background = synth::BackgroundKind::Flat;
        low.text_contrast = 1.8;
        let mut high = low.clone();
        high.text_contrast = 9.0;
        let (dl, dh) = (low.build("low"), high.build("high"));
        assert!(dh.properties.text_contrast > dl.properties.text_contrast + 4.0);
        assert!(dh.properties.readability > dl.properties.readability);
        let gain = |p: Platform| {
            truth.expected(&dh.properties, &context(p)).rate
                / truth.expected(&dl.properties, &context(p)).rate
        };
        assert!(
            gain(Platform::Linkedin) > 1.3,
            "seed {seed}: {}",
            gain(Platform::Linkedin)
        );
        assert!(
            gain(Platform::Linkedin) > gain(Platform::Instagram),
            "seed {seed}"
        );
        assert!(
            gain(Platform::Linkedin) > gain(Platform::Tiktok),
            "seed {seed}"
        );
    }
}

#[test]
fn a_vertical_design_beats_the_same_design_in_landscape_on_tiktok_and_not_on_linkedin() {
    let truth = GroundTruth::default();
    for seed in 0..4 {
        let mut r = recipe(seed, (1080, 1920));
        r.layout = Layout::Poster;
        let vertical = r.build("v");
        let mut wide = r.clone();
        (wide.width, wide.height) = (1200, 627);
        let wide = wide.build("w");
        let rate = |d: &synth::Design, p| truth.expected(&d.properties, &context(p)).rate;
        assert!(
            rate(&vertical, Platform::Tiktok) > 1.5 * rate(&wide, Platform::Tiktok),
            "seed {seed}"
        );
        assert!(
            rate(&wide, Platform::Linkedin) > rate(&vertical, Platform::Linkedin),
            "seed {seed}"
        );
        // The same properties but the aspect ratio: the aspect term alone.
        let mut same = vertical.properties.clone();
        same.aspect_ratio = 1200.0 / 627.0;
        let ratio = rate(&vertical, Platform::Tiktok)
            / truth.expected(&same, &context(Platform::Tiktok)).rate;
        let fit = (1200.0f64 / 627.0 / (9.0 / 16.0)).ln().abs();
        let documented = (0.9 * (1.0 - (-fit / 0.25).exp())).exp();
        assert!((ratio - documented).abs() < 1e-9, "{ratio} vs {documented}");
    }
}

#[test]
fn colour_counts_on_instagram_and_barely_on_linkedin() {
    let truth = GroundTruth::default();
    let mut muted = recipe(21, (1080, 1080));
    muted.vividness = 0.02;
    muted.ground = synth::Ground::Coloured;
    let mut vivid = muted.clone();
    vivid.vividness = 1.0;
    let (m, v) = (muted.build("m"), vivid.build("v"));
    assert!(
        v.properties.colorfulness > m.properties.colorfulness + 30.0,
        "{} {}",
        v.properties.colorfulness,
        m.properties.colorfulness
    );
    let gain = |p| {
        truth.expected(&v.properties, &context(p)).rate
            / truth.expected(&m.properties, &context(p)).rate
    };
    assert!(
        gain(Platform::Instagram) > 1.2,
        "{}",
        gain(Platform::Instagram)
    );
    assert!(gain(Platform::Instagram) > gain(Platform::Linkedin) * 1.15);
}

#[test]
fn context_terms_respond_as_documented() {
    let truth = GroundTruth::default();
    let design = recipe(5, (1080, 1080)).build("x");
    let rate = |c: Context| truth.expected(&design.properties, &c).rate;
    let mut weekend = context(Platform::Linkedin);
    weekend.published_at = Utc.with_ymd_and_hms(2026, 3, 7, 12, 0, 0).unwrap();
    assert!(rate(weekend) < rate(context(Platform::Linkedin)) * 0.7);
    let mut peak = context(Platform::Linkedin);
    peak.published_at = Utc.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap();
    let mut night = context(Platform::Linkedin);
    night.published_at = Utc.with_ymd_and_hms(2026, 3, 4, 21, 0, 0).unwrap();
    assert!(rate(peak) > rate(night));
    let mut big = context(Platform::Instagram);
    big.audience = 2_000_000;
    assert!(rate(big) < rate(context(Platform::Instagram)));
    let mut paid = context(Platform::Facebook);
    paid.paid = true;
    assert!(rate(paid) != rate(context(Platform::Facebook)));
}

#[test]
fn a_shift_changes_what_engages_from_its_date_on() {
    let at = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let truth = GroundTruth {
        shift: Some(Shift {
            at,
            weights: PlatformTable::shifted(),
        }),
        ..GroundTruth::default()
    };
    let mut muted = recipe(9, (1200, 627));
    muted.vividness = 0.02;
    let mut vivid = muted.clone();
    vivid.vividness = 1.0;
    let (m, v) = (muted.build("m"), vivid.build("v"));
    let gain = |day: u32| {
        let mut c = context(Platform::Linkedin);
        c.published_at = Utc
            .with_ymd_and_hms(2026, if day > 0 { 4 } else { 3 }, day.max(20), 12, 0, 0)
            .unwrap();
        truth.expected(&v.properties, &c).rate / truth.expected(&m.properties, &c).rate
    };
    assert!(
        gain(21) > gain(0) * 1.2,
        "after {} before {}",
        gain(21),
        gain(0)
    );
}

#[test]
fn ab_tests_favour_the_variant_with_the_higher_design_term() {
    let world = synth::generate(&SynthConfig::default().with_designs(0).with_experiments(12));
    assert_eq!(world.experiments.len(), 12);
    assert_eq!(world.designs.len(), 24);
    for e in &world.experiments {
        let [a, b] = &e.arms;
        assert!(
            (a.true_conversion_rate > b.true_conversion_rate) == (a.design_term > b.design_term)
                || a.design_term == b.design_term
        );
        assert!(a.conversions <= a.visitors && b.clicks <= b.visitors);
        assert!((0.0..=1.0).contains(&e.significance));
        assert!(
            world.designs.iter().any(|d| d.id == a.design)
                && world.designs.iter().any(|d| d.id == b.design)
        );
    }
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    direct_pearson(&direct_ranks(a), &direct_ranks(b))
}

#[test]
fn the_scored_properties_are_recovered_from_the_pixels() {
    // Fixed seeds, so the check is deterministic; the thresholds leave room
    // for what the extractor legitimately misses (text too faint to see,
    // thin strokes whose anti-aliasing lowers their measured contrast).
    let designs: Vec<synth::Design> = (0..12u64)
        .map(|seed| {
            let mut r = Recipe::random(100 + seed, Some((1200, 630)));
            r.text_scale = 1.3;
            r.layout = if seed % 2 == 0 {
                Layout::SideBySide
            } else {
                Layout::TextHeavy
            };
            r.text_contrast = [1.3, 2.0, 3.0, 5.0, 9.0, 15.0][seed as usize % 6];
            r.vividness = seed as f64 / 11.0;
            r.complexity = (seed * 7 % 12) as f64 / 11.0;
            r.build(&format!("r{seed}"))
        })
        .collect();
    let features: Vec<_> = designs
        .iter()
        .map(|d| {
            analyze_bytes(
                &synth::encode_as(d, synth::ImageFormat::Png),
                &DecodeLimits::default(),
            )
            .expect("decodes")
        })
        .collect();
    let pick = |f: &dyn Fn(usize) -> (f64, f64)| -> (Vec<f64>, Vec<f64>) {
        (0..designs.len()).map(f).unzip()
    };
    let (truth, seen) = pick(&|i| (designs[i].properties.colorfulness, features[i].colorfulness));
    assert!(
        spearman(&truth, &seen) > 0.95,
        "colorfulness {truth:?} {seen:?}"
    );
    let (truth, seen) = pick(&|i| {
        (
            designs[i].properties.text_coverage,
            features[i].text_coverage,
        )
    });
    assert!(
        spearman(&truth, &seen) > 0.6,
        "text coverage {truth:?} {seen:?}"
    );
    let (truth, seen) = pick(&|i| {
        (
            designs[i].properties.text_contrast,
            features[i].text_contrast,
        )
    });
    assert!(
        spearman(&truth, &seen) > 0.5,
        "text contrast {truth:?} {seen:?}"
    );
    let (truth, seen) = pick(&|i| (designs[i].properties.readability, features[i].readability));
    assert!(
        spearman(&truth, &seen) > 0.5,
        "readability {truth:?} {seen:?}"
    );
    let (truth, seen) = pick(&|i| (designs[i].properties.complexity, features[i].edge_density));
    assert!(
        spearman(&truth, &seen) > 0.5,
        "complexity {truth:?} {seen:?}"
    );
    for (d, f) in designs.iter().zip(&features) {
        assert!((d.properties.aspect_ratio - f.aspect_ratio).abs() < 1e-12);
        let legible = d
            .text
            .iter()
            .filter(|l| l.role != TextRole::Cta)
            .all(|l| l.contrast > 4.0);
        if legible {
            assert!(
                f.text_lines > 0 && f.text_coverage > 0.3 * d.properties.text_coverage,
                "{}: {f:?} vs {:?}",
                d.id,
                d.properties
            );
        }
    }
}

#[tokio::test]
async fn the_simulator_serves_the_synthetic_world() {
    use creativeiq::sim::{Faults, Sim, World, WorldConfig};
    let config = WorldConfig {
        posts: 30,
        experiments: 2,
        ..WorldConfig::default()
    };
    let world = World::generate(&config);
    assert_eq!(world.posts.len(), 30);
    assert_eq!(world.experiments.len(), 2);
    let again = World::generate(&config);
    for (a, b) in world.posts.iter().zip(&again.posts) {
        assert_eq!(
            (&a.id, a.likes, a.impressions, &a.image),
            (&b.id, b.likes, b.impressions, &b.image)
        );
    }
    for post in &world.posts {
        let image = post.image.as_deref().expect("every post shows a design");
        assert!(world.images.contains_key(image));
        assert!(world.account(post.platform, &post.account).is_some());
    }
    let first = world.posts[0].image.clone().unwrap();
    let spec = world.images[&first].clone();
    let (listener, addr) = creativeiq::sim::bind(0).await.unwrap();
    let base = format!("http://{addr}");
    let sim = std::sync::Arc::new(Sim::new(world, Faults::default(), &base, 1));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(creativeiq::sim::serve(listener, sim, async move {
        let _ = stopped.await;
    }));
    let bytes = reqwest::get(format!("{base}/images/{first}.png"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let served =
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).expect("a PNG");
    assert_eq!((served.width(), served.height()), (spec.width, spec.height));
    let again = reqwest::get(format!("{base}/images/{first}.png"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, again);
    assert_eq!(
        bytes.as_ref(),
        synth::encode_as(&spec.design, synth::ImageFormat::Png).as_slice()
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
