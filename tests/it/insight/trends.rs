//! `creativeiq trends` on a lake where the top posts change at a known date:
//! from 2024-03-31 on, colourful designs on Instagram engage twice as much
//! and designs with text half as much; before it no property matters.

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::{feature_row, post_row};
use crate::common;
use crate::quality::world::plant;

const FIRST_DAY: (i32, u32, u32) = (2024, 1, 1);
const DAYS: u64 = 120;
const SHIFT: (i32, u32, u32) = (2024, 3, 31);

fn day(ymd: (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).unwrap()
}

/// Instagram: 12 posts a day whose properties are drawn independently;
/// LinkedIn: one a day (too few to test).
async fn planted_lake(dir: &std::path::Path) -> String {
    let mut rng = StdRng::seed_from_u64(7);
    let (mut posts, mut images, mut features) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..DAYS {
        let date = day(FIRST_DAY) + Days::new(d);
        for (platform, per_day) in [("instagram", 12), ("linkedin", 1)] {
            for k in 0..per_day {
                let colourful = rng.random_bool(0.5);
                let text = rng.random_bool(0.5);
                let bright = rng.random_bool(0.5);
                let aspect = [1.0, 0.8, 1.91][rng.random_range(0..3)];
                // Log-normal noise (sigma 0.3) by Box-Muller.
                let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
                let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let mut rate = 0.03 * (0.3 * normal).exp();
                if date >= day(SHIFT) && platform == "instagram" {
                    rate *= if colourful { 2.0 } else { 1.0 };
                    rate *= if text { 0.5 } else { 1.0 };
                }
                let label = format!("trend/{platform}/{d}/{k}");
                let (p, i) = post_row(
                    platform,
                    &format!("{platform}_brand"),
                    &format!("{platform}_{d}_{k}"),
                    date,
                    (rate * 10_000.0).round() as i64,
                    &label,
                );
                let f = feature_row(
                    i["sha256"].as_str().unwrap(),
                    &[
                        ("colorfulness", if colourful { 60.0 } else { 15.0 }),
                        ("brightness", if bright { 0.7 } else { 0.45 }),
                        ("text_coverage", if text { 0.05 } else { 0.0 }),
                        ("text_lines", if text { 2.0 } else { 0.0 }),
                        ("text_contrast", if text { 5.0 } else { 1.0 }),
                        ("aspect_ratio", aspect),
                    ],
                );
                posts.push(p);
                images.push(i);
                features.push(f);
            }
        }
    }
    let path = dir.join("lake").to_str().unwrap().to_string();
    let lake = creativeiq::lake::Lake::open(&path).await.unwrap();
    plant(&lake, "raw.posts", "planted", &posts).await;
    plant(&lake, "raw.images", "planted", &images).await;
    plant(&lake, "features.design", "planted", &features).await;
    path
}

fn trends(lake: &str, until: &str) -> Value {
    let output = common::run(
        lake,
        &[
            "trends",
            "--window",
            "30d",
            "--until",
            until,
            "--min-samples",
            "50",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    serde_json::from_str(&common::stdout(&output)).unwrap()
}

/// (platform, property, direction) of the significant trends.
fn significant(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report["trends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["direction"] != "steady")
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap().to_string();
            (s("platform"), s("property"), s("direction"))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planted_trend_is_found_in_its_direction_and_a_null_period_shows_none() {
    let dir = tempfile::tempdir().unwrap();
    let lake = planted_lake(dir.path()).await;

    // Windows 2024-03-01..03-30 and 03-31..04-29: the shift is between them.
    let after = trends(&lake, "2024-04-29");
    assert_eq!(after["previous_start"], "2024-03-01");
    assert_eq!(after["current_start"], "2024-03-31");
    let found = significant(&after);
    let expected: Vec<(String, String, String)> = [
        ("instagram", "accessible_text", "falling"),
        ("instagram", "colourful", "rising"),
        ("instagram", "has_text", "falling"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected, "{after:#}");
    // LinkedIn has about 7 top posts a window: not tested.
    let skipped = after["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["platform"], "linkedin");
    let colourful = after["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["property"] == "colourful")
        .unwrap();
    assert!(
        colourful["current_share"].as_f64().unwrap() > 0.8,
        "{colourful}"
    );
    assert!((colourful["previous_share"].as_f64().unwrap() - 0.5).abs() < 0.15);

    // The run landed in metrics.trends with the same verdicts.
    let rows = common::query(
        &lake,
        "SELECT platform, property, direction FROM metrics.trends \
         WHERE run = '2024-04-29_30d' AND direction <> 'steady' ORDER BY platform, property",
    );
    let landed: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_string();
            (s("platform"), s("property"), s("direction"))
        })
        .collect();
    assert_eq!(landed, expected);
    let tested = common::count(
        &lake,
        "SELECT count(*) AS n FROM metrics.trends WHERE run = '2024-04-29_30d'",
    );
    assert_eq!(tested as usize, after["trends"].as_array().unwrap().len());

    // Both windows before the shift: nothing changed, nothing is found.
    let before = trends(&lake, "2024-03-30");
    assert_eq!(before["current_start"], "2024-03-01");
    assert!(
        significant(&before).is_empty(),
        "{:?}",
        significant(&before)
    );
    assert!(before["trends"].as_array().unwrap().len() >= 10);
}
