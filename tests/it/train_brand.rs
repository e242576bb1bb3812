//! Brand-specific models (`creativeiq train --brand B`): the brand score as
//! a training column, on a copy of the simulated lake of the train tests
//! (its run `lake-run` was trained without a brand), with a brand learnt
//! from one of its accounts.

use std::path::{Path, PathBuf};

use serde_json::Value;

use creativeiq::features::EXTRACTOR_VERSION;
use creativeiq::insight::BrandProfile;
use creativeiq::lake::Lake;
use creativeiq::query::Session;
use creativeiq::train::publish::load_model;
use creativeiq::train::source::{read_lake, run_job, training_posts};
use creativeiq::train::{SavedModel, BRAND_SCORE};

use crate::common;
use crate::train::synthetic_lake;

const BRAND: &str = "house";
const RUN: &str = "brand-run";
const MODEL: &str = "models/brand-run/all/gbt_depthwise";

/// The simulated lake, copied, with brand [`BRAND`] learnt from its
/// busiest account and one run ([`RUN`]) trained with `--brand`.
struct BrandedLake {
    lake: String,
    trained: String,
}

fn branded_lake() -> &'static BrandedLake {
    static LAKE: std::sync::OnceLock<BrandedLake> = std::sync::OnceLock::new();
    LAKE.get_or_init(|| {
        let source = synthetic_lake();
        // A copy: the train and predict tests read the original's
        // champions, which this run replaces.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("train-brand-lake");
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(Path::new(&source.lake), &dir);
        let lake = dir.to_str().unwrap().to_string();
        let account = common::query(
            &lake,
            "SELECT account_id, count(*) AS n FROM posts_valid WHERE image_sha256 IS NOT NULL \
             GROUP BY account_id ORDER BY n DESC, account_id LIMIT 1",
        )[0]["account_id"]
            .as_str()
            .unwrap()
            .to_string();
        let learnt = common::run(
            &lake,
            &["brand", "learn", "--name", BRAND, "--account", &account],
        );
        assert!(learnt.status.success(), "{}", common::stderr(&learnt));
        let trained = common::run(
            &lake,
            &[
                "--quiet",
                "train",
                "--brand",
                BRAND,
                "--kinds",
                "gbt_depthwise",
                "--holdout-weeks",
                "2",
                "--folds",
                "3",
                "--search-candidates",
                "1",
                "--search-seconds",
                "10",
                "--min-platform-rows",
                "55",
                "--run",
                RUN,
            ],
        );
        assert!(trained.status.success(), "{}", common::stderr(&trained));
        BrandedLake {
            lake,
            trained: common::stdout(&trained),
        }
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if let Err(e) = std::fs::copy(entry.path(), target) {
            // Other tests write into the original lake meanwhile: a
            // temporary file may be renamed away under us.
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}");
        }
    }
}

