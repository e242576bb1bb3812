//! The weekly retrain job over a synthetic lake of five ISO weeks, built
//! the way a team builds theirs: the simulator serves a world whose ground
//! truth reverses at the start of the fourth week, the collector lands it,
//! and `creativeiq retrain` does the rest (gate, features, challengers,
//! decision, monitoring).
//!
//! Weeks: 2026-W20 .. W24 (11 May to 14 June 2026). Colour decides
//! engagement on every platform, and from W23's first instant, 1 June, it
//! costs what it gained before ([`GroundTruth::colour_reversal`]): a model
//! trained before the shift ranks the new posts upside down. The shift
//! starts a month too, so no month's labels mix the two regimes
//! (performance_score ranks a post within its platform and calendar month).
//! Every retrain trains on the week before the held-out week only
//! (--window-weeks 1), so the models compared saw the same amount of data
//! and differ only by when it was published: W23's challenger (trained on
//! W22) has not seen the shift yet, W24's (trained on W23) has.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use creativeiq::retrain::monitor::PSI_THRESHOLD;
use creativeiq::sim::World;
use creativeiq::synth::{self, GroundTruth, SynthConfig};

use crate::collect::harness::SimServer;
use crate::common::*;

/// One kind: the champion and the challenger then differ by the data they
/// saw, not by a kind picked on the held-out week itself (the job picks the
/// challenger's kind by its R² on the week it is compared on, which favours
/// the challenger; with two kinds the unchanged week promoted a tree model
/// that was luckier on that week).
const FAST: [&str; 10] = [
    "--kinds",
    "elastic_net",
    "--search-candidates",
    "1",
    "--search-seconds",
    "20",
    "--folds",
    "3",
    "--window-weeks",
    "1",
];

/// Only scope `all`: no platform has this many rows.
const NO_PLATFORMS: [&str; 2] = ["--min-platform-rows", "100000"];

fn retrain(lake: &str, week: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--quiet", "retrain", "--week", week];
    args.extend_from_slice(&FAST);
    if !extra.contains(&"--min-platform-rows") {
        args.extend_from_slice(&NO_PLATFORMS);
    }
    args.extend_from_slice(extra);
    let started = std::time::Instant::now();
    let output = run(lake, &args);
    eprintln!(
        "retrain {week} {extra:?}: {:.0?}\n{}",
        started.elapsed(),
        stdout(&output)
    );
    output
}

/// The champion's drift row of `quantity` (`score`, `abs_error`) in scope
/// `all` of a week.
fn drift(lake: &str, week: &str, quantity: &str) -> serde_json::Value {
    let rows = query(
        lake,
        &format!(
            "SELECT * FROM metrics.drift WHERE week = '{week}' AND scope = 'all' AND quantity = '{quantity}'"
        ),
    );
    assert_eq!(rows.len(), 1, "{week} {quantity}: {rows:?}");
    rows[0].clone()
}

fn psi(row: &serde_json::Value) -> f64 {
    row["psi"]
        .as_f64()
        .unwrap_or_else(|| panic!("no PSI: {row}"))
}

