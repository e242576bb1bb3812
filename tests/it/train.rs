//! The train stage on generated data with a known non-linear function, and
//! its lake wiring against a temporary local lake.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use creativeiq::lake::Lake;
use creativeiq::train::publish::{list_runs, publish, read_registry, REGISTRY_PATH};
use creativeiq::train::{
    AbPairs, BlendMember, BlendParams, BoostingParams, Dataset, FeatureAssembler, ForestParams,
    Growth, ImageFeatures, LinearParams, Matrix, MlpParams, ModelKind, Params, PostContext,
    RowInfo, SavedModel, SearchBudget, TierParams, TrainJob, TrainingPost,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::common;

/// Friedman's first function, scaled to 0..100, on `features` uniform
/// columns (the first five matter), plus Gaussian-ish noise of `noise`
/// points, over 26 weeks and two platforms.
pub fn friedman(rows: usize, features: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let start: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
    let mut data = Vec::with_capacity(rows * features);
    let mut info = Vec::with_capacity(rows);
    for i in 0..rows {
        let x: Vec<f64> = (0..features).map(|_| rng.random::<f64>()).collect();
        // Sum of uniforms: roughly normal noise with unit variance.
        let e: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
        let f = 10.0 * (std::f64::consts::PI * x[0] * x[1]).sin()
            + 20.0 * (x[2] - 0.5).powi(2)
            + 10.0 * x[3]
            + 5.0 * x[4];
        let y = (f * 3.3 + noise * e).clamp(0.0, 100.0);
        data.extend(&x);
        info.push(RowInfo {
            post_id: format!("p{i}"),
            platform: if i % 3 == 0 { "linkedin" } else { "instagram" }.to_string(),
            published_at: start + Duration::minutes((i as i64 * 26 * 7 * 24 * 60) / rows as i64),
            target: y,
            weight: 1.0,
        });
    }
    let names = (0..features).map(|j| format!("x{j}")).collect();
    Dataset::new(
        names,
        Matrix::new(rows, features, data).unwrap(),
        info,
        false,
    )
    .unwrap()
}

/// Small, fast hyperparameters for every kind (debug builds).
pub fn quick(kind: ModelKind) -> Params {
    match kind {
        ModelKind::RandomForest => Params::Forest(ForestParams {
            n_trees: 40,
            max_depth: Some(12),
            min_samples_leaf: 2,
            feature_fraction: 0.6,
        }),
        ModelKind::GbtDepthwise | ModelKind::GbtLeafwise => {
            let growth = if kind == ModelKind::GbtDepthwise {
                Growth::DepthWise
            } else {
                Growth::LeafWiseGoss
            };
            Params::Boosting(BoostingParams {
                iterations: 150,
                learning_rate: 0.1,
                ..BoostingParams::default_for(growth)
            })
        }
        ModelKind::Mlp => Params::Mlp(MlpParams {
            hidden: vec![32, 16],
            max_epochs: 60,
            patience: 10,
            ..MlpParams::default()
        }),
        ModelKind::Blend => Params::Blend(BlendParams {
            members: [ModelKind::GbtDepthwise, ModelKind::Mlp]
                .into_iter()
                .map(|kind| BlendMember {
                    kind,
                    params: quick(kind),
                    weight: 0.5,
                })
                .collect(),
        }),
        ModelKind::ElasticNet => Params::Linear(LinearParams::default()),
        ModelKind::TierForest => Params::Tier(TierParams {
            n_trees: 20,
            ..TierParams::default()
        }),
    }
}

fn quick_job(kinds: &[ModelKind]) -> TrainJob {
    let mut job = TrainJob::new()
        .with_run_id("test-run")
        .with_kinds(kinds)
        .with_per_platform(false)
        .with_importance_repeats(1);
    for &k in kinds {
        job = job.with_params(k, quick(k));
    }
    job
}

/// The holdout predictions of a kind's general model, in holdout order.
fn holdout_predictions(output: &creativeiq::train::TrainOutput, kind: ModelKind) -> Vec<f64> {
    output
        .report
        .holdout
        .iter()
        .filter(|h| h.kind == kind)
        .map(|h| h.predicted)
        .collect()
}

fn holdout_r2(output: &creativeiq::train::TrainOutput, kind: ModelKind) -> f64 {
    output
        .report
        .metric("all", kind, "holdout")
        .and_then(|m| m.r2)
        .unwrap()
}

#[test]
fn tree_models_beat_the_linear_baseline_on_a_non_linear_function() {
    let data = friedman(900, 8, 1.0, 1);
    let kinds = [
        ModelKind::RandomForest,
        ModelKind::GbtDepthwise,
        ModelKind::GbtLeafwise,
        ModelKind::ElasticNet,
    ];
    let out = quick_job(&kinds).with_ceiling_r2(0.99).run(&data).unwrap();
    let linear = holdout_r2(&out, ModelKind::ElasticNet);
    for kind in &kinds[..3] {
        let r2 = holdout_r2(&out, *kind);
        assert!(
            r2 > linear + 0.05,
            "{kind}: {r2} vs linear {linear}\n{}",
            out.report.table()
        );
        assert!(r2 > 0.75, "{kind}: {r2}");
    }
    // Five folds per model, the holdout rows never among them.
    let folds: Vec<_> = out
        .report
        .folds
        .iter()
        .filter(|f| f.kind == ModelKind::GbtDepthwise)
        .collect();
    assert_eq!(folds.len(), 5);
    let holdout = out
        .report
        .metric("all", ModelKind::GbtDepthwise, "holdout")
        .unwrap();
    assert_eq!(folds[0].train_rows + folds[0].test_rows + holdout.rows, 900);
    let ratio = holdout.ceiling_ratio.unwrap();
    assert!((ratio - holdout.r2.unwrap() / 0.99).abs() < 1e-12);
    // The champion is the best regressor by holdout R².
    let champion = &out.report.champions["all"];
    assert!(kinds[..3].contains(&champion.kind));
    // Permutation importance finds the informative columns: x5..x7 are noise.
    let rank = |feature: &str| {
        out.report
            .importance
            .iter()
            .find(|r| {
                r.kind == ModelKind::GbtDepthwise
                    && r.method == "permutation"
                    && r.feature == feature
            })
            .unwrap()
            .rank
    };
    assert!(rank("x3") < rank("x6") && rank("x0") < rank("x7"));
    assert!(out
        .report
        .importance
        .iter()
        .any(|r| r.kind == ModelKind::RandomForest && r.method == "smartcore_impurity"));
}

#[test]
fn a_blend_mixes_its_members_by_the_weight_their_folds_chose() {
    let data = friedman(900, 8, 1.0, 3);
    let members = [ModelKind::GbtDepthwise, ModelKind::Mlp];
    // The members' hyperparameters are fixed; the blend's weight is not.
    let mut job = TrainJob::new()
        .with_run_id("blend-run")
        .with_kinds(&[ModelKind::Blend])
        .with_per_platform(false)
        .with_importance_repeats(1);
    for kind in members {
        job = job.with_params(kind, quick(kind));
    }
    let out = job.run(&data).unwrap();
    // Asking for the blend alone trains its members too.
    for kind in members {
        assert!(out.model("all", kind).is_some(), "{kind} was not trained");
    }
    let blend = out.model("all", ModelKind::Blend).unwrap();
    let Params::Blend(params) = &blend.manifest.params else {
        panic!("a blend saved {:?}", blend.manifest.params);
    };
    let w = params.members[0].weight;
    assert!((0.0..=1.0).contains(&w));
    assert!((params.members[1].weight - (1.0 - w)).abs() < 1e-12);
    let holdout = |kind: ModelKind| holdout_predictions(&out, kind);
    let (gbt, mlp, mixed) = (
        holdout(ModelKind::GbtDepthwise),
        holdout(ModelKind::Mlp),
        holdout(ModelKind::Blend),
    );
    assert_eq!(mixed.len(), gbt.len());
    for ((m, g), n) in mixed.iter().zip(&gbt).zip(&mlp) {
        assert!(
            (m - (w * g + (1.0 - w) * n)).abs() < 1e-6,
            "{m} vs {g} and {n} at {w}"
        );
    }
    // The weight was chosen on the folds: no share does better there
    // than the chosen one, and the two members' own shares (1 and 0) are
    // among those tried.
    let cv = |kind: ModelKind| {
        out.report
            .metric("all", kind, "cv")
            .and_then(|m| m.r2)
            .unwrap()
    };
    let best_member = cv(ModelKind::GbtDepthwise).max(cv(ModelKind::Mlp));
    assert!(
        cv(ModelKind::Blend) >= best_member - 0.005,
        "blend cv {} vs best member {best_member}\n{}",
        cv(ModelKind::Blend),
        out.report.table()
    );
    // The saved blend, reloaded, predicts the weighted mean of the saved
    // members, first member by the first weight.
    let x = blend.manifest.preparation.apply(data.features());
    let again = SavedModel::from_files(&blend.to_files().unwrap()).unwrap();
    let predict = |kind: ModelKind| out.model("all", kind).unwrap().model.predict(&x).unwrap();
    let (gbt, mlp) = (predict(ModelKind::GbtDepthwise), predict(ModelKind::Mlp));
    let spread = gbt
        .iter()
        .zip(&mlp)
        .map(|(g, n)| (g - n).abs())
        .fold(0.0, f64::max);
    assert!(
        spread > 1.0,
        "the members agree everywhere: nothing to test"
    );
    for ((b, g), n) in again.model.predict(&x).unwrap().iter().zip(&gbt).zip(&mlp) {
        assert!(
            (b - (w * g + (1.0 - w) * n)).abs() < 1e-6,
            "{b} vs {g} and {n} at {w}"
        );
    }
}

#[test]
fn reloaded_models_predict_identically_from_a_directory_and_the_lake() {
    let data = friedman(400, 6, 2.0, 2);
    let out = quick_job(&ModelKind::ALL).run(&data).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let x = data.features();
    for model in &out.models {
        let dir = tmp.path().join(model.manifest.kind.name());
        model.save_dir(&dir).unwrap();
        let mut reloaded = SavedModel::load_dir(&dir).unwrap();
        assert!(!reloaded.manifest.files.is_empty());
        reloaded.manifest.files.clear();
        assert_eq!(reloaded.manifest, model.manifest);
        let (a, b) = (
            model.predict_inputs(x).unwrap(),
            reloaded.predict_inputs(x).unwrap(),
        );
        assert!(
            a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()),
            "{}",
            model.manifest.kind
        );
        assert!(
            a.iter().any(|p| *p != a[0]),
            "{} predicts a constant",
            model.manifest.kind
        );
    }
    let mlp = out.model("all", ModelKind::Mlp).unwrap();
    assert!(
        std::fs::metadata(tmp.path().join("mlp/mlp.safetensors"))
            .unwrap()
            .len()
            > 0
    );
    assert!(mlp.manifest.library_versions.contains_key("candle-nn"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(tmp.path().join("lake").to_str().unwrap())
            .await
            .unwrap();
        publish(&lake, &out).await.unwrap();
        for model in &out.models {
            let path = creativeiq::train::model_path("test-run", "all", model.manifest.kind);
            let loaded = creativeiq::train::publish::load_model(&lake, &path)
                .await
                .unwrap();
            let (a, b) = (
                model.predict_inputs(x).unwrap(),
                loaded.predict_inputs(x).unwrap(),
            );
            assert_eq!(a, b);
        }
        let runs = list_runs(&lake).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].1.len(), ModelKind::ALL.len());
    });
}

