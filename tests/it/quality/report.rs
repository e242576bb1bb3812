//! `creativeiq report quality`: a self-contained HTML file whose charts
//! render in headless Chromium without console errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use super::world::{World, AS_OF};
use crate::common::*;

/// The Chromium binary: $CHROMIUM, or `chromium` on the PATH (`make
/// setup-chromium`, part of `make test`, installs Debian's).
fn chromium() -> Option<PathBuf> {
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

/// Loads `page` in headless Chromium, saves a screenshot, and returns the
/// page's console messages (errors, uncaught exceptions, failed loads).
fn screenshot(chromium: &Path, page: &Path, png: &Path, height: u32) -> Vec<String> {
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
fn pixels_of(png: &Path, colour: [u8; 3]) -> usize {
    let image = image::open(png).unwrap().to_rgb8();
    image
        .pixels()
        .filter(|p| p.0.iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 6))
        .count()
}

#[test]
fn the_quality_report_renders_in_chromium_without_console_errors() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut world = World::clean();
    world.post_mut("fa_4")["image_sha256"] = json!(super::world::sha("never fetched"));
    world.post_mut("ti_2")["shares"] = json!(-1);
    let dir = tempfile::tempdir().unwrap();
    let (_lake, lake) = runtime.block_on(world.write(dir.path()));
    for _ in 0..2 {
        let out = run(&lake, &["validate", "--as-of", AS_OF]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let html = dir.path().join("quality.html");
    let out = run(
        &lake,
        &["report", "quality", "--out", html.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("quality score 68/100"), "{summary}");
    assert!(
        summary.contains("image_integrity") && summary.contains("out_of_range"),
        "{summary}"
    );
    assert!(
        summary.contains("posts: 120 (118 valid, 2 rejected)"),
        "{summary}"
    );

    let text = std::fs::read_to_string(&html).unwrap();
    // Self-contained: no script, no external resource; six inline charts.
    assert!(!text.contains("<script") && !text.contains("src=") && !text.contains("href=\"http"));
    assert_eq!(text.matches("<svg").count(), 6, "six charts");
    for section in [
        "Platform distribution",
        "Missing data per column",
        "Metric distributions",
        "Checks over time",
        "A/B results",
        "platform=facebook post_id=fa_4",
    ] {
        assert!(text.contains(section), "{section}");
    }

    // Without an --out, the report goes into the lake.
    let out = run(&lake, &["report", "quality"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(Path::new(&lake).join("reports/quality.html").exists());

    let Some(chromium) = chromium() else {
        eprintln!("\n\n!!!!!!!!!! SKIPPED: no chromium on this machine; `make setup-chromium` (part of `make test`) installs Debian's chromium. The report's rendering was NOT checked. !!!!!!!!!!\n\n");
        return;
    };
    // The harness itself sees console errors.
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><script>no_such_function();</script></body></html>",
    )
    .unwrap();
    let errors = screenshot(&chromium, &bad, &dir.path().join("bad.png"), 300);
    assert!(
        errors.iter().any(|e| e.contains("no_such_function")),
        "{errors:?}"
    );

    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("quality-report.png");
    let errors = screenshot(&chromium, &html, &png, 6000);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    // The charts are drawn: the bars and lines (blue), passing checks and
    // significant A/B results (green), failures and rejected posts (red).
    for (name, colour) in [
        ("blue", [31, 119, 180]),
        ("green", [44, 160, 44]),
        ("red", [214, 39, 40]),
    ] {
        let n = pixels_of(&png, colour);
        assert!(n > 2_000, "only {n} {name} pixels in {}", png.display());
    }
    eprintln!("screenshot of the quality report: {}", png.display());
}
