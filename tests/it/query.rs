//! `creativeiq sql`: partition pruning, read-only, output formats.

use crate::common::*;

fn lake_with_posts(dir: &std::path::Path) -> String {
    let lake = dir.join("lake").to_str().unwrap().to_string();
    let input = dir.join("posts.ndjson");
    write_posts_ndjson(&input, 1_200, 12);
    let out = run(&lake, &["import", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    lake
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_on_one_day_reads_only_that_partition() {
    use datafusion::physical_plan::{collect, displayable};
    let dir = tempfile::tempdir().unwrap();
    let lake_path = lake_with_posts(dir.path());
    let lake = creativeiq::lake::Lake::open(&lake_path).await.unwrap();
    let session = creativeiq::query::Session::open(&lake).await.unwrap();

    let frame = session
        .query("SELECT post_id, likes FROM raw.posts WHERE dt = '2024-01-03'")
        .await
        .unwrap();
    let plan = frame.create_physical_plan().await.unwrap();
    let shown = displayable(plan.as_ref()).indent(true).to_string();
    let scanned: Vec<&str> = shown
        .split(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace())
        .filter(|s| s.ends_with(".parquet"))
        .collect();
    assert!(!scanned.is_empty(), "{shown}");
    assert!(
        scanned.iter().all(|f| f.contains("dt=2024-01-03/")),
        "{shown}"
    );
    let all_files = parquet_files(&std::path::Path::new(&lake_path).join("raw/posts"));
    assert_eq!(all_files.len(), 12);
    assert_eq!(scanned.len(), 1, "one of 12 files: {shown}");

    let batches = collect(plan, session.context().task_ctx()).await.unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 100);
}

#[test]
fn writes_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_posts(dir.path());
    for statement in [
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE raw.posts",
        "INSERT INTO raw.posts SELECT * FROM raw.posts",
        "COPY (SELECT 1) TO '/tmp/creativeiq-copy-test.csv'",
        "CREATE VIEW v AS SELECT 1",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let out = run(&lake, &["sql", statement]);
        assert_eq!(out.status.code(), Some(2), "{statement}");
        assert!(
            stderr(&out).contains("only reads"),
            "{statement}: {}",
            stderr(&out)
        );
    }
    assert_eq!(count(&lake, "SELECT count(*) AS n FROM raw.posts"), 1_200);
}

#[test]
fn results_print_as_table_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let lake = lake_with_posts(dir.path());
    let sql = "SELECT platform, count(*) AS n FROM raw.posts GROUP BY platform ORDER BY platform";
    let table = stdout(&run(&lake, &["sql", sql]));
    assert!(
        table.contains("| facebook") && table.contains("| 300 "),
        "{table}"
    );
    let csv = stdout(&run(&lake, &["sql", sql, "--format", "csv"]));
    assert_eq!(csv.lines().next(), Some("platform,n"));
    assert!(csv.contains("instagram,300"));
    let rows = query(&lake, sql);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3]["platform"], "tiktok");

    // A nested value (a design's palette, here a literal list and struct)
    // prints as JSON text in its CSV cell.
    let nested =
        "SELECT platform, make_array(1, 2) AS l, named_struct('hex', '#fff', 'share', 0.5) AS s \
                  FROM raw.posts ORDER BY platform LIMIT 1";
    let csv = stdout(&run(&lake, &["sql", nested, "--format", "csv"]));
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "platform,l,s",
            r##"facebook,"[1,2]","{""hex"":""#fff"",""share"":0.5}""##
        ],
        "{csv}"
    );

    // A misspelt column: one line that says so once, not once per cause.
    let out = run(&lake, &["sql", "SELECT nope FROM raw.posts"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.matches("No field named nope").count(), 1, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("creativeiq:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn an_empty_lake_answers_with_empty_tables() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("empty").to_str().unwrap().to_string();
    assert_eq!(count(&lake, "SELECT count(*) AS n FROM raw.posts"), 0);
    assert_eq!(count(&lake, "SELECT count(*) AS n FROM raw.rejects"), 0);
}