fn figure(row: &serde_json::Value, name: &str) -> f64 {
    row[name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {name}: {row}"))
}

fn registry(lake: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(lake.join("models/champions.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("champions.json: {e}\n{text}"))
}

/// Every file under the lake's models/ and metrics/ with its size and
/// modification time: what a no-op must leave as it was.
fn snapshot(lake: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    let mut files = BTreeMap::new();
    for top in ["models", "metrics"] {
        for entry in walk(&lake.join(top)) {
            let meta = std::fs::metadata(&entry).unwrap();
            files.insert(
                entry.display().to_string(),
                (meta.len(), meta.modified().unwrap()),
            );
        }
    }
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

fn decision(lake: &str, week: &str) -> serde_json::Value {
    let rows = query(
        lake,
        &format!("SELECT * FROM metrics.retrain_runs WHERE week = '{week}' AND scope = 'all'"),
    );
    assert_eq!(rows.len(), 1, "{week}: {rows:?}");
    rows[0].clone()
}

fn champion_run(lake: &Path) -> String {
    registry(lake)["champions"]["all"]["run_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn weekly_retrain_flags_the_shift_promotes_survives_a_kill_and_replays() {
    let started = std::time::Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let lake_dir = tmp.path().join("lake");
    let lake = lake_dir.to_str().unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 5, 11).unwrap();
    let config = SynthConfig::default()
        .with_seed(7)
        .with_posts(1000)
        .with_accounts(1)
        .with_period(start, 35)
        .with_experiments(0)
        .with_truth(GroundTruth::colour_reversal(
            "2026-06-01T00:00:00Z".parse().unwrap(),
            1.5,
        ));
    let world = World::from_synth(synth::generate(&config));
    let sim = SimServer::start_world(world, tmp.path());
    let collected = sim.collect(lake, "2026-05-11", "2026-06-15", &[]);
    assert!(
        collected.status.code().unwrap() <= 1,
        "{}",
        stderr(&collected)
    );
    drop(sim);
    eprintln!("lake collected: {:.0?}", started.elapsed());

    // The first week with a model: no champion yet, so the challenger wins.
    let first = retrain(lake, "2026-W21", &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let w21 = decision(lake, "2026-W21");
    assert_eq!(w21["decision"], "promote", "{w21}");
    assert_eq!(w21["reason"], "no champion yet");
    assert_eq!(champion_run(&lake_dir), "retrain-2026-W21");
    assert!(stdout(&first).contains("new images' features"));

    // An unchanged week: the champion errs as it did on its own holdout
    // (no drift of its errors), the challenger is no better, and the
    // champion stays. (The score's PSI is printed, not asserted: on two
    // samples of ~200 rows the PSI's sampling noise alone reaches 0.1-0.2.)
    let second = retrain(lake, "2026-W22", &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    let w22 = decision(lake, "2026-W22");
    let (error22, score22) = (
        drift(lake, "2026-W22", "abs_error"),
        drift(lake, "2026-W22", "score"),
    );
    eprintln!("W22: {w22}\n  {error22}\n  {score22}");
    assert_eq!(w22["decision"], "keep", "{w22}");
    assert_eq!(w22["champion_run"], "retrain-2026-W21");
    assert!(w22["n"].as_i64().unwrap() > 100, "{w22}");
    assert!(w22["p_value"].as_f64().is_some() && w22["champion_r2"].as_f64().is_some());
    assert_eq!(champion_run(&lake_dir), "retrain-2026-W21");
    assert!(
        psi(&error22) < PSI_THRESHOLD && error22["flagged"] == false,
        "{error22}"
    );
    // Colour decides engagement, so the champion learned something real.
    assert!(figure(&w22, "champion_r2") > 0.2, "{w22}");

    // Re-running a decided week changes nothing.
    let before = snapshot(&lake_dir);
    let again = retrain(lake, "2026-W22", &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("already decided"),
        "{}",
        stdout(&again)
    );
    assert_eq!(snapshot(&lake_dir), before);

    // Planted bad data (more likes than impressions) stops the job at the gate.
    let bad = tmp.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        r#"{"id":"planted","platform":"instagram","image_url":"https://cdn.example.com/x.jpg","engagement_metrics":{"likes":900,"comments":1,"shares":0,"saves":0,"reach":100,"impressions":200},"audience_size":1000,"posting_time":"2026-06-02T10:00:00Z"}"#.to_string() + "\n",
    )
    .unwrap();
    let files_before_import: Vec<_> = walk(&lake_dir.join("raw"));
    let imported = run(lake, &["import", bad.to_str().unwrap()]);
    assert!(
        imported.status.code().unwrap() <= 1,
        "{}",
        stderr(&imported)
    );
    let planted: Vec<_> = walk(&lake_dir.join("raw"))
        .into_iter()
        .filter(|f| !files_before_import.contains(f))
        .collect();
    assert!(!planted.is_empty());
    let registry_before = std::fs::read(lake_dir.join("models/champions.json")).unwrap();
    let gated = retrain(lake, "2026-W23", &[]);
    assert_eq!(gated.status.code(), Some(2), "{}", stdout(&gated));
    assert!(
        stderr(&gated).contains("quality gate"),
        "{}",
        stderr(&gated)
    );
    assert!(
        stderr(&gated).contains("out_of_range"),
        "{}",
        stderr(&gated)
    );
    let blocked = decision(lake, "2026-W23");
    assert_eq!(blocked["decision"], "blocked");
    assert_eq!(
        std::fs::read(lake_dir.join("models/champions.json")).unwrap(),
        registry_before
    );
    assert!(!lake_dir.join("models/retrain-2026-W23").exists());
    for f in planted {
        std::fs::remove_file(f).unwrap();
    }

    // The week the truth reverses, gate passed again: the champion's
    // errors drift far from those on its own holdout and its accuracy
    // drops. The challenger, trained on W22, has not seen the shift either:
    // no better, it is not promoted. (The scores need not drift: the posts
    // look as before, only what engages changed.)
    let shifted = retrain(lake, "2026-W23", &[]);
    assert!(shifted.status.success(), "{}", stderr(&shifted));
    let w23 = decision(lake, "2026-W23");
    let (error23, score23) = (
        drift(lake, "2026-W23", "abs_error"),
        drift(lake, "2026-W23", "score"),
    );
    eprintln!("W23: {w23}\n  {error23}\n  {score23}");
    assert_eq!(w23["decision"], "keep", "{w23}");
    assert!(
        psi(&error23) > PSI_THRESHOLD && error23["flagged"] == true,
        "{error23}"
    );
    assert!(psi(&error23) > psi(&error22), "{error23} vs {error22}");
    assert!(figure(&w23, "champion_r2") < 0.0, "{w23}");
    assert!(
        count(
            lake,
            "SELECT count(*) AS n FROM metrics.drift WHERE week = '2026-W23' AND kind = 'feature'"
        ) > 10
    );
    let accuracy23 = query(
        lake,
        "SELECT * FROM metrics.accuracy WHERE week = '2026-W23' AND scope = 'all'",
    );
    assert_eq!(accuracy23.len(), 1, "{accuracy23:?}");
    assert_eq!(accuracy23[0]["flagged"], true, "{accuracy23:?}");
    let monitor23 = stdout(&run(lake, &["monitor", "--week", "2026-W23"]));
    assert!(
        monitor23.contains("DRIFT all abs_error: PSI"),
        "{monitor23}"
    );
    assert!(monitor23.contains("ACCURACY all"), "{monitor23}");
    let monitor22 = stdout(&run(lake, &["monitor", "--week", "2026-W22"]));
    assert!(!monitor22.contains("DRIFT all abs_error"), "{monitor22}");

    // W24, the first week whose challenger learned from the shifted data,
    // with the largest platform in its own scope too. The run is killed
    // just after the registry write, before the monitoring tables and the
    // decision are written.
    let largest = query(
        lake,
        "SELECT platform, count(*) AS n FROM training_posts \
         WHERE dt >= '2026-06-01' AND dt < '2026-06-15' GROUP BY platform ORDER BY n DESC, platform",
    );
    let platform = largest[0]["platform"].as_str().unwrap().to_string();
    let platform_rows = largest[0]["n"].as_i64().unwrap().to_string();
    eprintln!("platforms of W23..W24: {largest:?}");
    let per_platform = ["--min-platform-rows", platform_rows.as_str()];
    let champion_before24 = champion_run(&lake_dir);
    let registry23 = registry(&lake_dir);
    let mut args = vec!["--lake", lake, "--quiet", "retrain", "--week", "2026-W24"];
    args.extend_from_slice(&FAST);
    args.extend_from_slice(&per_platform);
    let killed = bin()
        .args(&args)
        .env("CREATIVEIQ_FAIL_AT", "retrain:published")
        .output()
        .unwrap();
    assert_eq!(killed.status.code(), Some(137), "{}", stderr(&killed));
    assert!(
        stderr(&killed).contains("retrain:published"),
        "{}",
        stderr(&killed)
    );
    // What the kill leaves: a registry that parses, whose every champion
    // is a complete model, and no decision for the week.
    let after_kill = registry(&lake_dir);
    eprintln!("registry after the kill: {after_kill}");
    let champions = after_kill["champions"].as_object().unwrap();
    for (scope, c) in champions {
        let path = lake_dir.join(c["path"].as_str().unwrap());
        assert!(path.join("manifest.json").is_file(), "{scope}: {c}");
    }
    let promoted_by_kill: Vec<&String> = champions
        .iter()
        .filter(|(_, c)| c["run_id"] == "retrain-2026-W24")
        .map(|(scope, _)| scope)
        .collect();
    assert!(promoted_by_kill.iter().any(|s| *s == "all"), "{after_kill}");
    for (scope, c) in registry23["champions"].as_object().unwrap() {
        if !promoted_by_kill.contains(&scope) {
            assert_eq!(&champions[scope], c, "{scope} changed without a promotion");
        }
    }
    assert_eq!(
        count(
            lake,
            "SELECT count(*) AS n FROM metrics.retrain_runs WHERE week = '2026-W24'"
        ),
        0
    );
    // The champion the kill left predicts.
    let predicted = run(lake, &["predict", "--partition", "dt=2026-06-10"]);
    assert!(predicted.status.success(), "{}", stderr(&predicted));
    let models: Vec<String> = query(
        lake,
        "SELECT DISTINCT model_run, model_scope FROM predictions.posts WHERE dt = '2026-06-10'",
    )
    .iter()
    .map(|r| format!("{} {}", r["model_run"], r["model_scope"]))
    .collect();
    assert!(!models.is_empty());
    assert!(
        models.iter().all(|m| m.contains("retrain-2026-W24")),
        "{models:?}"
    );

    // Running the week again completes the record: one row per scope, the
    // same decisions, the same champions.
    let redone = retrain(lake, "2026-W24", &per_platform);
    assert!(redone.status.success(), "{}", stderr(&redone));
    let rows = query(
        lake,
        "SELECT * FROM metrics.retrain_runs WHERE week = '2026-W24' ORDER BY scope",
    );
    let scopes: Vec<&str> = rows.iter().map(|r| r["scope"].as_str().unwrap()).collect();
    assert_eq!(scopes, ["all", platform.as_str()], "{rows:?}");
    let promoted: Vec<&str> = rows
        .iter()
        .filter(|r| r["decision"] == "promote")
        .map(|r| r["scope"].as_str().unwrap())
        .collect();
    assert_eq!(promoted, promoted_by_kill, "{rows:?}");
    let after_redo = registry(&lake_dir);
    assert_eq!(after_redo["champions"], after_kill["champions"]);
    assert_eq!(
        count(lake, "SELECT count(*) AS n FROM metrics.drift WHERE week = '2026-W24' AND scope = 'all' AND quantity = 'abs_error'"),
        1
    );

    // The promotion: significantly better on the fresh week than the
    // pre-shift champion, by more than the margin.
    let w24 = decision(lake, "2026-W24");
    let (error24, score24) = (
        drift(lake, "2026-W24", "abs_error"),
        drift(lake, "2026-W24", "score"),
    );
    eprintln!("W24: {w24}\n  {error24}\n  {score24}");
    assert_eq!(w24["decision"], "promote", "{w24}");
    assert_eq!(w24["champion_run"], champion_before24.as_str(), "{w24}");
    assert!(
        figure(&w24, "p_value") < figure(&w24, "alpha") && figure(&w24, "statistic") > 0.0,
        "{w24}"
    );
    assert!(
        figure(&w24, "challenger_rmse") < figure(&w24, "champion_rmse"),
        "{w24}"
    );
    assert!(
        figure(&w24, "challenger_r2") > figure(&w24, "champion_r2"),
        "{w24}"
    );
    assert!(
        figure(&w24, "mse_improvement") >= figure(&w24, "margin"),
        "{w24}"
    );
    // The champion is still the pre-shift one, so its errors still drift.
    assert!(psi(&error24) > PSI_THRESHOLD, "{error24}");
    // The platform's challenger has its own row. The platform had no
    // champion of its own, so the general champion served it: that is what
    // the challenger had to beat, on the platform's rows of the week.
    let own = &rows[1];
    eprintln!("{platform}: {own}");
    assert_eq!(own["champion_run"], champion_before24.as_str(), "{own}");
    assert_ne!(own["reason"], "no champion yet", "{own}");
    assert!(own["p_value"].as_f64().is_some(), "{own}");
    assert!(
        own["n"].as_i64().unwrap() < w24["n"].as_i64().unwrap(),
        "{own}"
    );
    let own_champion = &after_redo["champions"][&platform];
    if own["decision"] == "promote" {
        assert!(
            figure(own, "p_value") < figure(own, "alpha")
                && figure(own, "mse_improvement") >= figure(own, "margin"),
            "{own}"
        );
        assert_eq!(
            own_champion["path"]
                .as_str()
                .unwrap()
                .split('/')
                .take(3)
                .collect::<Vec<_>>(),
            ["models", "retrain-2026-W24", platform.as_str()]
        );
    } else {
        assert_eq!(own["decision"], "keep", "{own}");
        assert!(own_champion.is_null(), "{after_redo}");
    }
    let own_promoted = own["decision"] == "promote";

    // Every decision is queryable, and monitor shows the week and its flags.
    let weeks: Vec<String> = query(
        lake,
        "SELECT week, decision FROM metrics.retrain_runs WHERE scope = 'all' ORDER BY week",
    )
    .iter()
    .map(|r| {
        format!(
            "{} {}",
            r["week"].as_str().unwrap(),
            r["decision"].as_str().unwrap()
        )
    })
    .collect();
    assert_eq!(weeks[0], "2026-W21 promote");
    assert_eq!(weeks[1], "2026-W22 keep");
    assert_eq!(weeks[2], "2026-W23 keep");
    assert_eq!(weeks[3], "2026-W24 promote");
    assert_eq!(weeks.len(), 4);
    let monitor = run(lake, &["monitor"]);
    assert!(monitor.status.success(), "{}", stderr(&monitor));
    let shown = stdout(&monitor);
    eprintln!("{shown}");
    assert!(shown.contains("decisions of 2026-W24"), "{shown}");
    assert!(shown.contains("champion accuracy on the week"), "{shown}");
    assert!(shown.contains("DRIFT all abs_error: PSI"), "{shown}");
    assert!(shown.contains("PROMOTED all: better"), "{shown}");
    assert!(
        !own_promoted || shown.contains(&format!("PROMOTED {platform}: better")),
        "{shown}"
    );
    let monitor21 = stdout(&run(lake, &["monitor", "--week", "2026-W21"]));
    assert!(
        monitor21.contains("PROMOTED all: no champion yet"),
        "{monitor21}"
    );

    // Replaying an old week reproduces its decision and moves no champion.
    let registry = std::fs::read(lake_dir.join("models/champions.json")).unwrap();
    let replay = retrain(lake, "2026-W22", &["--force"]);
    assert!(replay.status.success(), "{}", stderr(&replay));
    let replayed = decision(lake, "2026-W22");
    assert_eq!(replayed["decision"], w22["decision"]);
    assert_eq!(replayed["champion_run"], w22["champion_run"]);
    assert_eq!(replayed["n"], w22["n"]);
    let p = |v: &serde_json::Value| v["p_value"].as_f64().unwrap();
    assert!((p(&replayed) - p(&w22)).abs() < 1e-9, "{replayed} vs {w22}");
    assert_eq!(
        std::fs::read(lake_dir.join("models/champions.json")).unwrap(),
        registry
    );
    eprintln!("the whole test: {:.0?}", started.elapsed());
}
