//! The views of sql/views/ against expected-output files (golden files in
//! tests/data/quality/golden/, regenerated with `UPDATE_GOLDEN=1 cargo test
//! --test it quality::views`), and the A/B statistics against statsmodels.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::world::{image, plant, post, variant, World};
use crate::common::*;

/// The golden world: the clean one, plus a February, a re-collected post,
/// tied rates, an over-represented platform and one post per rejection rule.
fn golden_world() -> World {
    let mut world = World::clean();
    for i in 0..12 {
        let mut p = post("instagram", i);
        p["post_id"] = json!(format!("in_feb_{i}"));
        p["dt"] = json!(format!("2024-02-{:02}", 1 + i));
        p["published_at"] = json!(format!("2024-02-{:02}T12:00:00Z", 1 + i));
        // Four pairs with the same rate: ties share a score.
        p["likes"] = json!(200 + 10 * (i / 2));
        p["comments"] = json!(0);
        p["shares"] = json!(0);
        p["saves"] = json!(0);
        p["impressions"] = json!(10_000);
        world.images.push(image(
            p["image_sha256"].as_str().unwrap(),
            p["image_url"].as_str().unwrap(),
        ));
        world.posts.push(p);
    }
    // A later snapshot of in_0 with more likes: posts shows this one.
    let mut later = world.post_mut("in_0").clone();
    later["collected_at"] = json!("2024-03-31T18:00:00Z");
    later["likes"] = json!(999);
    later["source"] = json!("import:instagram-later.ndjson");
    world.posts.push(later);
    // Reach, then audience size, when impressions are missing.
    world.post_mut("fa_1")["impressions"] = Value::Null;
    world.post_mut("fa_2")["impressions"] = Value::Null;
    world.post_mut("fa_2")["reach"] = Value::Null;
    // A text-only post and a post whose image has not been fetched stay valid.
    world.post_mut("li_1")["image_url"] = Value::Null;
    world.post_mut("li_1")["image_sha256"] = Value::Null;
    world.post_mut("li_2")["image_sha256"] = Value::Null;
    world.post_mut("li_2")["image_url"] = json!("https://cdn.example.com/not-yet.jpg");
    // An imported image folder meets its posts by URL.
    world.post_mut("li_3")["image_sha256"] = Value::Null;
    world.post_mut("li_3")["image_url"] = json!("/designs/li_3.png");
    world.images.push(image(
        &super::world::sha("/designs/li_3.png"),
        "file:///designs/li_3.png",
    ));
    // One post per rule.
    let mut stray = post("tiktok", 29);
    stray["platform"] = json!("myspace");
    stray["post_id"] = json!("ms_1");
    world.posts.push(stray);
    for c in ["likes", "comments", "shares", "saves", "clicks"] {
        world.post_mut("ti_1")[c] = Value::Null;
    }
    world.post_mut("ti_2")["shares"] = json!(-1);
    world.post_mut("ti_3")["published_at"] = json!("2024-04-01T00:00:00Z");
    world.post_mut("ti_4")["reach"] = json!(1_000_000);
    for c in ["impressions", "reach", "audience_size"] {
        world.post_mut("ti_5")[c] = Value::Null;
    }
    world.post_mut("ti_6")["image_sha256"] = json!(super::world::sha("gone"));
    let broken = world.post_mut("ti_7")["image_sha256"].clone();
    let row = world
        .images
        .iter_mut()
        .find(|i| i["sha256"] == broken)
        .unwrap();
    row["decode_status"] = json!("corrupt");
    row["decode_error"] = json!("invalid PNG signature");
    world
        .ab_tests
        .push(variant("ab_three", "a", 4000, 400, 800));
    world
        .ab_tests
        .push(variant("ab_three", "b", 4000, 330, 760));
    world
        .ab_tests
        .push(variant("ab_three", "c", 4100, 455, 840));
    world
}