#[test]
fn the_same_seed_trains_the_same_models() {
    let data = friedman(300, 5, 2.0, 3);
    let kinds = ModelKind::ALL;
    let a = quick_job(&kinds).run(&data).unwrap();
    let b = quick_job(&kinds).run(&data).unwrap();
    for kind in kinds {
        assert_eq!(
            holdout_predictions(&a, kind),
            holdout_predictions(&b, kind),
            "{kind}"
        );
    }
    assert_eq!(a.report.folds, b.report.folds);
}

#[test]
fn the_hyperparameter_search_never_sees_the_holdout() {
    let data = friedman(500, 6, 2.0, 4);
    // The same rows, with the holdout's targets and features scrambled.
    let holdout_start = data.published_at().iter().max().unwrap().to_owned() - Duration::weeks(4);
    let mut features = data.features().clone();
    let mut rows = Vec::new();
    for i in 0..data.len() {
        let held_out = data.published_at()[i] > holdout_start;
        if held_out {
            for j in 0..features.cols() {
                features.set(i, j, 1.0 - features.get(i, j));
            }
        }
        rows.push(RowInfo {
            post_id: data.post_ids()[i].clone(),
            platform: data.platforms()[i].clone(),
            published_at: data.published_at()[i],
            target: if held_out {
                100.0 - data.target()[i]
            } else {
                data.target()[i]
            },
            weight: 1.0,
        });
    }
    let poisoned = Dataset::new(data.feature_names().to_vec(), features, rows, false).unwrap();
    let job = TrainJob::new()
        .with_run_id("search")
        .with_kinds(&[ModelKind::ElasticNet, ModelKind::GbtDepthwise])
        .with_per_platform(false)
        .with_importance_repeats(1)
        .with_search(SearchBudget {
            max_candidates: 3,
            time_limit: std::time::Duration::from_secs(600),
            folds: 3,
        });
    let a = job.run(&data).unwrap();
    let b = job.run(&poisoned).unwrap();
    for kind in [ModelKind::ElasticNet, ModelKind::GbtDepthwise] {
        let (ma, mb) = (
            a.report.metric("all", kind, "cv").unwrap(),
            b.report.metric("all", kind, "cv").unwrap(),
        );
        assert_eq!(ma.search_candidates, 3);
        assert_eq!(
            ma.params, mb.params,
            "{kind}: the search's choice moved with the holdout"
        );
        assert_eq!(
            ma.r2, mb.r2,
            "{kind}: cross-validation moved with the holdout"
        );
        // ... while the holdout score did move, so the holdout did change.
        assert_ne!(
            a.report.metric("all", kind, "holdout").unwrap().r2,
            b.report.metric("all", kind, "holdout").unwrap().r2
        );
    }
    // A champion picked by cross-validation (the weekly retrain's, which
    // then judges it on the holdout) does not move with the holdout either.
    let by_cv = job.with_champion_by_cv();
    let cv_r2 = |o: &creativeiq::train::TrainOutput, kind| {
        o.report.metric("all", kind, "cv").unwrap().r2.unwrap()
    };
    for output in [by_cv.run(&data).unwrap(), by_cv.run(&poisoned).unwrap()] {
        let best = [ModelKind::ElasticNet, ModelKind::GbtDepthwise]
            .into_iter()
            .max_by(|x, y| cv_r2(&output, *x).total_cmp(&cv_r2(&output, *y)))
            .unwrap();
        assert_eq!(output.report.champions["all"].kind, best);
        let holdout = output
            .report
            .metric("all", best, "holdout")
            .unwrap()
            .r2
            .unwrap();
        assert_eq!(output.report.champions["all"].holdout_r2, holdout);
    }
}

