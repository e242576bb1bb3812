//! What a training run reports: the rows of the metric tables
//! (`metrics/model_metrics`, `metrics/cv_folds`, `metrics/feature_importance`,
//! `metrics/holdout_predictions`) and the champion of each scope.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::ModelKind;

/// One model's summary on one split (`cv` or `holdout`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetricsRow {
    /// `all` or a platform.
    pub scope: String,
    /// The model kind.
    pub kind: ModelKind,
    /// `cv` (mean over the folds) or `holdout`.
    pub split: &'static str,
    /// Rows scored.
    pub rows: usize,
    /// R² (regressors).
    pub r2: Option<f64>,
    /// RMSE (regressors).
    pub rmse: Option<f64>,
    /// MAE (regressors).
    pub mae: Option<f64>,
    /// Spearman (regressors).
    pub spearman: Option<f64>,
    /// Accuracy (the tier classifier).
    pub accuracy: Option<f64>,
    /// A/B pairwise accuracy (holdout row; regressors with pairs).
    pub pairwise_accuracy: Option<f64>,
    /// A/B pairs scored.
    pub ab_pairs: Option<usize>,
    /// The ceiling R² the ratio is taken to (holdout row, synthetic data).
    pub ceiling_r2: Option<f64>,
    /// Holdout R² over the ceiling R².
    pub ceiling_ratio: Option<f64>,
    /// The hyperparameters, as JSON.
    pub params: String,
    /// Candidates the search tried.
    pub search_candidates: usize,
    /// Seconds spent on this model (search, CV, fit, importance).
    pub seconds: f64,
    /// Whether it is its scope's champion of this run.
    pub champion: bool,
}

/// One cross-validation fold.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldRow {
    /// `all` or a platform.
    pub scope: String,
    /// The model kind.
    pub kind: ModelKind,
    /// 0-based fold number.
    pub fold: usize,
    /// Rows fitted on.
    pub train_rows: usize,
    /// Rows scored.
    pub test_rows: usize,
    /// R² (regressors).
    pub r2: Option<f64>,
    /// RMSE (regressors).
    pub rmse: Option<f64>,
    /// MAE (regressors).
    pub mae: Option<f64>,
    /// Spearman (regressors).
    pub spearman: Option<f64>,
    /// Accuracy (the tier classifier).
    pub accuracy: Option<f64>,
}

/// One feature's importance for one model by one method.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportanceRow {
    /// `all` or a platform.
    pub scope: String,
    /// The model kind.
    pub kind: ModelKind,
    /// `permutation` (drop of the holdout R², or of the accuracy for the
    /// tier classifier) or the library's own method.
    pub method: String,
    /// The feature.
    pub feature: String,
    /// Its importance.
    pub importance: f64,
    /// Standard deviation over the permutation repeats.
    pub importance_std: Option<f64>,
    /// 1 = most important, within the model and method.
    pub rank: usize,
}

/// One holdout prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutRow {
    /// `all` or a platform.
    pub scope: String,
    /// The model kind.
    pub kind: ModelKind,
    /// The post.
    pub post_id: String,
    /// Its platform.
    pub platform: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Its performance_score.
    pub actual: f64,
    /// The predicted score (the top-tier probability for the tier classifier).
    pub predicted: f64,
}

/// The best regressor of a scope in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Champion {
    /// The run that trained it.
    pub run_id: String,
    /// The model kind.
    pub kind: ModelKind,
    /// Its holdout R².
    pub holdout_r2: f64,
    /// Where it is saved, relative to the lake root or the models directory.
    pub path: String,
}

/// Everything a run reports.
#[derive(Debug, Clone, Default)]
pub struct TrainReport {
    /// The run.
    pub run_id: String,
    /// Model summaries.
    pub metrics: Vec<ModelMetricsRow>,
    /// Cross-validation folds.
    pub folds: Vec<FoldRow>,
    /// Feature importances.
    pub importance: Vec<ImportanceRow>,
    /// Holdout predictions.
    pub holdout: Vec<HoldoutRow>,
    /// The champion of each scope.
    pub champions: BTreeMap<String, Champion>,
    /// Scopes skipped, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl TrainReport {
    /// The summary row of a model on a split.
    pub fn metric(&self, scope: &str, kind: ModelKind, split: &str) -> Option<&ModelMetricsRow> {
        self.metrics
            .iter()
            .find(|m| m.scope == scope && m.kind == kind && m.split == split)
    }

    /// A readable table of the holdout metrics, champions marked.
    pub fn table(&self) -> String {
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        let mut out = format!(
            "{:<12} {:<14} {:>6} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7}\n",
            "scope",
            "model",
            "rows",
            "r2",
            "rmse",
            "mae",
            "spearman",
            "acc",
            "ab_acc",
            "cv_r2",
            "r2/ceil"
        );
        for m in self.metrics.iter().filter(|m| m.split == "holdout") {
            let cv = self.metric(&m.scope, m.kind, "cv").and_then(|c| c.r2);
            out.push_str(&format!(
                "{:<12} {:<14} {:>6} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>8} {:>7}{}\n",
                m.scope,
                m.kind.name(),
                m.rows,
                f(m.r2),
                f(m.rmse),
                f(m.mae),
                f(m.spearman),
                f(m.accuracy),
                f(m.pairwise_accuracy),
                f(cv),
                f(m.ceiling_ratio),
                if m.champion { "  *champion" } else { "" }
            ));
        }
        out
    }
}
