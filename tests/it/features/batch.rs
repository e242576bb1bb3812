//! The feature batch job over a real lake (a temporary directory, and S3 on
//! a local moto server): incremental runs, versions, partitions, batching,
//! bounded memory, and a reason for every bad image.

use std::path::Path;

use creativeiq::features::{FeatureJob, EXTRACTOR_VERSION};
use creativeiq::ingest::images::ImageLog;
use creativeiq::lake::Lake;

use crate::common::*;

/// A PNG or JPEG of `w` x `h` whose content depends on `seed` (so each
/// seed is a different blob).
fn image_bytes(w: u32, h: u32, seed: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = x.wrapping_mul(7 + seed) ^ y.wrapping_mul(13 + 2 * seed);
        image::Rgb([
            (v % 251) as u8,
            ((x + seed) % 256) as u8,
            ((y * 3 + seed) % 256) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

fn png(w: u32, h: u32, seed: u32) -> Vec<u8> {
    image_bytes(w, h, seed, image::ImageFormat::Png)
}

fn jpeg(w: u32, h: u32, seed: u32) -> Vec<u8> {
    image_bytes(w, h, seed, image::ImageFormat::Jpeg)
}

/// Microseconds of noon UTC on `day` (YYYY-MM-DD): the image's `dt`.
fn noon(day: &str) -> i64 {
    let date: chrono::NaiveDate = day.parse().expect("a date");
    date.and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
        .timestamp_micros()
}

/// Lands images in `raw/images` and `blobs/images` the way collectors do,
/// each on its day; returns their sha256 in order.
fn land(lake: &str, images: &[(&str, Vec<u8>)]) -> Vec<String> {
    runtime().block_on(async {
        let lake = Lake::open(lake).await.expect("lake opens");
        let mut log = ImageLog::new(&format!("test-{}", images.len()), Default::default());
        let mut shas = Vec::new();
        for (i, (day, bytes)) in images.iter().enumerate() {
            let url = format!("https://cdn.example.com/{i}.img");
            let landed = log
                .land(&lake, &url, bytes.clone().into(), noon(day))
                .await
                .expect("lands");
            shas.push(landed.sha256);
        }
        log.finish(&lake).await.expect("raw.images written");
        shas
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs the job through the library (for the options the CLI keeps fixed).
fn run_job(lake: &str, job: FeatureJob) -> creativeiq::features::FeatureReport {
    runtime().block_on(async {
        let lake = Lake::open(lake).await.expect("lake opens");
        job.with_progress(false)
            .run(&lake)
            .await
            .expect("the job runs")
    })
}

/// The counts `creativeiq features` printed: (pending, extracted, errors, files).
fn printed_counts(out: &std::process::Output) -> (u64, u64, u64, u64) {
    let text = stdout(out);
    let number_before = |label: &str| -> u64 {
        let at = text
            .find(label)
            .unwrap_or_else(|| panic!("no {label:?} in {text}"));
        text[..at]
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count before {label:?} in {text}"))
    };
    (
        number_before(" pending"),
        number_before(" extracted"),
        number_before(" with an error"),
        number_before(" files"),
    )
}

/// The peak memory `creativeiq features` printed, in MiB.
fn printed_peak_mib(out: &std::process::Output) -> f64 {
    let text = stdout(out);
    let rest = text
        .split("peak memory ")
        .nth(1)
        .unwrap_or_else(|| panic!("no peak memory in {text}"));
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after peak memory in {text}"))
}

fn feature_files(lake: &Path) -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    parquet_files(&lake.join("features/design"))
        .into_iter()
        .map(|p| {
            let modified = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, modified)
        })
        .collect()
}

#[test]
fn a_second_run_does_nothing_and_a_new_version_recomputes() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_str().unwrap();
    let days = ["2024-03-01", "2024-03-01", "2024-03-02", "2024-03-03"];
    let images: Vec<(&str, Vec<u8>)> = (0..12u32)
        .map(|i| {
            let bytes = if i % 2 == 0 {
                png(120 + i, 90, i)
            } else {
                jpeg(90, 120 + i, i)
            };
            (days[i as usize % days.len()], bytes)
        })
        .collect();
    land(lake, &images);

    let first = run(lake, &["features"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(printed_counts(&first), (12, 12, 0, 3), "{}", stdout(&first));
    assert_eq!(
        count(
            lake,
            &format!("SELECT count(*) AS n FROM features.design WHERE version = '{EXTRACTOR_VERSION}' AND error IS NULL AND width > 0 AND palette IS NOT NULL")
        ),
        12
    );
    // Each row sits in its image's dt partition.
    let per_day = query(
        lake,
        "SELECT f.dt, count(*) AS n FROM features.design f JOIN raw.images i ON f.image_sha256 = i.sha256 AND f.dt = i.dt GROUP BY f.dt ORDER BY f.dt",
    );
    let per_day: Vec<(String, i64)> = per_day
        .iter()
        .map(|r| {
            (
                r["dt"].as_str().unwrap().to_string(),
                r["n"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_day,
        [
            ("2024-03-01".to_string(), 6),
            ("2024-03-02".to_string(), 3),
            ("2024-03-03".to_string(), 3)
        ]
    );
    let files = feature_files(dir.path());
    assert_eq!(files.len(), 3);

    let second = run(lake, &["features"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(printed_counts(&second), (0, 0, 0, 0));
    assert_eq!(feature_files(dir.path()), files, "nothing rewritten");

    // New images only are extracted by the next run.
    land(lake, &[("2024-03-03", png(64, 64, 99))]);
    let third = run(lake, &["features"]);
    assert_eq!(printed_counts(&third), (1, 1, 0, 1), "{}", stdout(&third));

    // A new extractor version recomputes every image, beside the old rows.
    let v2 = run_job(lake, FeatureJob::default().with_version("next-test"));
    assert_eq!((v2.pending, v2.extracted, v2.failed), (13, 13, 0));
    let again = run_job(lake, FeatureJob::default().with_version("next-test"));
    assert_eq!(again.pending, 0);
    let versions = query(
        lake,
        "SELECT version, count(*) AS n FROM features.design GROUP BY version ORDER BY version",
    );
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.iter().all(|r| r["n"].as_i64() == Some(13)));
    // Same pixels, same extractor code: the two versions agree exactly.
    assert_eq!(
        count(
            lake,
            &format!("SELECT count(*) AS n FROM features.design a JOIN features.design b ON a.image_sha256 = b.image_sha256 \
             WHERE a.version = '{EXTRACTOR_VERSION}' AND b.version = 'next-test' AND a.brightness = b.brightness AND a.text_coverage = b.text_coverage")
        ),
        13
    );
}

#[test]
fn partitions_and_force_choose_what_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_str().unwrap();
    let images: Vec<(&str, Vec<u8>)> = (0..6u32)
        .map(|i| {
            let day = ["2024-05-01", "2024-05-02", "2024-05-03"][i as usize % 3];
            (day, png(80, 60, i))
        })
        .collect();
    land(lake, &images);

    let one_day = run(lake, &["features", "--partition", "dt=2024-05-02"]);
    assert!(one_day.status.success(), "{}", stderr(&one_day));
    assert_eq!(printed_counts(&one_day), (2, 2, 0, 1));
    let range = run(
        lake,
        &["features", "--since", "2024-05-02", "--until", "2024-05-03"],
    );
    assert_eq!(printed_counts(&range), (2, 2, 0, 1), "{}", stdout(&range));
    let rest = run(lake, &["features"]);
    assert_eq!(printed_counts(&rest), (2, 2, 0, 1));

    // --force recomputes the chosen partition only, replacing its file.
    let before = feature_files(dir.path());
    let forced = run(
        lake,
        &["features", "--force", "--partition", "dt=2024-05-03"],
    );
    assert_eq!(printed_counts(&forced), (2, 2, 0, 1), "{}", stdout(&forced));
    let after = feature_files(dir.path());
    assert_eq!(after.len(), 3);
    let changed: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.to_string_lossy().into_owned())
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].contains("dt=2024-05-03"), "{changed:?}");
    assert_eq!(count(lake, "SELECT count(*) AS n FROM features.design"), 6);

    let bad = run(lake, &["features", "--partition", "2024-05-03"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("expected dt=YYYY-MM-DD"),
        "{}",
        stderr(&bad)
    );
}

/// A PNG whose header (CRC fixed up) claims `side` x `side` pixels.
fn png_bomb(side: u32) -> Vec<u8> {
    let mut bomb = png(1, 1, 0);
    bomb[16..20].copy_from_slice(&side.to_be_bytes());
    bomb[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid 2x2 24-bit BMP: a real image in a format the extractor does not read.
fn bmp() -> Vec<u8> {
    let mut b = b"BM".to_vec();
    b.extend_from_slice(&70u32.to_le_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&2i32.to_le_bytes());
    b.extend_from_slice(&2i32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(&[0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[test]
fn every_bad_image_gets_its_reason_and_the_batch_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_str().unwrap();
    let day = "2024-02-10";
    let good_png = png(150, 100, 1);
    let good_jpeg = jpeg(150, 100, 2);
    let mut corrupt = png(150, 100, 3);
    for b in corrupt.iter_mut().skip(80).take(64) {
        *b ^= 0x5A;
    }
    let truncated_png = good_png[..good_png.len() / 2].to_vec();
    let truncated_jpeg = good_jpeg[..good_jpeg.len() * 2 / 3].to_vec();
    let missing = png(40, 40, 4);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("good png", good_png.clone()),
        ("good jpeg", good_jpeg.clone()),
        ("zero bytes", Vec::new()),
        ("truncated png", truncated_png),
        ("truncated jpeg", truncated_jpeg),
        ("corrupt png", corrupt),
        (
            "not an image",
            b"<html><body>404 not found</body></html>".to_vec(),
        ),
        ("bomb", png_bomb(30_000)),
        ("bmp", bmp()),
        ("missing blob", missing.clone()),
    ];
    let shas = land(
        lake,
        &cases
            .iter()
            .map(|(_, b)| (day, b.clone()))
            .collect::<Vec<_>>(),
    );
    let missing_sha = &shas[shas.len() - 1];
    std::fs::remove_file(dir.path().join(format!(
        "blobs/images/{}/{missing_sha}.png",
        &missing_sha[..2]
    )))
    .expect("the blob to delete exists");

    let out = run(lake, &["features"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(printed_counts(&out), (10, 2, 8, 1), "{}", stdout(&out));
    assert!(stdout(&out).contains("SELECT image_sha256, error FROM features.design"));

    let rows = query(lake, "SELECT image_sha256, error FROM features.design");
    let error_of = |sha: &str| -> Option<String> {
        let row = rows
            .iter()
            .find(|r| r["image_sha256"] == sha)
            .unwrap_or_else(|| panic!("no row for {sha}"));
        row["error"].as_str().map(str::to_string)
    };
    let expected: [(&str, &[&str]); 10] = [
        ("good png", &[]),
        ("good jpeg", &[]),
        ("zero bytes", &["zero bytes"]),
        ("truncated png", &["truncated"]),
        ("truncated jpeg", &["truncated"]),
        ("corrupt png", &["corrupt"]),
        ("not an image", &["unrecognised format"]),
        ("bomb", &["30000x30000", "above the limits"]),
        ("bmp", &["unsupported image format Bmp"]),
        (
            "missing blob",
            &["no blob at blobs/images/", "deleted or never stored"],
        ),
    ];
    for ((name, words), sha) in expected.iter().zip(&shas) {
        let error = error_of(sha);
        if words.is_empty() {
            assert_eq!(error, None, "{name}");
            continue;
        }
        let error = error.unwrap_or_else(|| panic!("{name}: no error recorded"));
        for w in *words {
            assert!(error.contains(w), "{name}: {error:?} lacks {w:?}");
        }
    }
    // Failed images are done too: a second run does not retry them.
    assert_eq!(printed_counts(&run(lake, &["features"])), (0, 0, 0, 0));
}

#[test]
fn a_thousand_images_go_through_bounded_batches() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_str().unwrap();
    let images: Vec<(&str, Vec<u8>)> = (0..1000u32)
        .map(|i| ("2024-07-01", png(24 + i % 16, 18 + i % 8, i)))
        .collect();
    land(lake, &images);
    let report = run_job(
        lake,
        FeatureJob::default()
            .with_threads(2)
            .with_rows_per_file(300),
    );
    assert_eq!(
        (report.pending, report.extracted, report.failed),
        (1000, 1000, 0)
    );
    assert_eq!(report.files, 4, "300 + 300 + 300 + 100 rows");
    assert!(
        (1..=2).contains(&report.max_images_in_flight),
        "{} images decoded at once on 2 threads",
        report.max_images_in_flight
    );
    let files = parquet_files(&dir.path().join("features/design"));
    let mut sizes: Vec<usize> = files
        .iter()
        .map(|f| read_parquet_rows(f).unwrap())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [100, 300, 300, 300]);
    assert_eq!(
        count(
            lake,
            "SELECT count(DISTINCT image_sha256) AS n FROM features.design"
        ),
        1000
    );
}

#[test]
fn decoded_images_in_flight_follow_threads_and_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_str().unwrap();
    // Above 2 megapixels: large enough that extraction alone would split
    // each image over the pool.
    let images: Vec<(&str, Vec<u8>)> = (0..6u32)
        .map(|i| ("2024-08-01", jpeg(1800, 1200, i)))
        .collect();
    land(lake, &images);
    let one_image = 1800 * 1200 * 3;

    let by_threads = run_job(
        lake,
        FeatureJob::default().with_threads(3).with_version("t3"),
    );
    assert_eq!(by_threads.extracted, 6);
    assert!(
        by_threads.max_images_in_flight <= 3,
        "{}",
        by_threads.max_images_in_flight
    );
    assert!(by_threads.max_decoded_bytes <= 3 * one_image);

    let by_budget = run_job(
        lake,
        FeatureJob::default()
            .with_threads(3)
            .with_memory_budget(one_image + one_image / 2)
            .with_version("budget"),
    );
    assert_eq!(by_budget.extracted, 6);
    assert_eq!(
        by_budget.max_images_in_flight, 1,
        "one image fits the budget"
    );
    assert_eq!(by_budget.max_decoded_bytes, one_image);
}

#[test]
fn a_6000_by_4000_image_stays_within_its_memory() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().to_str().unwrap();
    let big = jpeg(6000, 4000, 5);
    land(
        lake,
        &[("2024-09-01", big), ("2024-09-01", png(300, 200, 6))],
    );
    let out = run(lake, &["features"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(printed_counts(&out), (2, 2, 0, 1));
    // 72 MB of RGB pixels, plus the runtime and the query engine: the
    // whole process stays far below what two copies, or float pixels
    // (288 MB), would take.
    let peak = printed_peak_mib(&out);
    assert!(peak < 250.0, "peak memory {peak} MiB");
    let rows = query(
        lake,
        "SELECT width, height FROM features.design ORDER BY width DESC",
    );
    assert_eq!(rows[0]["width"], 6000);
    assert_eq!(rows[0]["height"], 4000);
}

#[test]
fn the_job_runs_on_s3() {
    let moto = crate::s3::Moto::start();
    moto.create_bucket("feature-lake");
    let lake = "s3://feature-lake/team/lake";
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5u32 {
        std::fs::write(dir.path().join(format!("good-{i}.png")), png(100, 80, i)).unwrap();
    }
    std::fs::write(dir.path().join("broken.jpg"), &jpeg(100, 80, 9)[..300]).unwrap();
    let imported = moto.run(lake, &["import", dir.path().to_str().unwrap()]);
    assert_eq!(imported.status.code(), Some(1), "{}", stderr(&imported));

    let out = moto.run(lake, &["features"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(printed_counts(&out), (6, 5, 1, 1), "{}", stdout(&out));
    let again = moto.run(lake, &["features"]);
    assert_eq!(printed_counts(&again), (0, 0, 0, 0), "{}", stdout(&again));
    let errors = moto.run(
        lake,
        &[
            "sql",
            "SELECT count(*) AS n FROM features.design WHERE error LIKE '%truncated%'",
            "--format",
            "json",
        ],
    );
    assert!(errors.status.success(), "{}", stderr(&errors));
    assert!(stdout(&errors).contains("\"n\":1"), "{}", stdout(&errors));
}
