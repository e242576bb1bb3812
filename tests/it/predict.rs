//! The predict stage: scores with intervals, tiers and contributions from
//! models trained on generated data, and the lake's champion.

use std::path::Path;

use creativeiq::lake::Lake;
use creativeiq::predict::{ContributionMethod, Predictor, Tier};
use creativeiq::train::publish::publish;
use creativeiq::train::{Matrix, ModelKind};

use crate::common;
use crate::train::{friedman, quick};

fn job(kinds: &[ModelKind]) -> creativeiq::train::TrainJob {
    let mut job = creativeiq::train::TrainJob::new()
        .with_run_id("predict-run")
        .with_kinds(kinds)
        .with_per_platform(false)
        .with_importance_repeats(1);
    for &k in kinds {
        job = job.with_params(k, quick(k));
    }
    job
}

/// A row with x3 (a linear term of the function) high, the rest mid.
fn row_with_high_x3() -> Matrix {
    Matrix::new(1, 6, vec![0.5, 0.5, 0.5, 0.95, 0.5, 0.5]).unwrap()
}

#[test]
fn boosted_predictions_carry_shapley_values_that_add_up() {
    let data = friedman(600, 6, 1.0, 21);
    let mut out = job(&[ModelKind::GbtDepthwise, ModelKind::TierForest])
        .run(&data)
        .unwrap();
    let tier = out.models.pop().unwrap();
    let model = out.models.pop().unwrap();
    let raw = model.predict_inputs(&row_with_high_x3()).unwrap()[0];
    let predictor = Predictor::new(model, Some(tier)).unwrap();
    let p = predictor
        .predict_rows(&row_with_high_x3())
        .unwrap()
        .remove(0);
    assert_eq!(p.contribution_method, ContributionMethod::Shapley);
    assert_eq!(p.score, raw.clamp(0.0, 100.0));
    assert!(p.interval.0 <= p.score && p.score <= p.interval.1, "{p:?}");
    assert!(p.interval.1 - p.interval.0 > 1.0, "{p:?}");
    assert_eq!(p.tier, Tier::of(p.score));
    let probability = p.top_tier_probability.unwrap();
    assert!((0.0..=1.0).contains(&probability));
    // x3 pushes up the most; noise columns barely move the score.
    assert_eq!(p.top_up(1)[0].feature, "x3", "{:?}", p.contributions);
    let x5 = p.contributions.iter().find(|c| c.feature == "x5").unwrap();
    assert!(x5.contribution.abs() < p.top_up(1)[0].contribution.abs() / 4.0);
    // Tree SHAP: contributions plus the bias equal the prediction.
    let shapley = predictor
        .model()
        .model
        .shapley(&row_with_high_x3())
        .unwrap()
        .unwrap()
        .remove(0);
    assert!((shapley.iter().sum::<f64>() - raw).abs() < 1e-6);
}

#[test]
fn other_kinds_explain_by_occlusion_and_the_lake_champion_predicts() {
    let data = friedman(500, 6, 1.0, 22);
    let out = job(&[
        ModelKind::RandomForest,
        ModelKind::ElasticNet,
        ModelKind::TierForest,
    ])
    .run(&data)
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let lake = Lake::open(tmp.path().to_str().unwrap()).await.unwrap();
        publish(&lake, &out).await.unwrap();
        let predictor = Predictor::champion(&lake, "all").await.unwrap();
        let champion = out.report.champions["all"].kind;
        assert_eq!(predictor.model().manifest.kind, champion);
        let p = predictor
            .predict_rows(&row_with_high_x3())
            .unwrap()
            .remove(0);
        assert_eq!(p.contribution_method, ContributionMethod::MedianOcclusion);
        assert!(
            p.top_tier_probability.is_some(),
            "the run's tier model loads with it"
        );
        let x3 = p.contributions.iter().find(|c| c.feature == "x3").unwrap();
        assert!(x3.contribution > 1.0, "{:?}", p.contributions);
        assert!(p.top_down(3).iter().all(|c| c.contribution < 0.0));

        let err = Predictor::champion(&lake, "myspace").await.unwrap_err();
        assert!(err.to_string().contains("all"), "{err}");
    });
    // For the linear model, occlusion is exact: coefficient times distance to the median.
    let linear = out.model("all", ModelKind::ElasticNet).unwrap();
    let medians = linear.manifest.preparation.medians.clone();
    let at_median = Matrix::new(1, 6, medians.clone()).unwrap();
    let mut moved = medians.clone();
    moved[3] += 0.2;
    let moved = Matrix::new(1, 6, moved).unwrap();
    let base = linear.predict_inputs(&at_median).unwrap()[0];
    let (_, contributions) = creativeiq::predict::contributions(linear, moved.row(0)).unwrap();
    let delta = linear.predict_inputs(&moved).unwrap()[0] - base;
    let x3 = contributions.iter().find(|c| c.feature == "x3").unwrap();
    assert!((x3.contribution - delta).abs() < 1e-9);
}