fn manifest(lake: &str, model: &str) -> Value {
    let path = Path::new(lake).join(model).join("manifest.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn profile(lake: &str) -> BrandProfile {
    let path = Path::new(lake).join(format!("brands/{BRAND}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The blob of an image of the lake.
fn blob(lake: &str, sha256: &str) -> PathBuf {
    let folder = Path::new(lake).join("blobs/images").join(&sha256[..2]);
    std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_stem().is_some_and(|s| s == sha256))
        .unwrap_or_else(|| panic!("no blob {sha256} in {}", folder.display()))
}

/// What `creativeiq brand check IMAGE --brand house --json` says.
fn brand_check(lake: &str, image: &Path) -> f64 {
    common::brand_check(lake, image, BRAND)["score"]
        .as_f64()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

#[test]
fn a_brand_model_reads_brand_score_and_carries_its_profile_and_a_plain_one_does_not() {
    let b = branded_lake();
    assert!(
        b.trained
            .contains(&format!("brand {BRAND}: brand_score against")),
        "{}",
        b.trained
    );
    let m = manifest(&b.lake, MODEL);
    let inputs: Vec<&str> = m["preparation"]["input_features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(inputs.last(), Some(&BRAND_SCORE), "{inputs:?}");
    assert!(
        m["preparation"]["used_features"]
            .as_array()
            .unwrap()
            .contains(&Value::from(BRAND_SCORE)),
        "brand_score varies, so the model uses it"
    );
    // The profile it was trained with, as the lake has it, and its hash.
    let lake_profile = profile(&b.lake);
    let brand = &m["assembler"]["brand"];
    assert_eq!(brand["name"], BRAND);
    assert_eq!(brand["sha256"], lake_profile.content_sha256());
    assert_eq!(
        brand["profile"],
        serde_json::to_value(&lake_profile).unwrap()
    );
    let importance = common::count(
        &b.lake,
        &format!(
            "SELECT count(*) AS n FROM metrics.feature_importance \
             WHERE run = '{RUN}' AND scope = 'all' AND feature = '{BRAND_SCORE}'"
        ),
    );
    assert!(importance > 0);

    // The run without --brand: no column, no brand.
    let plain = manifest(&b.lake, "models/lake-run/all/gbt_depthwise");
    assert!(!plain.to_string().contains(BRAND_SCORE));
    assert!(plain["assembler"].get("brand").is_none(), "{plain:#}");
    assert!(plain["assembler"]["platforms"].is_array());
    let importance = common::count(
        &b.lake,
        &format!(
            "SELECT count(*) AS n FROM metrics.feature_importance \
             WHERE run = 'lake-run' AND feature = '{BRAND_SCORE}'"
        ),
    );
    assert_eq!(importance, 0);
}

#[test]
fn training_rows_carry_the_score_brand_check_gives_their_image() {
    let b = branded_lake();
    let set = runtime().block_on(async {
        let lake = Lake::open(&b.lake).await.unwrap();
        let settings = Session::lake_settings(&lake, &[]).await.unwrap();
        read_lake(&lake, &settings, EXTRACTOR_VERSION, Some(profile(&b.lake)))
            .await
            .unwrap()
    });
    let data = &set.data;
    let column = data
        .feature_names()
        .iter()
        .position(|n| n == BRAND_SCORE)
        .expect("a brand_score column");
    let scores = data.features().column(column);
    let scored: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i].is_finite())
        .collect();
    assert_eq!(
        scored.len(),
        set.with_image_features,
        "every image is scored"
    );
    assert!(scored.iter().all(|&i| (0.0..=100.0).contains(&scores[i])));
    // The A/B arms get the same column.
    let ab = set.ab_pairs.as_ref().expect("the lake has A/B pairs");
    assert_eq!(
        ab.feature_names.last().map(String::as_str),
        Some(BRAND_SCORE)
    );

    // The least and most on-brand rows, and one between, against
    // `brand check` on their image's blob.
    let mut by_score = scored.clone();
    by_score.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (low, high) = (by_score[0], by_score[by_score.len() - 1]);
    assert!(
        scores[high] - scores[low] > 10.0,
        "{} .. {}",
        scores[low],
        scores[high]
    );
    for i in [low, by_score[by_score.len() / 2], high] {
        let (post, platform) = (&data.post_ids()[i], &data.platforms()[i]);
        let sha = common::query(
            &b.lake,
            &format!(
                "SELECT image_found_sha256 AS sha FROM training_posts \
                 WHERE post_id = '{post}' AND platform = '{platform}'"
            ),
        )[0]["sha"]
            .as_str()
            .unwrap()
            .to_string();
        let checked = brand_check(&b.lake, &blob(&b.lake, &sha));
        assert!(
            (checked - scores[i]).abs() < 1e-6,
            "{platform}/{post}: training row {} vs brand check {checked}",
            scores[i]
        );
    }
}

#[test]
fn a_reloaded_brand_model_predicts_its_holdout_as_in_training() {
    let b = branded_lake();
    let holdout = common::query(
        &b.lake,
        &format!(
            "SELECT post_id, platform, predicted FROM metrics.holdout_predictions \
             WHERE run = '{RUN}' AND scope = 'all' AND model_kind = 'gbt_depthwise'"
        ),
    );
    assert!(holdout.len() > 20, "{}", holdout.len());
    let (model, posts) = runtime().block_on(async {
        let lake = Lake::open(&b.lake).await.unwrap();
        let model = load_model(&lake, MODEL).await.unwrap();
        let session = creativeiq::query::Session::open(&lake).await.unwrap();
        let batches = run_job(&session, "training_set", &[EXTRACTOR_VERSION])
            .await
            .unwrap();
        (model, training_posts(&batches).unwrap())
    });
    // The rows rebuilt from the lake's posts by the manifest's assembler,
    // which scores the brand with the profile saved in the manifest.
    let assembler = model.manifest.assembler.clone().unwrap();
    assert_eq!(assembler.brand().unwrap().profile(), &profile(&b.lake));
    let key = |platform: &str, post: &str| format!("{platform}/{post}");
    let wanted: std::collections::HashMap<String, f64> = holdout
        .iter()
        .map(|r| {
            (
                key(
                    r["platform"].as_str().unwrap(),
                    r["post_id"].as_str().unwrap(),
                ),
                r["predicted"].as_f64().unwrap(),
            )
        })
        .collect();
    let fresh: Vec<_> = posts
        .into_iter()
        .filter(|p| wanted.contains_key(&key(&p.context.platform, &p.post_id)))
        .collect();
    assert_eq!(fresh.len(), holdout.len());
    let rows = assembler.dataset(&fresh, false).unwrap();
    let predicted = model.predict_inputs(rows.features()).unwrap();
    for (post, p) in fresh.iter().zip(&predicted) {
        let at_training = wanted[&key(&post.context.platform, &post.post_id)];
        assert!(
            (p - at_training).abs() < 1e-9,
            "{}: {p} reloaded vs {at_training} in training",
            post.post_id
        );
    }
    // Reloaded from a directory too, byte for byte the same predictions.
    let dir = tempfile::tempdir().unwrap();
    model.save_dir(dir.path()).unwrap();
    let again = SavedModel::load_dir(dir.path()).unwrap();
    assert_eq!(again.predict_inputs(rows.features()).unwrap(), predicted);
}

#[test]
fn a_brand_model_whose_profile_was_edited_or_dropped_does_not_load() {
    let b = branded_lake();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&Path::new(&b.lake).join(MODEL), dir.path());
    let path = dir.path().join("manifest.json");
    let original: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(SavedModel::load_dir(dir.path()).is_ok());

    let mut edited = original.clone();
    let share = &mut edited["assembler"]["brand"]["profile"]["palette"][0]["share"];
    *share = Value::from(share.as_f64().unwrap() / 2.0);
    std::fs::write(&path, serde_json::to_vec(&edited).unwrap()).unwrap();
    let err = SavedModel::load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("not the one it was trained with") && err.contains("--brand house"),
        "{err}"
    );

    let mut dropped = original;
    dropped["assembler"]
        .as_object_mut()
        .unwrap()
        .remove("brand");
    std::fs::write(&path, serde_json::to_vec(&dropped).unwrap()).unwrap();
    let err = SavedModel::load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains(BRAND_SCORE) && err.contains("--brand"),
        "{err}"
    );
}