fn blocking_file(root: &Path, relative: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"not a folder").unwrap();
}

#[test]
fn a_run_that_fails_midway_leaves_the_champions_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    let data = friedman(300, 5, 2.0, 5);
    let kinds = [ModelKind::ElasticNet, ModelKind::GbtDepthwise];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(root.to_str().unwrap()).await.unwrap();
        let first = quick_job(&kinds).with_run_id("run-1").run(&data).unwrap();
        publish(&lake, &first).await.unwrap();
        let before = std::fs::read(root.join(REGISTRY_PATH)).unwrap();
        assert_eq!(
            read_registry(&lake).await.unwrap().champions["all"].run_id,
            "run-1"
        );

        // Run 2 writes its models, then its metric tables fail: a file
        // stands where the table's run partition folder must go.
        blocking_file(&root, "metrics/model_metrics/run=run-2");
        let second = quick_job(&kinds)
            .with_run_id("run-2")
            .with_seed(9)
            .run(&data)
            .unwrap();
        let err = publish(&lake, &second).await.unwrap_err();
        assert!(err.to_string().contains("run-2"), "{err}");
        assert!(root
            .join("models/run-2/all/elastic_net/manifest.json")
            .exists());
        assert_eq!(std::fs::read(root.join(REGISTRY_PATH)).unwrap(), before);

        // Once the obstacle is gone, the run publishes and takes over.
        std::fs::remove_file(root.join("metrics/model_metrics/run=run-2")).unwrap();
        publish(&lake, &second).await.unwrap();
        assert_eq!(
            read_registry(&lake).await.unwrap().champions["all"].run_id,
            "run-2"
        );
    });
}

