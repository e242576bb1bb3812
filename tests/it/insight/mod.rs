//! The insight stage: brand consistency on rendered synthetic designs,
//! trends and competitive analysis on lakes of posts and feature rows
//! written through the lake's contracts.

mod brand;
mod compare;
mod trends;

use serde_json::{json, Value};

use crate::quality::world::{image, post, sha};

/// A `features.design` row: `overrides` (feature name -> value) on a
/// plain, mid-grey square design.
pub fn feature_row(sha256: &str, overrides: &[(&str, f64)]) -> Value {
    let mut row = json!({
        "version": creativeiq::features::EXTRACTOR_VERSION,
        "dt": "2024-01-01",
        "image_sha256": sha256,
        "error": null,
        "width": 1080, "height": 1080, "aspect_ratio": 1.0,
        "brightness": 0.5, "contrast_rms": 0.2, "grey_entropy": 6.0,
        "saturation_mean": 0.4, "saturation_std": 0.1, "colorfulness": 20.0,
        "lab_l_mean": 50.0, "lab_a_mean": 0.0, "lab_b_mean": 0.0, "lab_l_std": 10.0,
        "edge_density": 0.05,
        "palette": [{"hex": "#808080", "share": 0.7}, {"hex": "#f0f0f0", "share": 0.3}],
        "hue_count": 3, "color_harmony": 60.0, "palette_contrast": 3.0, "wcag_aa": 0,
        "rule_of_thirds": 0.6, "balance_lr": 0.9, "balance_tb": 0.9, "symmetry_lr": 0.7,
        "whitespace": 0.3, "grid_alignment": 0.3, "focal_points": 2, "subject_thirds": 0.5,
        "text_coverage": 0.0, "text_lines": 0, "text_contrast": 1.0, "text_hierarchy": 1.0,
        "readability": 0.0, "scheme_fit": 95.0, "thumbnail_edges": 0.05,
        "extracted_at": "2024-05-01T00:00:00Z",
    });
    // Set apart: one more entry in the literal above overflows json!'s
    // recursion limit.
    for (name, arc) in [
        ("hue_arc_small", 30.0),
        ("hue_arc_mid", 150.0),
        ("hue_arc_large", 180.0),
    ] {
        row[name] = json!(arc);
    }
    for (name, value) in overrides {
        let integer = [
            "width",
            "height",
            "hue_count",
            "wcag_aa",
            "focal_points",
            "text_lines",
        ];
        row[*name] = if integer.contains(name) {
            json!(*value as i64)
        } else {
            json!(value)
        };
    }
    row
}

/// A valid post of `platform` by `account` published on `day` at noon,
/// with `interactions` likes over 10 000 impressions and image `label`.
pub fn post_row(
    platform: &str,
    account: &str,
    post_id: &str,
    day: chrono::NaiveDate,
    interactions: i64,
    label: &str,
) -> (Value, Value) {
    let mut p = post(platform, 0);
    let sha256 = sha(label);
    let url = format!("https://cdn.example.com/{label}.png");
    p["dt"] = json!(day.to_string());
    p["post_id"] = json!(post_id);
    p["account_id"] = json!(account);
    p["published_at"] = json!(format!("{day}T12:00:00Z"));
    p["collected_at"] = json!("2024-12-31T00:00:00Z");
    p["likes"] = json!(interactions);
    p["comments"] = json!(0);
    p["shares"] = json!(0);
    p["saves"] = json!(0);
    p["clicks"] = Value::Null;
    p["reach"] = json!(9000);
    p["impressions"] = json!(10_000);
    p["image_url"] = json!(url);
    p["image_sha256"] = json!(sha256);
    p["source_record"] = json!(post_id.len());
    (p, image(&sha256, &url))
}
