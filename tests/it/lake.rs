//! The lake's write guarantees: atomic files, Hive partitions, contracts.

use std::time::{Duration, Instant};

use crate::common::*;

/// Kills an import at several points (while parsing, and just as files start
/// to appear) and checks that every visible file is whole; a final run then
/// gives exactly the rows of a clean run.
#[test]
fn a_killed_import_leaves_no_partial_file_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = lake_dir.to_str().unwrap();
    let input = dir.path().join("big.ndjson");
    let records = 120_000;
    write_posts_ndjson(&input, records, 300);

    let mut kills_while_writing = 0;
    for attempt in 0..6 {
        let mut child = bin()
            .args(["--lake", lake, "--quiet", "import", input.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        if attempt % 2 == 0 {
            // Kill as soon as the first files show up: mid-way through writing.
            let posts = lake_dir.join("raw/posts");
            while started.elapsed() < Duration::from_secs(120) {
                if !parquet_files(&posts).is_empty() || child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_millis(5 * attempt as u64));
        } else {
            std::thread::sleep(Duration::from_millis(150 * attempt as u64));
        }
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        if !finished && !parquet_files(&lake_dir).is_empty() {
            kills_while_writing += 1;
        }
        for file in parquet_files(&lake_dir) {
            read_parquet_rows(&file)
                .unwrap_or_else(|e| panic!("partial file {}: {e}", file.display()));
        }
        // What a query sees is whole too: staging files are invisible.
        let visible = count(lake, "SELECT count(*) AS n FROM raw.posts");
        assert!(visible <= records as i64);
    }
    assert!(
        kills_while_writing > 0,
        "no kill landed while files were being written"
    );

    let out = run(lake, &["import", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        count(lake, "SELECT count(*) AS n FROM raw.posts"),
        records as i64
    );
    assert_eq!(
        count(lake, "SELECT count(DISTINCT post_id) AS n FROM raw.posts"),
        records as i64
    );
}

#[test]
fn files_are_zstd_with_statistics_and_hive_partitions() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let out = run(
        lake.to_str().unwrap(),
        &[
            "import",
            fixture("seed/instagram_posts.json").to_str().unwrap(),
            "--platform",
            "instagram",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let files = parquet_files(&lake);
    assert!(files.iter().all(|f| f
        .to_str()
        .unwrap()
        .contains("/raw/posts/platform=instagram/dt=2024-")));
    let reader = SerializedFileReader::new(std::fs::File::open(&files[0]).unwrap()).unwrap();
    let meta = reader.metadata();
    let column = meta.row_group(0).column(0);
    // The footer records the codec, not its level.
    assert!(column.compression().to_string().starts_with("ZSTD"));
    assert!(column.statistics().is_some());
    let kv = meta.file_metadata().key_value_metadata().unwrap();
    assert!(kv
        .iter()
        .any(|k| k.key == "creativeiq.table" && k.value.as_deref() == Some("raw.posts")));
    // Partition keys live in the folder names, not in the files.
    let schema = meta.file_metadata().schema_descr();
    assert!(schema
        .columns()
        .iter()
        .all(|c| c.name() != "platform" && c.name() != "dt"));
}

#[tokio::test]
async fn a_write_that_breaks_its_contract_is_refused() {
    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let lake = creativeiq::lake::Lake::open(dir.path().to_str().unwrap())
        .await
        .unwrap();
    let contract = creativeiq::contract::table("raw.images").unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "sha256",
        DataType::Int64,
        false,
    )]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))]).unwrap();
    let err = lake
        .write_table_file(contract, &["2024-01-01".into()], "x", &batch)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("breaks its contract"), "{err}");
    assert!(parquet_files(dir.path()).is_empty());
}

#[test]
fn a_misspelled_lake_is_a_one_line_error() {
    for (lake, says) in [
        ("s3:/bucket", "did you mean"),
        ("gs2://x/y", "unknown scheme"),
    ] {
        let out = run(lake, &["sql", "SELECT 1"]);
        assert_eq!(out.status.code(), Some(2), "{lake}");
        let err = stderr(&out);
        assert!(
            err.contains(says) && err.lines().count() == 1,
            "{lake}: {err}"
        );
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = run(file.path().to_str().unwrap(), &["sql", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"));
}

#[test]
fn schema_prints_every_contract() {
    let out = bin().args(["schema"]).output().unwrap();
    let text = stdout(&out);
    for table in [
        "raw.posts",
        "raw.ab_tests",
        "raw.annotations",
        "raw.rejects",
        "raw.images",
    ] {
        assert!(text.contains(table), "{table}");
    }
    let out = bin().args(["schema", "raw.posts"]).output().unwrap();
    assert!(stdout(&out).contains("published_at") && stdout(&out).contains("partition"));
    let out = bin().args(["schema", "raw.nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("known tables"));
}