#[test]
fn metric_tables_are_queryable_with_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    let data = friedman(300, 5, 2.0, 6);
    let out = quick_job(&[ModelKind::ElasticNet, ModelKind::TierForest])
        .run(&data)
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(root.to_str().unwrap()).await.unwrap();
        publish(&lake, &out).await.unwrap();
    });
    let lake = root.to_str().unwrap();
    let rows = common::query(
        lake,
        "SELECT run, model_kind, split, r2, accuracy, champion FROM metrics.model_metrics ORDER BY model_kind, split",
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0]["run"], "test-run");
    assert_eq!(rows[0]["model_kind"], "elastic_net");
    assert_eq!(rows[1]["champion"], true);
    assert!(rows[2]["r2"].is_null() && rows[2]["accuracy"].is_number());
    let folds = common::count(lake, "SELECT count(*) AS n FROM metrics.cv_folds");
    assert_eq!(folds, 10);
    let held_out = common::count(
        lake,
        "SELECT count(*) AS n FROM metrics.holdout_predictions WHERE model_kind = 'elastic_net'",
    );
    assert_eq!(
        held_out as usize,
        out.report
            .metric("all", ModelKind::ElasticNet, "holdout")
            .unwrap()
            .rows
    );
    let top = common::query(
        lake,
        "SELECT feature FROM metrics.feature_importance WHERE method = 'permutation' AND model_kind = 'elastic_net' AND rank = 1",
    );
    assert_eq!(top.len(), 1);
}