const GOLDEN_QUERIES: &[(&str, &[&str], &str)] = &[
    (
        "posts",
        &[],
        "SELECT platform, post_id, dt, snapshots, likes, interactions, rate_denominator, denominator, \
         round(engagement_rate, 9) AS engagement_rate, source FROM posts ORDER BY platform, post_id",
    ),
    (
        "posts_rejected",
        &[],
        "SELECT rule, detail, platform, post_id, image_status, source, source_record \
         FROM posts_rejected ORDER BY platform, post_id",
    ),
    (
        "posts_valid_images",
        &[],
        "SELECT image_status, count(*) AS posts FROM posts_valid GROUP BY image_status ORDER BY image_status",
    ),
    (
        "training_posts_weight",
        &[],
        "SELECT platform, post_id, month, round(engagement_rate, 9) AS engagement_rate, \
         round(performance_score, 6) AS performance_score, balance_strategy, platform_posts, \
         round(sample_weight, 9) AS sample_weight FROM training_posts ORDER BY platform, post_id",
    ),
    (
        "training_posts_downsample",
        &["--set", "balance_strategy=downsample", "--set", "balance_max_ratio=1.2"],
        "SELECT platform, count(*) AS posts, min(balance_strategy) AS balance_strategy, \
         sum(sample_weight) AS weight, round(avg(performance_score), 6) AS mean_score \
         FROM training_posts GROUP BY platform ORDER BY platform",
    ),
    (
        "ab_results",
        &[],
        "SELECT test_id, control, variant, control_conversions, variant_conversions, \
         round(control_conversion_rate, 9) AS cr1, round(variant_conversion_rate, 9) AS cr2, \
         round(z, 9) AS z, round(p_value, 9) AS p_value, round(ci_low, 9) AS ci_low, \
         round(ci_high, 9) AS ci_high, significant, winner, significance_disagrees, \
         round(srm_p_value, 9) AS srm_p_value FROM ab_results ORDER BY test_id, variant",
    ),
    (
        "engagement_daily",
        &[],
        "SELECT platform, account_id, dt, posts, interactions, impressions, \
         round(engagement_rate, 9) AS engagement_rate, round(median_engagement_rate, 9) AS median \
         FROM engagement_daily WHERE platform = 'instagram' ORDER BY platform, account_id, dt",
    ),
    (
        "engagement_hourly",
        &[],
        "SELECT platform, weekday, hour, posts, round(mean_engagement_rate, 9) AS rate, \
         round(mean_performance_score, 6) AS score FROM engagement_hourly \
         WHERE platform IN ('facebook', 'linkedin') ORDER BY platform, weekday, hour",
    ),
    (
        "column_completeness",
        &[],
        "SELECT platform, column_name, posts, missing FROM column_completeness \
         WHERE missing > 0 ORDER BY platform, column_name",
    ),
];

fn golden_dir() -> PathBuf {
    fixture("quality/golden")
}