#[test]
fn batch_predictions_land_once_and_match_single_predictions() {
    let l = crate::train::synthetic_lake();
    let lake = l.lake.as_str();
    // One partition, then every partition (the first is scored again).
    let day = common::query(lake, "SELECT min(dt) AS dt FROM posts_valid")[0]["dt"]
        .as_str()
        .unwrap()
        .to_string();
    let one = common::run(lake, &["predict", "--partition", &format!("dt={day}")]);
    assert!(one.status.success(), "{}", common::stderr(&one));
    let in_day = common::count(
        lake,
        &format!("SELECT count(*) AS n FROM posts_valid WHERE dt = '{day}'"),
    );
    assert_eq!(
        common::count(lake, "SELECT count(*) AS n FROM predictions.posts"),
        in_day
    );
    let all = common::run(lake, &["predict", "--all"]);
    assert!(all.status.success(), "{}", common::stderr(&all));
    let valid = common::count(lake, "SELECT count(*) AS n FROM posts_valid");
    assert_eq!(
        common::count(
            lake,
            "SELECT count(DISTINCT concat(platform, '/', post_id)) AS n FROM predictions.posts"
        ),
        valid
    );
    assert_eq!(
        common::count(lake, "SELECT count(*) AS n FROM predictions.posts"),
        valid
    );
    // Each platform's champion scored its posts.
    assert_eq!(
        common::count(
            lake,
            "SELECT count(*) AS n FROM predictions.posts WHERE model_run <> 'lake-run' \
             OR (model_scope <> platform AND model_scope <> 'all')"
        ),
        0
    );

    // A few Instagram posts scored one at a time from their image file and
    // context give the scores the batch wrote.
    let posts = common::query(
        lake,
        "SELECT p.post_id, p.image_sha256, p.score, p.tier, v.published_at, v.audience_size, v.caption, i.format \
         FROM predictions.posts AS p \
         JOIN posts_valid AS v ON v.platform = p.platform AND v.post_id = p.post_id \
         JOIN images AS i ON i.sha256 = p.image_sha256 \
         WHERE p.platform = 'instagram' ORDER BY p.post_id LIMIT 3",
    );
    assert_eq!(posts.len(), 3);
    for post in &posts {
        let sha = post["image_sha256"].as_str().unwrap();
        let blob = std::fs::read_dir(Path::new(lake).join("blobs/images").join(&sha[..2]))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_stem().unwrap().to_str() == Some(sha))
            .unwrap();
        let at = post["published_at"].as_str().unwrap().replace(' ', "T");
        let at = if at.ends_with('Z') {
            at
        } else {
            format!("{at}Z")
        };
        let audience = post["audience_size"].to_string();
        let caption = format!("--caption={}", post["caption"].as_str().unwrap());
        let output = common::run(
            lake,
            &[
                "predict",
                blob.to_str().unwrap(),
                "--platform",
                "instagram",
                "--at",
                &at,
                "--audience",
                &audience,
                &caption,
                "--json",
            ],
        );
        assert!(output.status.success(), "{}", common::stderr(&output));
        let single: serde_json::Value =
            serde_json::from_str(common::stdout(&output).trim()).unwrap();
        assert_eq!(
            single["score"].as_f64().unwrap(),
            post["score"].as_f64().unwrap(),
            "post {}",
            post["post_id"]
        );
        assert_eq!(single["tier"], post["tier"]);
    }
}