/// Posts from the assembler: half with an image, the rest text-only.
fn assembled(rows: usize, with_images: bool, seed: u64) -> (FeatureAssembler, Dataset) {
    let mut rng = StdRng::seed_from_u64(seed);
    let start: DateTime<Utc> = "2024-03-01T00:00:00Z".parse().unwrap();
    let mut posts = Vec::new();
    for i in 0..rows {
        let post = PostContext {
            platform: ["instagram", "linkedin", "tiktok"][i % 3].to_string(),
            published_at: start + Duration::hours(i as i64 * 7),
            followers: Some(rng.random_range(100..100_000)),
            paid: Some(rng.random_bool(0.2)),
            media_type: Some("image".into()),
            ..Default::default()
        }
        .with_caption(if i % 2 == 0 { "plain" } else { "#one #two" });
        let brightness = rng.random::<f64>();
        let image = (with_images && i % 2 == 0).then(|| {
            ImageFeatures::from_named(|n| match n {
                "brightness" => Some(brightness),
                "aspect_ratio" => Some(1.0),
                _ => Some(0.5),
            })
        });
        // Text-only posts score as a mid-brightness image would.
        let brightness = if image.is_some() { brightness } else { 0.5 };
        posts.push((post, image, brightness));
    }
    let assembler = FeatureAssembler::from_posts(posts.iter().map(|(p, _, _)| p));
    let training: Vec<TrainingPost> = posts
        .into_iter()
        .enumerate()
        .map(|(i, (context, image, brightness))| {
            let audience = (context.followers.unwrap() as f64).ln();
            TrainingPost {
                post_id: format!("p{i}"),
                performance_score: (audience * 6.0 + brightness * 30.0).clamp(0.0, 100.0),
                weight: 1.0 + (i % 2) as f64,
                context,
                image,
            }
        })
        .collect();
    let dataset = assembler.dataset(&training, true).unwrap();
    (assembler, dataset)
}

#[test]
fn text_only_posts_train_on_their_context_features() {
    let (assembler, text_only) = assembled(300, false, 7);
    let out = quick_job(&[ModelKind::GbtDepthwise])
        .with_assembler(assembler)
        .run(&text_only)
        .unwrap();
    let used = &out.models[0].manifest.preparation.used_features;
    assert!(used.contains(&"log_audience_size".to_string()));
    assert!(
        !used
            .iter()
            .any(|f| f == "brightness" || f == "platform_aspect_fit"),
        "{used:?}"
    );
    assert!(holdout_r2(&out, ModelKind::GbtDepthwise) > 0.5);

    let (assembler, mixed) = assembled(300, true, 8);
    let out = quick_job(&[ModelKind::GbtDepthwise, ModelKind::RandomForest])
        .with_assembler(assembler)
        .run(&mixed)
        .unwrap();
    let used = &out.models[0].manifest.preparation.used_features;
    assert!(used.contains(&"brightness".to_string()) && used.contains(&"has_image".to_string()));
    assert!(out.models[0].manifest.assembler.is_some());
}

#[test]
fn per_platform_models_come_from_the_data_and_ab_pairs_are_scored() {
    let data = friedman(900, 6, 1.0, 9);
    let ab = x3_ab_pairs(data.feature_names(), 40, 10);
    let out = quick_job(&[ModelKind::GbtDepthwise])
        .with_per_platform(true)
        .with_min_scope_rows(500)
        .with_ab_pairs(ab)
        .run(&data)
        .unwrap();
    // instagram has 600 rows, linkedin 300: only instagram gets its own model.
    let scopes: Vec<&str> = out
        .models
        .iter()
        .map(|m| m.manifest.scope.as_str())
        .collect();
    assert_eq!(scopes, ["all", "instagram"]);
    for scope in ["all", "instagram"] {
        let m = out
            .report
            .metric(scope, ModelKind::GbtDepthwise, "holdout")
            .unwrap();
        assert_eq!(m.ab_pairs, Some(40));
        assert!(
            m.pairwise_accuracy.unwrap() > 0.9,
            "{scope}: {:?}",
            m.pairwise_accuracy
        );
    }
    assert!(out.report.champions.contains_key("instagram"));
}

/// A/B tests on `friedman` data: `tests` pairs of variants equal but for
/// x3 (which raises the score), the higher x3 the winner.
pub fn x3_ab_pairs(feature_names: &[String], tests: usize, seed: u64) -> AbPairs {
    let mut rng = StdRng::seed_from_u64(seed);
    let width = feature_names.len();
    let mut values = Vec::new();
    let mut pairs = Vec::new();
    for t in 0..tests {
        let low: Vec<f64> = (0..width)
            .map(|j| if j == 3 { 0.1 } else { rng.random() })
            .collect();
        let mut high = low.clone();
        high[3] = 0.9;
        values.extend(low);
        values.extend(high);
        pairs.push((2 * t + 1, 2 * t, Some("instagram".to_string())));
    }
    AbPairs {
        feature_names: feature_names.to_vec(),
        features: Matrix::new(2 * tests, width, values).unwrap(),
        pairs,
    }
}