#[test]
fn views_match_their_golden_files() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_lake, lake) = runtime.block_on(golden_world().write(dir.path()));
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for (name, flags, sql) in GOLDEN_QUERIES {
        let mut args = flags.to_vec();
        args.extend(["sql", sql, "--format", "csv"]);
        let out = run(&lake, &args);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let got = stdout(&out);
        let path = golden_dir().join(format!("{name}.csv"));
        if update {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: UPDATE_GOLDEN=1 cargo test --test it quality::views writes it",
                path.display()
            )
        });
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .unwrap_or(got.lines().count().min(want.lines().count()));
            mismatches.push(format!(
                "{name}: first difference at line {}:\n  got  {}\n  want {}",
                line + 1,
                got.lines().nth(line).unwrap_or("(end)"),
                want.lines().nth(line).unwrap_or("(end)")
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "views differ from tests/data/quality/golden (if the change is intended: UPDATE_GOLDEN=1 cargo test --test it quality::views, and review the diff):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn golden_world_labels_follow_the_design() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_lake, lake) = runtime.block_on(golden_world().write(dir.path()));
    // Every rule rejects the post planted for it, and only that one.
    let rules = query(
        &lake,
        "SELECT post_id, rule FROM posts_rejected ORDER BY post_id",
    );
    let rules: Vec<(String, String)> = rules
        .iter()
        .map(|r| {
            (
                r["post_id"].as_str().unwrap().into(),
                r["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("ms_1", "unknown_platform"),
        ("ti_1", "missing_required"),
        ("ti_2", "negative_count"),
        ("ti_3", "published_after_collected"),
        ("ti_4", "count_above_impressions"),
        ("ti_5", "no_denominator"),
        ("ti_6", "image_missing"),
        ("ti_7", "image_undecodable"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(rules, expected);
    // The latest snapshot wins.
    let in0 = query(
        &lake,
        "SELECT likes, snapshots FROM posts WHERE post_id = 'in_0'",
    );
    assert_eq!(in0[0]["likes"], 999);
    assert_eq!(in0[0]["snapshots"], 2);
    // The denominators fall back from impressions to reach to audience size.
    let fb = query(
        &lake,
        "SELECT post_id, rate_denominator FROM posts WHERE post_id IN ('fa_0', 'fa_1', 'fa_2') ORDER BY post_id",
    );
    let used: Vec<&str> = fb
        .iter()
        .map(|r| r["rate_denominator"].as_str().unwrap())
        .collect();
    assert_eq!(used, ["impressions", "reach", "audience_size"]);
    // Scores per platform and month average 50, ties share one.
    let months = query(
        &lake,
        "SELECT platform, month, avg(performance_score) AS mean, min(performance_score) AS lo, max(performance_score) AS hi \
         FROM training_posts GROUP BY platform, month",
    );
    for m in &months {
        assert!((m["mean"].as_f64().unwrap() - 50.0).abs() < 1e-9, "{m}");
        assert!(
            m["lo"].as_f64().unwrap() > 0.0 && m["hi"].as_f64().unwrap() < 100.0,
            "{m}"
        );
    }
    let ties = query(
        &lake,
        "SELECT count(DISTINCT performance_score) AS n FROM training_posts WHERE post_id LIKE 'in_feb_%'",
    );
    assert_eq!(ties[0]["n"], 6, "12 February posts in 6 tied pairs");
    // Weights equalise platforms: every platform carries the same weight.
    let weights = query(
        &lake,
        "SELECT platform, sum(sample_weight) AS w, avg(sample_weight) AS mean FROM training_posts GROUP BY platform",
    );
    let total: f64 = weights.iter().map(|w| w["w"].as_f64().unwrap()).sum();
    for w in &weights {
        assert!(
            (w["w"].as_f64().unwrap() - total / weights.len() as f64).abs() < 1e-9,
            "{w}"
        );
    }
    // Downsampling keeps at most ratio x the smallest platform, the same rows each time.
    let sample = |ratio: &str| {
        let out = run(
            &lake,
            &["--set", "balance_strategy=downsample", "--set", &format!("balance_max_ratio={ratio}"),
              "sql", "SELECT platform, post_id, sample_weight FROM training_posts ORDER BY platform, post_id", "--format", "csv"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let first = sample("1.0");
    assert_eq!(first, sample("1.0"));
    let smallest = first
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("tiktok,"))
        .count();
    assert_eq!(smallest, 23, "30 tiktok posts less 7 rejected");
    for platform in ["facebook", "instagram", "linkedin"] {
        assert_eq!(
            first
                .lines()
                .filter(|l| l.starts_with(&format!("{platform},")))
                .count(),
            smallest,
            "{platform}"
        );
    }
    assert!(
        first.lines().skip(1).all(|l| l.ends_with(",1.0")),
        "{first}"
    );
    let out = run(
        &lake,
        &["--set", "balance_strategy=random", "sql", "SELECT 1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("none, weight, downsample"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ab_results_match_statsmodels() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake_path = dir.path().join("lake").to_str().unwrap().to_string();
    let cases = std::fs::read_to_string(fixture("quality/ab_cases.csv")).unwrap();
    let rows: Vec<Value> = cases
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let n: i64 = f[2].parse().unwrap();
            let mut v = variant(f[0], f[1], n, f[3].parse().unwrap(), f[4].parse().unwrap());
            v["recorded_significance"] = f[5].parse::<f64>().map_or(Value::Null, |s| json!(s));
            v
        })
        .collect();
    runtime.block_on(async {
        let lake = creativeiq::lake::Lake::open(&lake_path).await.unwrap();
        plant(&lake, "raw.ab_tests", "cases", &rows).await;
    });
    let got = query(
        &lake_path,
        "SELECT test_id, variant, z, p_value, ci_low, ci_high, ctr_p_value, srm_p_value, \
         significant, winner, significance_disagrees FROM ab_results ORDER BY test_id, variant",
    );
    let reference = std::fs::read_to_string(fixture("quality/ab_reference.csv")).unwrap();
    let reference: Vec<Vec<&str>> = reference
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(got.len(), reference.len());
    let mut worst: f64 = 0.0;
    for (row, want) in got.iter().zip(&reference) {
        assert_eq!(row["test_id"], want[0]);
        assert_eq!(row["variant"], want[1]);
        for (i, column) in [
            "z",
            "p_value",
            "ci_low",
            "ci_high",
            "ctr_p_value",
            "srm_p_value",
        ]
        .iter()
        .enumerate()
        {
            let g = row[*column]
                .as_f64()
                .unwrap_or_else(|| panic!("{column} of {row}"));
            let w: f64 = want[i + 2].parse().unwrap();
            let error = (g - w).abs();
            worst = worst.max(error);
            assert!(
                error < 1e-6 && error <= 1e-6 * w.abs().max(1e-3),
                "{} {} {column}: {g} against statsmodels' {w}",
                want[0],
                want[1]
            );
        }
    }
    eprintln!("largest difference from statsmodels: {worst:e}");
    let by_test = |id: &str, variant: &str| {
        got.iter()
            .find(|r| r["test_id"] == id && r["variant"] == variant)
            .unwrap()
            .clone()
    };
    assert_eq!(by_test("ab_001", "b")["winner"], "b");
    assert!(by_test("ab_002", "b").get("winner").is_none());
    assert_eq!(
        by_test("ab_009", "b")["winner"],
        "a",
        "the control wins against b"
    );
    // The tool said 99% significant; the recomputation says p = 0.094.
    assert_eq!(by_test("ab_003", "b")["significance_disagrees"], true);
    assert_eq!(by_test("ab_001", "b")["significance_disagrees"], false);
    assert!(by_test("ab_005", "b").get("significance_disagrees") == Some(&json!(false)));
}
