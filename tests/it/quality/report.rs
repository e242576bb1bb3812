//! `creativeiq report quality`: a self-contained HTML file whose charts
//! render in headless Chromium without console errors.

use std::path::Path;

use serde_json::json;

use super::world::{World, AS_OF};
use crate::common::*;

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

    let Some(chromium) = chromium_or_skip("The quality report's rendering") else {
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
    keep_in_docs(&png, "quality-report.png");
    eprintln!("screenshot of the quality report: {}", png.display());
}
