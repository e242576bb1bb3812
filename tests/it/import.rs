//! `creativeiq import`: the seed's formats land, bad records are rejected
//! with their reason, counts add up, and a repeated import changes nothing.

use crate::common::*;

#[test]
fn seed_formats_land_in_their_tables() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let ig = fixture("seed/instagram_posts.json");
    let out = run(
        lake,
        &["import", ig.to_str().unwrap(), "--platform", "instagram"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(import_counts(&out, "instagram_posts.json"), (4, 4, 0));
    let li = fixture("seed/linkedin_posts.ndjson");
    let out = run(
        lake,
        &["import", li.to_str().unwrap(), "--platform", "linkedin"],
    );
    assert_eq!(import_counts(&out, "linkedin_posts.ndjson"), (3, 3, 0));
    for file in ["annotations.json", "ab_tests.json"] {
        let out = run(
            lake,
            &["import", fixture(&format!("seed/{file}")).to_str().unwrap()],
        );
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        assert_eq!(import_counts(&out, file), (2, 2, 0));
    }

    let rows = query(
        lake,
        "SELECT platform, dt, post_id, likes, saves, clicks, impressions, company_size, source \
         FROM raw.posts ORDER BY post_id",
    );
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0]["post_id"], "ig_1001");
    assert_eq!(rows[0]["platform"], "instagram");
    assert_eq!(rows[0]["dt"], "2024-01-15");
    assert_eq!(rows[0]["likes"], 1250);
    assert_eq!(rows[0]["saves"], 89);
    assert_eq!(rows[0]["source"], "import:instagram_posts.json");
    assert_eq!(rows[4]["post_id"], "li_2001");
    assert_eq!(rows[4]["clicks"], 890);
    assert_eq!(rows[4]["company_size"], "1000-5000");
    assert!(
        rows[4].get("saves").is_none(),
        "LinkedIn reports no saves: {:?}",
        rows[4]
    );

    // An A/B test lands as one row per variant, keeping the reported figures.
    let variants = query(
        lake,
        "SELECT test_id, variant, impressions, conversion_rate, recorded_significance \
         FROM raw.ab_tests ORDER BY test_id, variant",
    );
    assert_eq!(variants.len(), 4);
    assert_eq!(variants[1]["variant"], "b");
    assert_eq!(variants[1]["conversion_rate"], 0.042);
    assert_eq!(variants[1]["recorded_significance"], 0.95);
    let scores = query(
        lake,
        "SELECT expert_id, typography FROM raw.annotations ORDER BY expert_id",
    );
    assert_eq!(scores[1]["typography"], 85.0);
}

