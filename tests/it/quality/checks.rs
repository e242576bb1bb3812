//! Every check passes on the clean world and fails exactly where its
//! problem is planted, with the failing rows and their keys in
//! quality.failed_rows.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::{json, Value};

use creativeiq::quality::{CheckStatus, Validation, ValidationReport};

use super::world::{image, post, sha, variant, World, AS_OF};
use crate::common::*;

async fn validate(world: &World) -> (tempfile::TempDir, String, ValidationReport) {
    let dir = tempfile::tempdir().unwrap();
    let (lake, path) = world.write(dir.path()).await;
    let report = Validation::new()
        .with_as_of(NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap())
        .run(&lake)
        .await
        .unwrap();
    (dir, path, report)
}

/// Runs the checks on `world` and asserts that `check` is the only one that
/// fails, on exactly the rows `keys` (table_name, row_key), and that those
/// rows are in quality.failed_rows.
async fn assert_fails_exactly(world: &World, check: &str, keys: &[(&str, &str)]) {
    let (_dir, lake, report) = validate(world).await;
    for outcome in &report.checks {
        if let CheckStatus::Error(e) = &outcome.status {
            panic!("{} could not run: {e}", outcome.name);
        }
    }
    let failing: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failing, [check], "{:#?}", report.checks);
    let outcome = report.checks.iter().find(|c| c.name == check).unwrap();
    let found: BTreeSet<(String, String)> = outcome
        .rows
        .iter()
        .map(|r| (r.table_name.clone(), r.row_key.clone()))
        .collect();
    let wanted: BTreeSet<(String, String)> = keys
        .iter()
        .map(|(t, k)| (t.to_string(), k.to_string()))
        .collect();
    assert_eq!(found, wanted, "{:#?}", outcome.rows);
    assert_eq!(outcome.failed_rows as usize, keys.len());

    let stored = query(
        &lake,
        &format!(
            "SELECT check_name, table_name, row_key, detail FROM quality.failed_rows WHERE run_id = '{}'",
            report.run_id
        ),
    );
    let stored: BTreeSet<(String, String)> = stored
        .iter()
        .map(|r| {
            assert_eq!(r["check_name"], check);
            assert!(!r["detail"].as_str().unwrap().is_empty());
            (
                r["table_name"].as_str().unwrap().to_string(),
                r["row_key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(stored, wanted);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_check_passes_on_a_clean_lake() {
    let (_dir, lake, report) = validate(&World::clean()).await;
    assert_eq!(report.checks.len(), 9);
    for c in &report.checks {
        assert_eq!(c.status, CheckStatus::Pass, "{}: {:?}", c.name, c.rows);
    }
    assert_eq!(report.score, 100.0);
    let rows = query(
        &lake,
        "SELECT check_name, status, quality_score FROM quality.check_results",
    );
    assert_eq!(rows.len(), 9);
    assert!(rows
        .iter()
        .all(|r| r["status"] == "pass" && r["quality_score"] == 100.0));
    assert_eq!(
        count(&lake, "SELECT count(*) AS n FROM quality.failed_rows"),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn min_samples_fails_for_a_platform_with_too_few_posts() {
    let mut world = World::clean();
    for i in 0..8 {
        let mut p = post("x", 22 + i);
        p["post_id"] = json!(format!("x_{i}"));
        world.images.push(image(
            p["image_sha256"].as_str().unwrap(),
            p["image_url"].as_str().unwrap(),
        ));
        world.posts.push(p);
    }
    assert_fails_exactly(&world, "min_samples", &[("posts_valid", "platform=x")]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn platform_balance_fails_for_a_dominant_platform() {
    let mut world = World::clean();
    for i in 30..160 {
        let p = post("instagram", i);
        world.images.push(image(
            p["image_sha256"].as_str().unwrap(),
            p["image_url"].as_str().unwrap(),
        ));
        world.posts.push(p);
    }
    assert_fails_exactly(
        &world,
        "platform_balance",
        &[("posts_valid", "platform=instagram")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_data_fails_for_a_column_missing_too_often() {
    let mut world = World::clean();
    for i in 0..10 {
        world.post_mut(&format!("li_{i}"))["caption"] = Value::Null;
    }
    // One missing account in 30 (3%) stays under the 20% threshold.
    world.post_mut("fa_3")["account_id"] = Value::Null;
    assert_fails_exactly(
        &world,
        "missing_data",
        &[("posts", "platform=linkedin column=caption")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn image_integrity_fails_for_missing_and_broken_images() {
    let mut world = World::clean();
    let broken = world.post_mut("fa_3")["image_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let row = world
        .images
        .iter_mut()
        .find(|i| i["sha256"] == broken.as_str())
        .unwrap();
    row["decode_status"] = json!("truncated");
    row["decode_error"] = json!("the JPEG ends before its end-of-image marker");
    world.post_mut("fa_4")["image_sha256"] = json!(sha("never fetched"));
    assert_fails_exactly(
        &world,
        "image_integrity",
        &[
            ("posts", "platform=facebook post_id=fa_3"),
            ("posts", "platform=facebook post_id=fa_4"),
            ("raw.images", &format!("sha256={broken} dt=2024-03-31")),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_ids_fails_for_a_snapshot_landed_twice() {
    let mut world = World::clean();
    let mut copy = world.post_mut("ti_5").clone();
    copy["source"] = json!("import:tiktok-again.ndjson");
    world.posts.push(copy);
    let (_dir, lake, report) = validate(&world).await;
    let outcome = report
        .checks
        .iter()
        .find(|c| c.name == "duplicate_ids")
        .unwrap();
    assert_eq!(outcome.failed_rows, 1, "{:?}", outcome.rows);
    let row = &outcome.rows[0];
    assert_eq!(row.table_name, "raw.posts");
    assert!(
        row.row_key
            .starts_with("platform=tiktok post_id=ti_5 collected_at=2024-03-31"),
        "{}",
        row.row_key
    );
    assert_eq!(row.observed, Some(2.0));
    assert_eq!(
        row.source.as_deref(),
        Some("import:tiktok-again.ndjson:6, import:tiktok.ndjson:6")
    );
    let failing: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failing, ["duplicate_ids"]);
    // The posts view still counts the post once.
    assert_eq!(
        count(
            &lake,
            "SELECT count(*) AS n FROM posts WHERE post_id = 'ti_5'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn freshness_fails_for_a_platform_whose_posts_stopped() {
    let mut world = World::clean();
    for p in world
        .posts
        .iter_mut()
        .filter(|p| p["platform"] == "linkedin")
    {
        let day: u32 = p["dt"].as_str().unwrap()[8..].parse().unwrap();
        let day = 1 + day % 15;
        p["dt"] = json!(format!("2024-03-{day:02}"));
        p["published_at"] = json!(format!("2024-03-{day:02}T09:00:00Z"));
    }
    assert_fails_exactly(&world, "freshness", &[("raw.posts", "platform=linkedin")]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_fails_for_impossible_values() {
    let mut world = World::clean();
    world.post_mut("in_2")["likes"] = json!(9_000_000);
    world.post_mut("fa_7")["comments"] = json!(-4);
    world.post_mut("ti_9")["published_at"] = json!("2024-04-02T10:00:00Z");
    world.ab_tests[1]["conversions"] = json!(20_000);
    world.annotations[0]["typography"] = json!(120.0);
    assert_fails_exactly(
        &world,
        "out_of_range",
        &[
            ("posts", "platform=instagram post_id=in_2"),
            ("posts", "platform=facebook post_id=fa_7"),
            ("posts", "platform=tiktok post_id=ti_9"),
            ("raw.ab_tests", "test_id=ab_clean_1 variant=b"),
            ("raw.annotations", "design_id=design_1 expert_id=designer_1"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ab_sample_ratio_fails_for_a_broken_split() {
    let mut world = World::clean();
    world
        .ab_tests
        .push(variant("ab_srm", "a", 10_000, 300, 900));
    world.ab_tests.push(variant("ab_srm", "b", 9_000, 280, 850));
    assert_fails_exactly(
        &world,
        "ab_sample_ratio",
        &[("ab_results", "test_id=ab_srm")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_posts_fails_for_unknown_platforms_and_missing_fields() {
    let mut world = World::clean();
    let mut stray = post("instagram", 29);
    stray["platform"] = json!("myspace");
    stray["post_id"] = json!("ms_1");
    world.images.push(image(
        &sha("myspace"),
        "https://cdn.example.com/myspace.jpg",
    ));
    stray["image_sha256"] = json!(sha("myspace"));
    world.posts.push(stray);
    for column in ["likes", "comments", "shares", "saves", "clicks"] {
        world.post_mut("li_11")[column] = Value::Null;
    }
    for column in ["impressions", "reach", "audience_size"] {
        world.post_mut("ti_12")[column] = Value::Null;
    }
    assert_fails_exactly(
        &world,
        "unusable_posts",
        &[
            ("posts", "platform=myspace post_id=ms_1"),
            ("posts", "platform=linkedin post_id=li_11"),
            ("posts", "platform=tiktok post_id=ti_12"),
        ],
    )
    .await;
}

#[test]
fn validate_keeps_history_scores_runs_and_fails_on_request() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut world = World::clean();
    world.post_mut("fa_4")["image_sha256"] = json!(sha("never fetched"));
    let dir = tempfile::tempdir().unwrap();
    let (_lake, lake) = runtime.block_on(world.write(dir.path()));

    let out = run(&lake, &["validate", "--as-of", AS_OF]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("image_integrity    error    fail"), "{text}");
    // image_integrity (an error check, weight 3) fails: 100 x (19 - 3) / 19.
    assert!(
        text.contains("quality score 84/100 (8 of 9 checks pass)"),
        "{text}"
    );

    let out = run(&lake, &["validate", "--as-of", AS_OF, "--fail-on", "error"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = run(
        &lake,
        &["validate", "--as-of", AS_OF, "--fail-on", "warning"],
    );
    assert_eq!(out.status.code(), Some(1));
    // Only the checks asked for run, with the thresholds given.
    let out = run(
        &lake,
        &[
            "validate",
            "--as-of",
            AS_OF,
            "--fail-on",
            "error",
            "--check",
            "freshness",
            "--param",
            "freshness.max_age_days=30",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = run(&lake, &["validate", "--check", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("min_samples"), "{}", stderr(&out));

    let runs = query(
        &lake,
        "SELECT run_id, count(*) AS checks, min(quality_score) AS score FROM quality.check_results GROUP BY run_id ORDER BY run_id",
    );
    assert_eq!(runs.len(), 4, "{runs:?}");
    assert_eq!(runs[0]["checks"], 9);
    assert_eq!(runs[3]["checks"], 1);
    let score = runs[0]["score"].as_f64().unwrap();
    assert!((score - 100.0 * 16.0 / 19.0).abs() < 1e-9, "{score}");
    let failing = query(
        &lake,
        "SELECT DISTINCT run_id FROM quality.failed_rows WHERE row_key = 'platform=facebook post_id=fa_4'",
    );
    assert_eq!(
        failing.len(),
        3,
        "three full runs each kept the row: {failing:?}"
    );
}

#[test]
fn dump_sql_writes_the_run_for_another_engine() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let sql = dir.path().join("sql");
    let out = run(
        lake.to_str().unwrap(),
        &[
            "--set",
            "ab_alpha=0.01",
            "validate",
            "--as-of",
            AS_OF,
            "--param",
            "min_samples.min_overall=500",
            "--dump-sql",
            sql.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = std::fs::read_to_string(sql.join("views/00_meta.sql")).unwrap();
    assert!(meta.contains("CAST(0.01 AS DOUBLE) AS ab_alpha"), "{meta}");
    assert!(
        meta.contains("('raw.posts', 'platform', 'instagram')"),
        "{meta}"
    );
    let posts = std::fs::read_to_string(sql.join("views/10_posts.sql")).unwrap();
    assert!(posts.starts_with("CREATE OR REPLACE VIEW posts AS"));
    let check = std::fs::read_to_string(sql.join("checks/min_samples.sql")).unwrap();
    assert!(
        check.contains("WHERE valid < 500") && !check.contains('$'),
        "{check}"
    );
    let freshness = std::fs::read_to_string(sql.join("checks/freshness.sql")).unwrap();
    assert!(
        freshness.contains("CAST('2024-03-31' AS TIMESTAMP)"),
        "{freshness}"
    );
    assert!(sql.join("views/99_materialize_0.sql").exists());
    assert!(!lake.join("quality").exists(), "a dump runs nothing");
}
