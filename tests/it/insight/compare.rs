//! `creativeiq compare` against competitors' posts planted in a lake: the
//! percentiles it reports are the ones a direct SQL query over the lake
//! gives, and a competitor post with the very same design is the nearest.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use creativeiq::features::{analyze_bytes, DecodeLimits, FEATURE_NAMES};
use creativeiq::synth::{encode_as, ImageFormat, Recipe};

use super::{feature_row, post_row};
use crate::common;
use crate::quality::world::plant;

#[tokio::test(flavor = "multi_thread")]
async fn percentiles_match_a_direct_sql_computation_and_the_same_design_is_nearest() {
    let dir = tempfile::tempdir().unwrap();
    let design = Recipe::random(3, Some((400, 400))).build("compared");
    let png = encode_as(&design, ImageFormat::Png);
    let image_path = dir.path().join("compared.png");
    std::fs::write(&image_path, &png).unwrap();
    let features = analyze_bytes(&png, &DecodeLimits::default()).unwrap();

    let mut rng = StdRng::seed_from_u64(11);
    let (mut posts, mut images, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    let first = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    for (account, n) in [("comp_a", 20usize), ("comp_b", 15), ("mine", 10)] {
        for i in 0..n {
            let label = format!("compare/{account}/{i}");
            let (p, img) = post_row(
                "instagram",
                account,
                &format!("{account}_{i}"),
                first + Days::new(i as u64),
                rng.random_range(50..900),
                &label,
            );
            let sha256 = img["sha256"].as_str().unwrap().to_string();
            // comp_b's first post is the compared design itself.
            let row = if account == "comp_b" && i == 0 {
                let mut row = serde_json::to_value(&features).unwrap();
                for (k, v) in feature_row(&sha256, &[]).as_object().unwrap() {
                    if ["version", "dt", "image_sha256", "error", "extracted_at"]
                        .contains(&k.as_str())
                    {
                        row[k] = v.clone();
                    }
                }
                row
            } else {
                feature_row(
                    &sha256,
                    &[
                        ("brightness", rng.random_range(0.1..0.9)),
                        ("colorfulness", rng.random_range(0.0..90.0)),
                        ("text_coverage", rng.random_range(0.0..0.3)),
                        ("edge_density", rng.random_range(0.0..0.2)),
                        ("rule_of_thirds", rng.random_range(0.0..1.0)),
                        ("aspect_ratio", [1.0, 0.8, 1.91][i % 3]),
                        ("hue_count", f64::from(rng.random_range(1..8))),
                    ],
                )
            };
            posts.push(p);
            images.push(img);
            rows.push(row);
        }
    }
    let lake_path = dir.path().join("lake").to_str().unwrap().to_string();
    let lake = creativeiq::lake::Lake::open(&lake_path).await.unwrap();
    plant(&lake, "raw.posts", "planted", &posts).await;
    plant(&lake, "raw.images", "planted", &images).await;
    plant(&lake, "features.design", "planted", &rows).await;

    let output = common::run(
        &lake_path,
        &[
            "compare",
            image_path.to_str().unwrap(),
            "--competitors",
            "comp_a",
            "comp_b",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let report: Value = serde_json::from_str(&common::stdout(&output)).unwrap();
    assert_eq!(
        report["posts_per_account"],
        json!({"comp_a": 20, "comp_b": 15})
    );

    // Every compared feature, recomputed in one direct query over the lake.
    let percentiles: BTreeMap<String, (f64, f64)> = report["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["feature"].as_str().unwrap().to_string(),
                (
                    p["value"].as_f64().unwrap(),
                    p["percentile"].as_f64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(
        percentiles.len(),
        FEATURE_NAMES.len() - 2,
        "all but width and height"
    );
    let columns: Vec<String> = percentiles
        .iter()
        .map(|(feature, (value, _))| {
            format!(
                "100.0 * (sum(CASE WHEN f.{feature} < {value:?} THEN 1 ELSE 0 END) \
                 + 0.5 * sum(CASE WHEN f.{feature} = {value:?} THEN 1 ELSE 0 END)) \
                 / count(*) AS {feature}"
            )
        })
        .collect();
    let direct = common::query(
        &lake_path,
        &format!(
            "SELECT {} FROM posts AS p JOIN features.design AS f ON f.image_sha256 = p.image_sha256 \
             WHERE p.account_id IN ('comp_a', 'comp_b')",
            columns.join(", ")
        ),
    );
    for (feature, (_, percentile)) in &percentiles {
        let expected = direct[0][feature.as_str()].as_f64().unwrap();
        assert!(
            (expected - percentile).abs() < 1e-9,
            "{feature}: compare says {percentile}, SQL {expected}"
        );
    }
    // The twin ties with the design on every feature, so nothing sits at 0.
    assert!(percentiles.values().all(|(_, p)| *p > 0.0));

    let nearest = &report["nearest"][0];
    assert_eq!(nearest["post_id"], "comp_b_0");
    assert!(nearest["distance"].as_f64().unwrap() < 1e-9);
    assert_ne!(report["nearest"][1]["post_id"], "comp_b_0");
    assert!(report["prediction"].is_null());
    let summary = report["summary"].as_array().unwrap();
    assert!(
        summary[0].as_str().unwrap().contains("35 posts"),
        "{summary:?}"
    );

    // A brand learnt from an account's posts takes each of its images once.
    let output = common::run(
        &lake_path,
        &["brand", "learn", "--name", "rival", "--account", "comp_a"],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    assert!(
        common::stdout(&output).contains("20 designs from account:comp_a"),
        "{}",
        common::stdout(&output)
    );

    // Accounts without posts: a clear error, exit code 2.
    let output = common::run(
        &lake_path,
        &[
            "compare",
            image_path.to_str().unwrap(),
            "--competitors",
            "nobody",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        common::stderr(&output).contains("no collected post"),
        "{}",
        common::stderr(&output)
    );
}
