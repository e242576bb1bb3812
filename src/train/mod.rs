//! Training: models that predict a post's `performance_score` (0..100) from
//! its design and context features, evaluated honestly, saved with a
//! manifest, and published to the lake with their metric tables and a
//! champion per platform.
//!
//! # What the stage reads and writes
//!
//! It reads a [`Dataset`]: a feature matrix with names, the target, optional
//! balancing weights, and each row's platform, publication time and post id;
//! from the lake ([`source::read_lake`]: `sql/jobs/training_set.sql`, the
//! view `training_posts` joined with `features.design`, and the A/B tests
//! of `sql/jobs/ab_pairs.sql`) or a file ([`source::read_file`]).
//! [`FeatureAssembler`] builds the rows from a post's context and its row of
//! `features.design` (posts without an image keep their context features;
//! see [`prepare`] for how missing values are filled); given a brand
//! profile (`creativeiq train --brand`), it adds `brand_score`, the
//! design's score against the brand as `creativeiq brand check` computes
//! it. [`TrainJob`] trains
//! every [`ModelKind`] for the general scope `all` and each platform with
//! enough rows, and returns the models ([`SavedModel`]) and a
//! [`TrainReport`]. [`publish`] writes a run into the lake:
//! `models/<run>/<scope>/<kind>/` (manifest and model files), the tables
//! `metrics.model_metrics`, `metrics.cv_folds`, `metrics.feature_importance`
//! and `metrics.holdout_predictions` (partitioned by run), and last, in one
//! atomic write, the champion registry `models/champions.json`.
//!
//! # Evaluation
//!
//! The latest weeks are held out by publication time; the hyperparameter
//! search ([`search`]) and the 5-fold cross-validation run on the earlier
//! rows only; the model fitted on those rows is scored on the holdout (R²,
//! RMSE, MAE, Spearman, A/B pairwise accuracy, ratio to a ceiling R²; see
//! [`ceiling`] for how the ceiling of synthetic data is computed), and
//! permutation importance on the holdout gives every kind an importance
//! with the same meaning. Everything is seeded.
//!
//! # Extending
//!
//! A new model kind: a file with its params and fitted type (fit, predict,
//! importance, files), a variant in [`ModelKind`], [`model::Params`] and
//! [`model::Fitted`], and its search space in [`ModelKind::search_space`].

pub mod assemble;
mod blend;
mod boosting;
pub mod ceiling;
mod columns;
pub mod dataset;
mod forest;
pub mod importance;
mod job;
mod linear;
mod manifest;
pub mod metrics;
mod mlp;
pub mod model;
pub mod prepare;
pub mod publish;
mod report;
pub mod search;
pub mod source;
pub mod split;
mod tier;

pub use assemble::{
    AssembledBrand, FeatureAssembler, ImageFeatures, PostContext, TrainingPost, BRAND_SCORE,
};
pub use blend::{BlendMember, BlendParams};
pub use boosting::{BoostingParams, Growth};
pub use ceiling::TrueRates;
pub use dataset::{Dataset, Matrix, RowInfo};
pub use forest::ForestParams;
pub use job::{model_path, AbPairs, TrainJob, TrainOutput, ALL_SCOPE};
pub use linear::LinearParams;
pub use manifest::{library_versions, DataRange, Manifest, ModelScores, SavedModel, MANIFEST_FILE};
pub use mlp::MlpParams;
pub use model::{Fitted, ModelKind, Params};
pub use report::{Champion, FoldRow, HoldoutRow, ImportanceRow, ModelMetricsRow, TrainReport};
pub use search::SearchBudget;
pub use tier::TierParams;

/// Training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training data is unusable as given.
    #[error("bad training data: {0}")]
    BadDataset(String),
    /// Too few rows for a step.
    #[error("{what} needs at least {needed} rows, the data has {rows}")]
    TooFewRows {
        /// The step.
        what: String,
        /// Rows there are.
        rows: usize,
        /// Rows it needs.
        needed: usize,
    },
    /// The time-based holdout leaves one side empty or too small.
    #[error(
        "a holdout of the last {weeks} weeks leaves {train} training and {holdout} holdout rows; \
         change --holdout-weeks or add data"
    )]
    BadHoldout {
        /// The holdout's length.
        weeks: u32,
        /// Training rows.
        train: usize,
        /// Holdout rows.
        holdout: usize,
    },
    /// A learner failed.
    #[error("{learner}: {message}")]
    Learner {
        /// Which one.
        learner: &'static str,
        /// Its error.
        message: String,
    },
    /// A run id that cannot name a lake folder.
    #[error("run id {0:?}: use letters, digits, '-', '_' and '.'")]
    BadRunId(String),
    /// Reading the training set or the posts to score from the lake failed.
    #[error("reading the lake ({step}): {message}")]
    Lake {
        /// The step: opening the tables, or the job of `sql/jobs/`.
        step: String,
        /// The query engine's error.
        message: String,
    },
    /// A model name is not a kind.
    #[error("unknown model kind {0:?}; known: random_forest, gbt_depthwise, gbt_leafwise, mlp, elastic_net, tier_forest")]
    UnknownKind(String),
    /// A saved model is incomplete or unreadable.
    #[error("saved model: {0}")]
    BadModel(String),
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl TrainError {
    /// A learner's error, which the crates give as various types.
    pub(crate) fn learner(learner: &'static str, error: impl std::fmt::Display) -> TrainError {
        TrainError::Learner {
            learner,
            message: error.to_string(),
        }
    }
}

/// Uniform numbers in [0, 1) from `seed` (a 64-bit LCG), for the learners'
/// tests.
#[cfg(test)]
fn test_uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}
