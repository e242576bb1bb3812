//! `creativeiq report model`: the model report of a lake with two training
//! runs (one by `creativeiq train --dataset`, one scored on A/B tests),
//! rendered in headless Chromium without console errors.

use std::path::Path;

use creativeiq::lake::Lake;
use creativeiq::train::publish::publish;
use creativeiq::train::{ModelKind, TrainJob};

use crate::common::*;
use crate::train::{friedman, quick, write_training_file, x3_ab_pairs};

/// The HTML of one section: from its heading to the next.
fn section<'a>(html: &'a str, anchor: &str) -> &'a str {
    let start = html
        .find(&format!("<h2 id=\"{anchor}\">"))
        .unwrap_or_else(|| panic!("no section {anchor}"));
    let rest = &html[start + 1..];
    &rest[..rest.find("<h2 ").unwrap_or(rest.len())]
}

#[test]
fn the_model_report_charts_a_run_and_renders_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let lake_dir = tmp.path().join("lake");
    let lake = lake_dir.to_str().unwrap();

    // A lake without a run says so.
    let empty_html = tmp.path().join("empty.html");
    let out = run(
        lake,
        &["report", "model", "--out", empty_html.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("no training run"), "{}", stdout(&out));
    assert!(std::fs::read_to_string(&empty_html)
        .unwrap()
        .contains("No training run yet"));

    // Run 1: the command, on a training file.
    let data = friedman(360, 6, 2.0, 21);
    let file = tmp.path().join("training.parquet");
    write_training_file(&data, &file);
    let out = run(
        lake,
        &[
            "train",
            "--dataset",
            file.to_str().unwrap(),
            "--kinds",
            "elastic_net,gbt_depthwise,tier_forest",
            "--search-candidates",
            "1",
            "--folds",
            "3",
            "--min-platform-rows",
            "100",
            "--run",
            "run-1",
            "--quiet",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Run 2: the library, scored on A/B tests (the command takes none).
    let kinds = [ModelKind::ElasticNet, ModelKind::GbtDepthwise];
    let mut job = TrainJob::new()
        .with_run_id("run-2")
        .with_kinds(&kinds)
        .with_seed(7)
        .with_folds(3)
        .with_per_platform(false)
        .with_importance_repeats(2)
        .with_ab_pairs(x3_ab_pairs(data.feature_names(), 30, 8));
    for k in kinds {
        job = job.with_params(k, quick(k));
    }
    let second = job.run(&data).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let lake = Lake::open(lake).await.unwrap();
        publish(&lake, &second).await.unwrap();
    });

    let html_path = tmp.path().join("model.html");
    let out = run(
        lake,
        &["report", "model", "--out", html_path.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stdout(&out);
    let champion = second.report.champions["all"].kind.name();
    assert!(
        summary.contains("run run-2 (of 2 in the lake): 2 models"),
        "{summary}"
    );
    assert!(summary.contains("champion all"), "{summary}");
    assert!(summary.contains(champion), "{summary}");

    let html = std::fs::read_to_string(&html_path).unwrap();
    // Self-contained: no script, no external resource.
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href=\"http"));
    // One dot per holdout post of the champion, in the scatter and again
    // among the residuals.
    let holdout_rows = count(
        lake,
        &format!("SELECT count(*) AS n FROM metrics.holdout_predictions WHERE run = 'run-2' AND scope = 'all' AND model_kind = '{champion}'"),
    ) as usize;
    assert!(holdout_rows > 20, "{holdout_rows}");
    assert!(summary.contains(&format!("{holdout_rows} holdout predictions charted")));
    for anchor in ["holdout", "residuals"] {
        let part = section(&html, anchor);
        assert_eq!(part.matches("<svg").count(), 1, "{anchor}");
        assert_eq!(part.matches("<circle").count(), holdout_rows, "{anchor}");
    }
    assert!(
        section(&html, "residuals").contains("instagram (")
            && section(&html, "residuals").contains("linkedin (")
    );
    // Every cross-validation fold of both models is a dot.
    let folds = count(
        lake,
        "SELECT count(*) AS n FROM metrics.cv_folds WHERE run = 'run-2'",
    ) as usize;
    assert_eq!(folds, 6);
    assert_eq!(section(&html, "cv").matches("<circle").count(), folds);
    // The permutation importance names the features, x3 among them.
    let importance = section(&html, "importance");
    assert!(
        importance.contains("<svg") && importance.contains(">\nx3\n</text>"),
        "x3 is charted"
    );
    // The champion history holds both runs; run 2's champion is current.
    let champions = section(&html, "champions");
    assert!(champions.contains("run-1") && champions.contains("run-2"));
    assert!(champions.contains("<td class=\"true\">true</td>"));
    assert_eq!(champions.matches("<svg").count(), 1);
    // The A/B pairwise accuracy of both models.
    let ab = section(&html, "ab");
    assert!(ab.contains("<svg") && ab.contains("(30 tests)"), "{ab}");

    // An earlier run, with its per-platform scopes and tier classifier, and
    // no A/B results; an unknown run is an error that lists the runs.
    let first_html = tmp.path().join("first.html");
    let out = run(
        lake,
        &[
            "report",
            "model",
            "--run",
            "run-1",
            "--out",
            first_html.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let first = std::fs::read_to_string(&first_html).unwrap();
    assert!(first.contains("instagram / gbt_depthwise") && first.contains("tier classifier"));
    assert!(section(&first, "ab").contains("not scored on A/B tests"));
    let out = run(lake, &["report", "model", "--run", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("run-2, run-1"), "{}", stderr(&out));
    // Without --out, the report goes into the lake.
    let out = run(lake, &["report", "model"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(lake_dir.join("reports/model.html").exists());

    let Some(chromium) = chromium_or_skip("The model report's rendering") else {
        return;
    };
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("model-report.png");
    let errors = screenshot(&chromium, &html_path, &png, 3300);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    // The charts are drawn: the dots and bars of the first platform and
    // model (blue), of the second (orange), the A/B champion (green).
    for (name, colour, least) in [
        ("blue", [31, 119, 180], 2_000),
        ("orange", [255, 127, 14], 300),
        ("green", [44, 160, 44], 1_000),
    ] {
        let n = pixels_of(&png, colour);
        assert!(n > least, "only {n} {name} pixels in {}", png.display());
    }
    keep_in_docs(&png, "model-report.png");
    eprintln!("screenshot of the model report: {}", png.display());
}
