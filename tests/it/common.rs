//! Shared helpers: running the binary, temporary lakes, reading Parquet.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_creativeiq"));
    command
        .env_remove("CREATIVEIQ_LAKE")
        .env("RUST_LOG", "warn");
    command
}

/// Runs the binary with `--lake lake` and the given arguments.
pub fn run(lake: &str, args: &[&str]) -> Output {
    bin()
        .arg("--lake")
        .arg(lake)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fixture under `tests/data/`.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

/// Runs a query and returns its rows as JSON objects.
pub fn query(lake: &str, sql: &str) -> Vec<serde_json::Value> {
    query_with(lake, &[], sql)
}

/// [`query`] with global flags before `sql` (e.g. `--set NAME=VALUE`).
pub fn query_with(lake: &str, flags: &[&str], sql: &str) -> Vec<serde_json::Value> {
    let args = [flags, &["sql", sql, "--format", "json"]].concat();
    let output = run(lake, &args);
    assert!(output.status.success(), "{sql}: {}", stderr(&output));
    stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json lines"))
        .collect()
}

/// The single number a `SELECT count(*) AS n` query returns.
pub fn count(lake: &str, sql: &str) -> i64 {
    count_with(lake, &[], sql)
}

/// [`count`] with global flags, as [`query_with`].
pub fn count_with(lake: &str, flags: &[&str], sql: &str) -> i64 {
    let rows = query_with(lake, flags, sql);
    rows.first()
        .and_then(|r| r.get("n"))
        .and_then(|n| n.as_i64())
        .unwrap_or_else(|| panic!("{sql} returned {rows:?}"))
}

/// The `read landed rejected` counts `import` printed for `input`.
pub fn import_counts(output: &Output, input: &str) -> (u64, u64, u64) {
    let text = stdout(output);
    let line = text
        .lines()
        .find(|l| l.contains(input))
        .unwrap_or_else(|| panic!("no line for {input} in {text}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .rev()
        .take(3)
        .map(|n| n.parse().expect("a count"))
        .collect();
    (numbers[2], numbers[1], numbers[0])
}

/// Every `.parquet` file under `dir`.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Rows in a Parquet file, reading every page (fails on a partial file).
pub fn read_parquet_rows(path: &Path) -> Result<usize, String> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| e.to_string())?;
    let mut rows = 0;
    for batch in reader {
        rows += batch.map_err(|e| e.to_string())?.num_rows();
    }
    Ok(rows)
}

/// Writes `n` seed-format post records as NDJSON, spread over platforms and days.
pub fn write_posts_ndjson(path: &Path, n: usize, days: usize) {
    use std::io::Write;
    let platforms = ["instagram", "linkedin", "facebook", "tiktok"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let day = i % days;
        let date =
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(day as u64);
        writeln!(
            out,
            r#"{{"id":"p{i}","platform":"{}","image_url":"https://cdn.example.com/{i}.jpg","engagement_metrics":{{"likes":{},"comments":{},"shares":{},"saves":{},"reach":{},"impressions":{}}},"audience_size":{},"posting_time":"{}T{:02}:15:00Z"}}"#,
            platforms[i % platforms.len()],
            i % 997,
            i % 31,
            i % 17,
            i % 13,
            5000 + i % 7000,
            9000 + i % 11000,
            10000 + i % 90000,
            date,
            i % 24
        )
        .unwrap();
    }
}

/// The real sample images, fetched from the registries by `make test-data`
/// (scikit-image's wheel and Debian's sway-backgrounds).
pub fn real_images() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(".data/images");
    assert!(
        dir.join("astronaut.png").exists(),
        "the real test images are missing from {}: run `make test-data` (make test does)",
        dir.display()
    );
    dir
}

/// The Chromium binary: $CHROMIUM, or `chromium` on the PATH (`make
/// setup-chromium`, part of `make test`, installs Debian's).
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// The Chromium binary, or None after saying loudly that `what` is not
/// checked on this machine.
pub fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        eprintln!("\n\n!!!!!!!!!! SKIPPED: no chromium on this machine; `make setup-chromium` (part of `make test`) installs Debian's chromium. {what} was NOT checked. !!!!!!!!!!\n\n");
    }
    found
}

/// Loads `page` in headless Chromium, saves a screenshot, and returns the
/// page's console messages (errors, uncaught exceptions, failed loads).
pub fn screenshot(chromium: &Path, page: &Path, png: &Path, height: u32) -> Vec<String> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size=1200,{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(png.exists(), "chromium wrote no screenshot: {log}");
    log.lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect()
}

/// Pixels of a colour (within a small tolerance, for anti-aliasing).
pub fn pixels_of(png: &Path, colour: [u8; 3]) -> usize {
    let image = image::open(png).unwrap().to_rgb8();
    image
        .pixels()
        .filter(|p| p.0.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 6))
        .count()
}

/// Copies a report screenshot into `docs/` (the README shows it) when
/// `CREATIVEIQ_UPDATE_DOCS` is set (`make report-check` sets it), so that a
/// plain `make test` leaves the work tree as it found it.
pub fn keep_in_docs(png: &Path, name: &str) {
    if std::env::var_os("CREATIVEIQ_UPDATE_DOCS").is_none() {
        return;
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::copy(png, docs.join(name)).unwrap();
}

/// `creativeiq brand check IMAGE --brand BRAND --json`, which must succeed.
pub fn brand_check(lake: &str, image: &Path, brand: &str) -> serde_json::Value {
    let output = run(
        lake,
        &[
            "brand",
            "check",
            image.to_str().unwrap(),
            "--brand",
            brand,
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}