/// Writes a dataset as the Parquet training file `creativeiq train` reads.
pub fn write_training_file(data: &Dataset, path: &Path) {
    use arrow::array::{ArrayRef, Float64Array, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;
    let mut fields = vec![
        Field::new("post_id", DataType::Utf8, false),
        Field::new("platform", DataType::Utf8, false),
        Field::new(
            "published_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("performance_score", DataType::Float64, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(data.post_ids())),
        Arc::new(StringArray::from_iter_values(data.platforms())),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                data.published_at().iter().map(|t| t.timestamp_micros()),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(Float64Array::from_iter_values(
            data.target().iter().copied(),
        )),
    ];
    for (j, name) in data.feature_names().iter().enumerate() {
        fields.push(Field::new(name, DataType::Float64, true));
        let column = data.features().column(j);
        columns.push(Arc::new(Float64Array::from_iter(
            column.iter().map(|v| (!v.is_nan()).then_some(*v)),
        )));
    }
    let batch =
        arrow::record_batch::RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn the_train_command_reads_a_file_and_a_killed_run_changes_no_champion() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("training.parquet");
    write_training_file(&friedman(400, 6, 2.0, 11), &file);
    let lake = tmp.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let file_arg = file.to_str().unwrap();
    let output = common::run(
        lake_arg,
        &[
            "train",
            "--dataset",
            file_arg,
            "--kinds",
            "elastic_net,gbt_depthwise",
            "--search-candidates",
            "2",
            "--run",
            "first",
            "--quiet",
        ],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let printed = common::stdout(&output);
    assert!(printed.contains("champion all"), "{printed}");
    assert!(printed.contains("gbt_depthwise"), "{printed}");
    let listed = common::stdout(&common::run(lake_arg, &["models"]));
    assert!(
        listed.contains("run first: all/elastic_net all/gbt_depthwise"),
        "{listed}"
    );
    let registry = std::fs::read(lake.join(REGISTRY_PATH)).unwrap();

    // A second run killed while it trains changes nothing.
    let mut child = common::bin()
        .args([
            "--lake",
            lake_arg,
            "train",
            "--dataset",
            file_arg,
            "--run",
            "killed",
            "--quiet",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it was killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read(lake.join(REGISTRY_PATH)).unwrap(), registry);
    assert!(!lake.join("metrics/model_metrics/run=killed").exists());

    // Bad input: a clear error and exit code 2.
    let bad_run = common::run(lake_arg, &["train", "--dataset", file_arg, "--run", "../x"]);
    assert_eq!(bad_run.status.code(), Some(2));
    assert!(
        common::stderr(&bad_run).contains("run id"),
        "{}",
        common::stderr(&bad_run)
    );
    let missing = common::run(lake_arg, &["train", "--dataset", "/nonexistent.parquet"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(common::stderr(&missing).contains("/nonexistent.parquet"));
}

#[test]
fn the_predict_command_scores_a_real_image_with_the_champion() {
    let tmp = tempfile::tempdir().unwrap();
    // Training rows with the assembler's columns, so the model can predict
    // from an image and a post's context.
    let (_, data) = assembled(360, true, 12);
    let file = tmp.path().join("assembled.parquet");
    write_training_file(&data, &file);
    let lake = tmp.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let trained = common::run(
        lake_arg,
        &[
            "train",
            "--dataset",
            file.to_str().unwrap(),
            "--kinds",
            "gbt_depthwise,tier_forest",
            "--search-candidates",
            "1",
            "--quiet",
        ],
    );
    assert!(trained.status.success(), "{}", common::stderr(&trained));
    let image = common::real_images().join("coffee.png");
    let output = common::run(
        lake_arg,
        &[
            "predict",
            image.to_str().unwrap(),
            "--platform",
            "instagram",
            "--audience",
            "5000",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", common::stderr(&output));
    let p: serde_json::Value = serde_json::from_str(common::stdout(&output).trim()).unwrap();
    let score = p["score"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&score));
    assert!(
        p["interval"][0].as_f64().unwrap() <= score && score <= p["interval"][1].as_f64().unwrap()
    );
    assert!(p["top_tier_probability"].is_number());
    assert_eq!(p["contribution_method"], "shapley");
    assert!(p["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["feature"] == "log_audience_size"));
}

/// A lake built the way `make train-quick` builds one: the simulator
/// serving a synthetic world (its truth written beside it), the collector,
/// the feature job, and one training run (`lake-run`) of three kinds with
/// the ceiling from the truth. Built once for the train and predict tests.
pub struct SyntheticLake {
    /// The lake.
    pub lake: String,
    /// The world's truth (`sim serve --truth-dir`).
    pub truth: std::path::PathBuf,
    /// What `train` printed.
    pub trained: String,
}

/// The first day of the synthetic lake's world.
pub const LAKE_START: &str = "2026-07-01";

pub fn synthetic_lake() -> &'static SyntheticLake {
    static LAKE: std::sync::OnceLock<SyntheticLake> = std::sync::OnceLock::new();
    LAKE.get_or_init(|| {
        use creativeiq::sim::{World, WorldConfig};
        // Statics are never dropped, so a temporary directory would stay
        // behind in /tmp: the lake lives in cargo's scratch folder for
        // integration tests instead, rebuilt by every run.
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("train-synthetic-lake");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let world = World::generate_synth(&WorldConfig {
            seed: 5,
            posts: 900,
            accounts_per_platform: 2,
            start: chrono::NaiveDate::parse_from_str(LAKE_START, "%Y-%m-%d").unwrap(),
            days: 56,
            experiments: 40,
        });
        let truth = dir.join("truth");
        creativeiq::synth::write_truth_as(&world, &truth, |p| {
            creativeiq::sim::world::served_post_id(p.platform, &p.account, &p.id)
        })
        .unwrap();
        let lake = dir.join("lake").to_str().unwrap().to_string();
        {
            let server =
                crate::collect::harness::SimServer::start_world(World::from_synth(world), &dir);
            let collected = server.collect(&lake, LAKE_START, "2026-09-01", &[]);
            assert!(
                collected.status.code().unwrap_or(2) <= 1,
                "{}",
                common::stderr(&collected)
            );
        }
        let features = common::run(&lake, &["--quiet", "features"]);
        assert!(
            features.status.code().unwrap_or(2) <= 1,
            "{}",
            common::stderr(&features)
        );
        let trained = common::run(
            &lake,
            &[
                "--quiet",
                "train",
                "--truth",
                truth.to_str().unwrap(),
                "--kinds",
                "elastic_net,gbt_depthwise,random_forest",
                "--holdout-weeks",
                "2",
                "--folds",
                "3",
                "--search-candidates",
                "2",
                "--search-seconds",
                "20",
                "--min-platform-rows",
                "55",
                "--run",
                "lake-run",
            ],
        );
        assert!(trained.status.success(), "{}", common::stderr(&trained));
        SyntheticLake {
            lake,
            truth,
            trained: common::stdout(&trained),
        }
    })
}

/// The holdout row of `metrics.model_metrics` of the lake run for a scope
/// and kind.
fn lake_metric(lake: &str, scope: &str, kind: &str) -> serde_json::Value {
    let rows = common::query(
        lake,
        &format!(
            "SELECT r2, pairwise_accuracy, ab_pairs, ceiling_r2, ceiling_ratio FROM metrics.model_metrics \
             WHERE run = 'lake-run' AND split = 'holdout' AND scope = '{scope}' AND model_kind = '{kind}'"
        ),
    );
    assert_eq!(rows.len(), 1, "{scope} {kind}: {rows:?}");
    rows[0].clone()
}

#[test]
fn a_simulated_lake_trains_on_posts_with_and_without_image_features() {
    let l = synthetic_lake();
    let posts = common::count(&l.lake, "SELECT count(*) AS n FROM training_posts");
    let with_features = common::count(
        &l.lake,
        "SELECT count(*) AS n FROM training_posts AS t JOIN features.design AS f \
         ON f.image_sha256 = t.image_found_sha256 AND f.error IS NULL",
    );
    assert!(
        posts >= 400 && with_features >= 400,
        "{posts} {with_features}"
    );
    assert!(
        l.trained.contains(&format!(
            "training set: {posts} posts ({with_features} with image features"
        )),
        "{}",
        l.trained
    );
    // The platforms with enough rows got their own models, from the data.
    let scopes = common::query(
        &l.lake,
        "SELECT DISTINCT scope FROM metrics.model_metrics WHERE run = 'lake-run' ORDER BY scope",
    );
    let big_platforms = common::query(
        &l.lake,
        "SELECT platform AS scope FROM training_posts GROUP BY platform HAVING count(*) >= 55 ORDER BY platform",
    );
    assert!(!big_platforms.is_empty());
    let mut wanted = vec![serde_json::json!({"scope": "all"})];
    wanted.extend(big_platforms);
    wanted.sort_by_key(|v| v["scope"].as_str().unwrap().to_string());
    assert_eq!(scopes, wanted);

    // The model's input columns: context and design.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(&l.lake).join("models/lake-run/all/gbt_depthwise/manifest.json"))
            .unwrap(),
    )
    .unwrap();
    let text = manifest.to_string();
    for column in [
        "has_image",
        "posting_hour",
        "log_audience_size",
        "colorfulness",
        "platform_instagram",
    ] {
        assert!(text.contains(column), "{column} missing from the manifest");
    }
}

#[test]
fn the_train_command_honours_set_for_the_views_it_reads() {
    // A copy: the run must not move the shared lake's champions.
    let l = synthetic_lake();
    let dir = tempfile::tempdir().unwrap();
    let copied = std::process::Command::new("cp")
        .args(["-r", &l.lake, dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(copied.success());
    let lake = dir.path().join("lake");
    let lake = lake.to_str().unwrap();
    let posts = "SELECT count(*) AS n FROM training_posts";
    let set = ["--set", "balance_strategy=downsample"];
    let (all, downsampled) = (
        common::count(lake, posts),
        common::count_with(lake, &set, posts),
    );
    assert!(downsampled < all, "{downsampled} of {all}");

    let args = [
        &["--quiet", "train"][..],
        &set,
        &[
            "--kinds",
            "elastic_net",
            "--min-platform-rows",
            "100000",
            "--search-candidates",
            "1",
            "--folds",
            "2",
            "--holdout-weeks",
            "2",
        ],
    ]
    .concat();
    let trained = common::run(lake, &args);
    assert!(trained.status.success(), "{}", common::stderr(&trained));
    let printed = common::stdout(&trained);
    assert!(
        printed.contains(&format!("training set: {downsampled} posts")),
        "{printed}"
    );
}

#[test]
fn on_a_simulated_lake_trees_beat_the_linear_baseline() {
    let l = synthetic_lake();
    let r2 = |kind: &str| lake_metric(&l.lake, "all", kind)["r2"].as_f64().unwrap();
    let (linear, boosted, forest) = (r2("elastic_net"), r2("gbt_depthwise"), r2("random_forest"));
    assert!(
        boosted.max(forest) > linear,
        "best tree model {} vs linear {linear}",
        boosted.max(forest)
    );
    assert!(boosted.max(forest) > 0.05, "{boosted} {forest}");
}

#[test]
fn a_simulated_lake_reports_ab_accuracy_and_the_ceiling_of_its_label() {
    let l = synthetic_lake();
    // The significant tests whose two designs have features, as the lake
    // says them.
    let decided = common::count(
        &l.lake,
        "SELECT count(*) AS n FROM ab_results AS r WHERE r.significant AND r.winner IS NOT NULL \
         AND r.control_image_sha256 IN (SELECT image_sha256 FROM features.design WHERE error IS NULL) \
         AND r.variant_image_sha256 IN (SELECT image_sha256 FROM features.design WHERE error IS NULL)",
    );
    assert!(decided > 0, "the world has no decided A/B test");
    let m = lake_metric(&l.lake, "all", "gbt_depthwise");
    assert_eq!(m["ab_pairs"].as_i64(), Some(decided));
    let accuracy = m["pairwise_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&accuracy));

    // The ceiling: on the holdout, against the lake's label, and of the
    // same size as the generator's own (which ranks every generated post).
    let ceiling = m["ceiling_r2"].as_f64().unwrap();
    let ratio = m["ceiling_ratio"].as_f64().unwrap();
    assert!(ceiling > 0.0 && ceiling <= 1.0, "{ceiling}");
    assert!((ratio - m["r2"].as_f64().unwrap() / ceiling).abs() < 1e-9);
    let generator: serde_json::Value =
        serde_json::from_slice(&std::fs::read(l.truth.join("ceiling.json")).unwrap()).unwrap();
    let generator_r2 = generator["all"]["r2"].as_f64().unwrap();
    assert!(
        (ceiling - generator_r2).abs() < 0.2,
        "lake ceiling {ceiling}, generator's {generator_r2}"
    );
    // Recomputed here from the truth file and the lake: each post's
    // expected rate ranked like 40_labelled_posts ranks the observed one
    // (mid-rank, within platform and month of the training rows), against
    // the holdout's labels.
    let mut rates = std::collections::HashMap::new();
    for line in std::fs::read_to_string(l.truth.join("posts.ndjson"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            v["platform"].as_str().unwrap().to_string(),
            v["id"].as_str().unwrap().to_string(),
        );
        rates.insert(key, v["expected_rate"].as_f64().unwrap());
    }
    let rows = common::query(
        &l.lake,
        "SELECT platform, post_id, substr(dt, 1, 7) AS month FROM training_posts",
    );
    let key = |r: &serde_json::Value| {
        (
            r["platform"].as_str().unwrap().to_string(),
            r["post_id"].as_str().unwrap().to_string(),
        )
    };
    let group_of = |r: &serde_json::Value| format!("{}/{}", r["platform"], r["month"]);
    let mut noise_free = std::collections::HashMap::new();
    for r in &rows {
        let own = rates[&key(r)];
        let peers: Vec<f64> = rows
            .iter()
            .filter(|o| group_of(o) == group_of(r))
            .map(|o| rates[&key(o)])
            .collect();
        let below = peers.iter().filter(|p| **p < own).count() as f64;
        let equal = peers.iter().filter(|p| **p == own).count() as f64;
        noise_free.insert(key(r), 100.0 * (below + 0.5 * equal) / peers.len() as f64);
    }
    let holdout = common::query(
        &l.lake,
        "SELECT platform, post_id, actual FROM metrics.holdout_predictions \
         WHERE run = 'lake-run' AND scope = 'all' AND model_kind = 'gbt_depthwise'",
    );
    let actual: Vec<f64> = holdout
        .iter()
        .map(|r| r["actual"].as_f64().unwrap())
        .collect();
    let predicted_ceiling: Vec<f64> = holdout.iter().map(|r| noise_free[&key(r)]).collect();
    let pearson = creativeiq::synth::pearson(&actual, &predicted_ceiling);
    assert!(
        (pearson * pearson - ceiling).abs() < 1e-9,
        "{} vs {ceiling}",
        pearson * pearson
    );
}