#[test]
fn importing_the_same_file_twice_leaves_the_row_count_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let input = dir.path().join("posts.ndjson");
    write_posts_ndjson(&input, 2_000, 40);
    for _ in 0..2 {
        let out = run(lake, &["import", input.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(import_counts(&out, "posts.ndjson"), (2_000, 2_000, 0));
        assert_eq!(count(lake, "SELECT count(*) AS n FROM raw.posts"), 2_000);
    }
    // Same input, same files: the second import replaced, it did not add.
    // (Day i % 40 always falls on platform i % 4, so there are 40 partitions.)
    let files = parquet_files(&dir.path().join("lake/raw/posts"));
    assert_eq!(files.len(), 40, "{files:?}");
}

/// Each bad input of the foundation issue, with the reason it must give.
const BAD_RECORDS: &[(&str, &str)] = &[
    (
        r#"{"id": "b1", "engagement_metrics": {"likes": 1}, "posting_time": "2024-01-15T10:00:00Z""#,
        "malformed JSON",
    ),
    (
        r#"{"id": "b2", "engagement_metrics": {"likes": "many"}, "posting_time": "2024-01-15T10:00:00Z"}"#,
        "expected a whole number",
    ),
    (
        r#"{"engagement_metrics": {"likes": 1}, "posting_time": "2024-01-15T10:00:00Z"}"#,
        "missing required field post_id",
    ),
    (
        r#"{"id": "b4", "engagement_metrics": {"likes": 1}}"#,
        "missing required field published_at",
    ),
    (
        r#"{"id": "b5", "engagement_metrics": {"likes": -4}, "posting_time": "2024-01-15T10:00:00Z"}"#,
        "is negative",
    ),
    (
        r#"{"id": "b6", "engagement_metrics": {"engagement_rate": "NaN"}, "posting_time": "2024-01-15T10:00:00Z"}"#,
        "NaN",
    ),
    (
        r#"{"id": "b7", "engagement_metrics": {"likes": 1}, "posting_time": "2999-01-01T00:00:00Z"}"#,
        "in the future",
    ),
    (
        r#"{"id": "b8", "platform": "myspace", "engagement_metrics": {"likes": 1}, "posting_time": "2024-01-15T10:00:00Z"}"#,
        "unknown platform",
    ),
    (
        r#"{"id": "ok1", "engagement_metrics": {"likes": 2}, "posting_time": "2024-01-15T11:00:00Z"}"#,
        "duplicate",
    ),
    (r#"{"id": "b10", "likes": 3}"#, "unrecognised record"),
    (r#"[1, 2]"#, "expected a JSON object"),
    (
        r#"{"test_id": "t1", "variant_a": {"conversion_rate": 0.1}, "variant_b": {"conversion_rate": 1.7}}"#,
        "above the maximum",
    ),
    (
        r#"{"id": "b13", "engagement_metrics": {"likes": 1}, "posting_time": "last tuesday"}"#,
        "cannot read",
    ),
];

#[test]
fn every_bad_record_is_rejected_with_its_reason_and_the_counts_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let input = dir.path().join("mixed.ndjson");
    let mut lines = vec![
        r#"{"id": "ok1", "engagement_metrics": {"likes": 1}, "posting_time": "2024-01-15T10:00:00Z"}"#.to_string(),
        r#"{"id": "ok2", "engagement_metrics": {"likes": 5, "impressions": 90}, "posting_time": "2024-01-16T10:00:00Z"}"#.to_string(),
    ];
    lines.extend(BAD_RECORDS.iter().map(|(line, _)| line.to_string()));
    std::fs::write(&input, lines.join("\n") + "\n\n").unwrap();

    let out = run(
        lake,
        &["import", input.to_str().unwrap(), "--platform", "tiktok"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "rejects set exit 1: {}",
        stderr(&out)
    );
    let (read, landed, rejected) = import_counts(&out, "mixed.ndjson");
    assert_eq!((read, landed, rejected), (15, 2, 13));
    assert_eq!(read, landed + rejected);

    let rejects = query(
        lake,
        "SELECT record, reason, raw, input FROM raw.rejects ORDER BY record",
    );
    assert_eq!(rejects.len(), BAD_RECORDS.len());
    for (reject, (line, reason)) in rejects.iter().zip(BAD_RECORDS) {
        let said = reject["reason"].as_str().unwrap();
        assert!(
            said.contains(reason),
            "wanted {reason:?}, got {said:?} for {line}"
        );
        assert_eq!(
            reject["raw"].as_str().unwrap(),
            *line,
            "the raw payload is kept as read"
        );
        assert!(reject["input"].as_str().unwrap().ends_with("mixed.ndjson"));
    }
    assert_eq!(count(lake, "SELECT count(*) AS n FROM raw.posts"), 2);
}

/// A big NDJSON input is read in blocks and mapped in parallel pieces: a
/// duplicate far from its first record, a bad line between pieces, CRLF
/// and blank lines, and a last line without a newline keep their line
/// numbers, reasons and raw text.
#[test]
fn rejects_keep_their_line_and_reason_across_the_parallel_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let input = dir.path().join("big.ndjson");
    // About 36 MB: more than one block, and many pieces in each.
    let n = 120_000;
    let mid = n / 2;
    write_posts_ndjson(&input, n, 30);
    let text = std::fs::read_to_string(&input).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let first = lines[0].clone();
    lines[mid - 1] = format!("{}\r", lines[mid - 1]);
    lines.insert(mid, "{\"id\": \"broken\"".to_string());
    lines.insert(mid + 1, "   ".to_string());
    lines.push(first.clone());
    std::fs::write(&input, lines.join("\n")).unwrap();

    let out = run(lake, &["import", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let n64 = n as u64;
    assert_eq!(import_counts(&out, "big.ndjson"), (n64 + 2, n64, 2));
    let rejects = query(
        lake,
        "SELECT record, reason, raw, payload FROM raw.rejects ORDER BY record",
    );
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(rejects[0]["record"], mid + 1);
    assert!(rejects[0]["reason"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));
    assert_eq!(rejects[0]["raw"], "{\"id\": \"broken\"");
    assert_eq!(rejects[1]["record"], n + 3);
    assert_eq!(
        rejects[1]["reason"],
        "duplicate platform, post_id (instagram, p0) in this input; first seen at record 1"
    );
    assert_eq!(rejects[1]["raw"], first.as_str());
    assert_eq!(rejects[1]["payload"], "seed_post");
    assert_eq!(count(lake, "SELECT count(*) AS n FROM raw.posts"), n as i64);
    let line_of = |post: usize| {
        let sql = format!("SELECT source_record FROM raw.posts WHERE post_id = 'p{post}'");
        query(lake, &sql)[0]["source_record"].as_i64().unwrap() as usize
    };
    assert_eq!(line_of(mid - 1), mid, "a CRLF line lands");
    assert_eq!(line_of(mid), mid + 3, "the bad and blank lines count");
    assert_eq!(line_of(n - 1), n + 2);
}

#[test]
fn csv_exports_land_through_a_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let mapping = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/mappings/facebook_page_insights.toml"
    );
    let csv = fixture("seed/facebook_page_posts.csv");
    let out = run(
        lake,
        &["import", csv.to_str().unwrap(), "--mapping", mapping],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(import_counts(&out, "facebook_page_posts.csv"), (3, 3, 0));
    let rows = query(
        lake,
        "SELECT platform, dt, post_id, reach, likes, published_at FROM raw.posts ORDER BY post_id",
    );
    assert_eq!(rows[0]["platform"], "facebook");
    assert_eq!(rows[0]["reach"], 12400, "a grouped number reads as one");
    assert_eq!(rows[0]["likes"], 410);
    assert_eq!(rows[0]["dt"], "2024-01-15");
    assert!(rows[0]["published_at"]
        .as_str()
        .unwrap()
        .starts_with("2024-01-15T14:30:00"));
}

#[test]
fn bad_csv_lines_are_rejected_and_a_wrong_mapping_stops_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let mapping = dir.path().join("m.toml");
    std::fs::write(
        &mapping,
        "name = \"m\"\ntable = \"raw.posts\"\n[constants]\nplatform = \"x\"\n[fields]\npost_id = { from = \"id\" }\npublished_at = { from = \"when\" }\nlikes = { from = \"likes\" }\n",
    )
    .unwrap();
    let csv = dir.path().join("x.csv");
    std::fs::write(&csv, "id,when,likes\nt1,2024-03-01T10:00:00Z,5\nt2,2024-03-01T11:00:00Z\nt3,2024-03-02T10:00:00Z,NaN\nt1,2024-03-01T10:00:00Z,5\n").unwrap();
    let out = run(
        lake,
        &[
            "import",
            csv.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    assert_eq!(import_counts(&out, "x.csv"), (4, 1, 3), "{}", stdout(&out));
    let reasons: Vec<String> = query(lake, "SELECT reason FROM raw.rejects ORDER BY record")
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        reasons[0].contains("2 fields, the header has 3"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("NaN"), "{reasons:?}");
    assert!(reasons[2].contains("duplicate"), "{reasons:?}");

    // A mapping naming a column the file lacks: one line naming both, exit 2.
    std::fs::write(
        &mapping,
        "name = \"m\"\ntable = \"raw.posts\"\n[fields]\npost_id = { from = \"Post Identifier\" }\n",
    )
    .unwrap();
    let out = run(
        lake,
        &[
            "import",
            csv.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("m.toml") && err.contains("Post Identifier") && err.contains("\"when\""),
        "{err}"
    );
    // A mapping naming a column the table lacks.
    std::fs::write(
        &mapping,
        "name = \"m\"\ntable = \"raw.posts\"\n[fields]\nlikez = { from = \"likes\" }\n",
    )
    .unwrap();
    let out = run(
        lake,
        &[
            "import",
            csv.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("\"likez\" is not a column of raw.posts"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn whole_input_errors_name_the_file_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[\n {\"id\": 1},\n {\"id\": 2\n").unwrap();
    let out = run(lake, &["import", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("broken.json") && err.contains("line"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = run(lake, &["import", "/no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/no/such/file.json"));

    let out = run(
        lake,
        &["import", broken.to_str().unwrap(), "--payload", "nope"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("seed_post"),
        "lists the payloads: {}",
        stderr(&out)
    );
}
