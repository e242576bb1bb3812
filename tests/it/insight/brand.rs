//! `creativeiq brand` on rendered synthetic designs: a brand learnt from
//! one palette family (analogous blues on a coloured ground) scores its own
//! held-out designs above designs of another family (analogous oranges).

use std::path::Path;

use serde_json::Value;

use creativeiq::synth::{encode_as, BackgroundKind, Design, Ground, ImageFormat, Recipe, Scheme};

use crate::common;

/// Designs whose base hue lies in `hues` (degrees), drawn from seeds
/// `seeds..`: analogous, harmonious, vivid palettes on a coloured ground,
/// so the palette family is what sets them apart.
fn family(hues: std::ops::Range<f64>, seeds: u64, n: usize) -> Vec<Design> {
    let mut out = Vec::new();
    let mut seed = seeds;
    while out.len() < n {
        let mut recipe = Recipe::random(seed, Some((360, 360)));
        recipe.scheme = Scheme::Analogous;
        recipe.harmony = 0.95;
        recipe.vividness = 0.8;
        recipe.ground = Ground::Coloured;
        if recipe.background == BackgroundKind::Texture {
            recipe.background = BackgroundKind::Linear;
        }
        let design = recipe.build(&format!("d{seed}"));
        if hues.contains(&design.palette.base_hue) {
            out.push(design);
        }
        seed += 1;
    }
    out
}

fn write(dir: &Path, designs: &[Design]) -> Vec<std::path::PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    designs
        .iter()
        .map(|d| {
            let path = dir.join(format!("{}.png", d.id));
            std::fs::write(&path, encode_as(d, ImageFormat::Png)).unwrap();
            path
        })
        .collect()
}

fn check(lake: &str, image: &Path) -> Value {
    common::brand_check(lake, image, "blue")
}

#[test]
fn a_brand_scores_its_own_held_out_designs_above_another_palette_family() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let blues = family(200.0..235.0, 1000, 12);
    let oranges = family(15.0..50.0, 5000, 4);
    write(&dir.path().join("portfolio"), &blues[..8]);
    let own = write(&dir.path().join("own"), &blues[8..]);
    let other = write(&dir.path().join("other"), &oranges);

    let portfolio = dir.path().join("portfolio");
    let output = common::run(
        lake,
        &[
            "brand",
            "learn",
            "--name",
            "blue",
            "--from",
            portfolio.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(
        common::stdout(&output).contains("8 designs"),
        "{}",
        common::stdout(&output)
    );
    let profile: Value =
        serde_json::from_slice(&std::fs::read(Path::new(lake).join("brands/blue.json")).unwrap())
            .unwrap();
    assert_eq!(profile["designs"], 8);
    assert!(!profile["palette"].as_array().unwrap().is_empty());

    let own_scores: Vec<f64> = own
        .iter()
        .map(|p| check(lake, p)["score"].as_f64().unwrap())
        .collect();
    let other_checks: Vec<Value> = other.iter().map(|p| check(lake, p)).collect();
    let other_scores: Vec<f64> = other_checks
        .iter()
        .map(|c| c["score"].as_f64().unwrap())
        .collect();
    let lowest_own = own_scores.iter().cloned().fold(f64::INFINITY, f64::min);
    let highest_other = other_scores.iter().cloned().fold(0.0, f64::max);
    assert!(
        lowest_own > highest_other,
        "own {own_scores:?} vs other {other_scores:?}"
    );
    // What departs in the other family is named: its colours, by ΔE00.
    for c in &other_checks {
        let colour = c["departures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["component"] == "colour")
            .unwrap_or_else(|| panic!("no colour departure in {c:#}"));
        assert!(colour["detail"].as_str().unwrap().contains("ΔE00"));
    }

    // An unknown brand is a clear error.
    let output = common::run(
        lake,
        &[
            "brand",
            "check",
            own[0].to_str().unwrap(),
            "--brand",
            "nope",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        common::stderr(&output).contains("no brand \"nope\""),
        "{}",
        common::stderr(&output)
    );
}