#[test]
fn predict_scores_an_image_with_the_brand_model_and_shows_its_brand_score() {
    let b = branded_lake();
    let sha = common::query(
        &b.lake,
        "SELECT image_found_sha256 AS sha FROM training_posts \
         WHERE image_found_sha256 IS NOT NULL ORDER BY post_id LIMIT 1",
    )[0]["sha"]
        .as_str()
        .unwrap()
        .to_string();
    let image = blob(&b.lake, &sha);
    let checked = brand_check(&b.lake, &image);
    let args = [image.to_str().unwrap(), "--platform", "instagram"];
    let json: &[&str] = &["--json", "--top", "100"];
    let output = common::run(&b.lake, &[&["predict"][..], &args[..], json].concat());
    assert!(output.status.success(), "{}", common::stderr(&output));
    let p: Value = serde_json::from_str(common::stdout(&output).trim()).unwrap();
    assert_eq!(p["model"][0], RUN, "{p:#}");
    assert_eq!(p["brand"]["name"], BRAND);
    assert!((p["brand"]["brand_score"].as_f64().unwrap() - checked).abs() < 1e-9);
    let contribution = p["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["feature"] == BRAND_SCORE)
        .unwrap_or_else(|| panic!("no brand_score contribution in {p:#}"));
    assert!((contribution["value"].as_f64().unwrap() - checked).abs() < 1e-9);
    // The profile is the lake's: no note about a changed one.
    assert!(
        !common::stderr(&output).contains("note: brand"),
        "{}",
        common::stderr(&output)
    );

    let text = common::run(&b.lake, &[&["predict"][..], &args[..]].concat());
    assert!(text.status.success(), "{}", common::stderr(&text));
    assert!(
        common::stdout(&text).contains(&format!("brand {BRAND}: brand_score {checked:.1} / 100")),
        "{}",
        common::stdout(&text)
    );

    // The brand learnt again (here: its palette moved) or deleted: the
    // model keeps the profile it was trained with, and says so. A lake of
    // what predict reads (models and brands), so the others keep theirs.
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().to_str().unwrap();
    for folder in ["models", "brands"] {
        copy_dir(&Path::new(&b.lake).join(folder), &tmp.path().join(folder));
    }
    // Every brand colour moved 40 along a* (towards magenta).
    let mut relearnt = profile(&b.lake);
    for colour in &mut relearnt.palette {
        colour.lab[1] += 40.0;
    }
    let profile_path = tmp.path().join(format!("brands/{BRAND}.json"));
    std::fs::write(&profile_path, serde_json::to_vec(&relearnt).unwrap()).unwrap();
    let by_the_new_profile = brand_check(small, &image);
    assert!(
        (by_the_new_profile - checked).abs() > 0.1,
        "the edit must change the score for this check to mean anything"
    );
    let keeps_its_profile_and_says = |note: &str| {
        let output = common::run(small, &[&["predict"][..], &args[..], json].concat());
        assert!(output.status.success(), "{}", common::stderr(&output));
        assert!(
            common::stderr(&output).contains(&format!(
                "note: brand {BRAND}'s profile {note} the model was trained"
            )),
            "{}",
            common::stderr(&output)
        );
        let p: Value = serde_json::from_str(common::stdout(&output).trim()).unwrap();
        assert!((p["brand"]["brand_score"].as_f64().unwrap() - checked).abs() < 1e-9);
    };
    keeps_its_profile_and_says("has changed since");
    std::fs::remove_file(&profile_path).unwrap();
    keeps_its_profile_and_says("is gone from the lake since");
}

#[test]
fn training_with_a_brand_the_lake_lacks_says_how_to_learn_it() {
    let b = branded_lake();
    let output = common::run(
        &b.lake,
        &["train", "--brand", "nope", "--kinds", "elastic_net"],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = common::stderr(&output);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    for part in [
        "no brand \"nope\"",
        "brands/nope.json",
        "creativeiq brand learn --name nope",
        "known brands: house",
    ] {
        assert!(err.contains(part), "{part:?} missing from {err}");
    }
    let lake_url = format!(
        "file://{}",
        std::fs::canonicalize(&b.lake).unwrap().display()
    );
    assert!(err.contains(&lake_url), "{lake_url} missing from {err}");
}
