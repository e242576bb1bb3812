//! Prediction: a saved model's 0..100 score for a new design, with an
//! interval, the performance tier, and the features that pushed it up or
//! down.
//!
//! # What the stage reads
//!
//! A model saved by the train stage ([`SavedModel`]): from a directory, or
//! the champion of a scope from the lake's registry
//! (`models/champions.json`), with the tier classifier of the same run and
//! scope when there is one. Input is a post's context and, when it has an
//! image, its features ([`ImageFeatures`]), or a row of the model's input
//! columns.
//!
//! # What a prediction holds
//!
//! - the score, clamped to 0..100;
//! - a 90% interval: the score plus the 5% and 95% quantiles of the
//!   model's out-of-fold cross-validation residuals (the same method for
//!   every model kind), clamped to 0..100;
//! - the tier: the quartile of the score (the score is a percentile, so 75
//!   and above is the top quartile), and the tier classifier's probability
//!   of the top quartile when it was loaded;
//! - contributions ([`contributions`]): Shapley values for boosted trees,
//!   median occlusion for the other kinds.
//!
//! # Batch prediction
//!
//! [`BatchPredict`] scores every valid post of a range of dt partitions
//! with the champion of its platform (or the general one) and writes the
//! lake table `predictions.posts` (`predictions/posts/dt=<dt>/`), one file
//! per partition, replaced when the partition is scored again.
//!
//! Single and batch predictions both build on [`Predictor::predict_rows`].

mod batch;
mod contributions;

use rayon::prelude::*;
use serde::Serialize;

pub use batch::{BatchPredict, BatchReport, PREDICTIONS_TABLE};
pub use contributions::{contributions, Contribution, ContributionMethod};

use crate::lake::Lake;
use crate::train::publish::{load_model, read_registry, PublishError};
use crate::train::{
    model_path, ImageFeatures, Matrix, ModelKind, PostContext, SavedModel, TrainError,
};

/// Prediction failed.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The model could not be used.
    #[error(transparent)]
    Model(#[from] TrainError),
    /// The model could not be loaded from the lake.
    #[error(transparent)]
    Lake(#[from] PublishError),
    /// No champion for the scope.
    #[error("no champion model for {scope:?} in the lake's registry; train first (creativeiq train), or pick a scope among: {known}")]
    NoChampion {
        /// The scope asked for.
        scope: String,
        /// Scopes with a champion.
        known: String,
    },
    /// Writing the predictions failed.
    #[error("writing predictions: {0}")]
    Write(String),
    /// The model was not trained with a feature assembler, so it cannot
    /// build rows from a post.
    #[error("the model has no feature assembler in its manifest; give rows of its input columns")]
    NoAssembler,
}

/// The quartile of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 75 and above.
    TopQuartile,
    /// 50 to 75.
    UpperMiddle,
    /// 25 to 50.
    LowerMiddle,
    /// Below 25.
    BottomQuartile,
}

impl Tier {
    /// The tier's name, as in JSON and the predictions table.
    pub fn name(self) -> &'static str {
        match self {
            Tier::TopQuartile => "top_quartile",
            Tier::UpperMiddle => "upper_middle",
            Tier::LowerMiddle => "lower_middle",
            Tier::BottomQuartile => "bottom_quartile",
        }
    }

    /// The quartile of a 0..100 percentile score.
    pub fn of(score: f64) -> Tier {
        match score {
            s if s >= 75.0 => Tier::TopQuartile,
            s if s >= 50.0 => Tier::UpperMiddle,
            s if s >= 25.0 => Tier::LowerMiddle,
            _ => Tier::BottomQuartile,
        }
    }
}

/// One prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The predicted performance_score, 0..100.
    pub score: f64,
    /// The 90% interval around it.
    pub interval: (f64, f64),
    /// The quartile of the score.
    pub tier: Tier,
    /// The tier classifier's probability that the post is in the top quartile.
    pub top_tier_probability: Option<f64>,
    /// How the contributions were computed.
    pub contribution_method: ContributionMethod,
    /// Every feature's push, largest first.
    pub contributions: Vec<Contribution>,
    /// The model: run, scope, kind.
    pub model: (String, String, ModelKind),
}

impl Prediction {
    /// The features that pushed the score up most, largest first.
    pub fn top_up(&self, n: usize) -> Vec<&Contribution> {
        self.contributions
            .iter()
            .filter(|c| c.contribution > 0.0)
            .take(n)
            .collect()
    }

    /// The features that pushed it down most, largest first.
    pub fn top_down(&self, n: usize) -> Vec<&Contribution> {
        self.contributions
            .iter()
            .filter(|c| c.contribution < 0.0)
            .take(n)
            .collect()
    }
}

/// A loaded model, ready to predict.
#[derive(Debug)]
pub struct Predictor {
    model: SavedModel,
    tier: Option<SavedModel>,
}

impl Predictor {
    /// A predictor for a regression model, with an optional tier classifier
    /// trained on the same input columns.
    pub fn new(model: SavedModel, tier: Option<SavedModel>) -> Result<Predictor, PredictError> {
        if !model.manifest.kind.is_regressor() {
            return Err(TrainError::BadModel(format!(
                "{} is a classifier; predict with a regressor",
                model.manifest.kind
            ))
            .into());
        }
        if let Some(t) = &tier {
            if t.manifest.preparation.input_features != model.manifest.preparation.input_features {
                return Err(TrainError::BadModel(
                    "the tier classifier reads other input columns than the model".into(),
                )
                .into());
            }
        }
        Ok(Predictor { model, tier })
    }

    /// The champion of `scope` (`all` or a platform) in the lake's
    /// registry, with the tier classifier of its run when there is one.
    pub async fn champion(lake: &Lake, scope: &str) -> Result<Predictor, PredictError> {
        let registry = read_registry(lake).await?;
        let champion = registry
            .champions
            .get(scope)
            .ok_or_else(|| PredictError::NoChampion {
                scope: scope.to_string(),
                known: registry
                    .champions
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let model = load_model(lake, &champion.path).await?;
        let tier_path = model_path(&champion.run_id, scope, ModelKind::TierForest);
        let tier = load_model(lake, &tier_path).await.ok();
        Predictor::new(model, tier)
    }

    /// Explains a row of the training medians and drops the result. A
    /// process's first large matrix product pays for set-up inside the
    /// libraries: gemm, under the MLP, reads the CPU's cache sizes from
    /// about 90 files in /sys (0.5 ms of a `creativeiq predict`, spent
    /// after the design's analysis, on its contributions). Called while
    /// the design is being analysed, that cost leaves the path the user
    /// waits on. The contributions themselves, because gemm multiplies
    /// small products (one row's) another way, which needs no cache sizes.
    pub fn warm_up(&self) {
        // Only the side effect matters: an error here is the one the real
        // prediction will report.
        let _ = contributions(&self.model, &self.model.manifest.preparation.medians);
    }

    /// The regression model.
    pub fn model(&self) -> &SavedModel {
        &self.model
    }

    /// Predicts a post from its context and image features.
    pub fn predict_post(
        &self,
        post: &PostContext,
        image: Option<&ImageFeatures>,
    ) -> Result<Prediction, PredictError> {
        let assembler = self
            .model
            .manifest
            .assembler
            .as_ref()
            .ok_or(PredictError::NoAssembler)?;
        let row = assembler.row(post, image);
        let x = Matrix::new(1, row.len(), row).map_err(PredictError::Model)?;
        Ok(self.predict_rows(&x)?.remove(0))
    }

    /// Predicts rows of the model's input columns (missing values `NaN`).
    pub fn predict_rows(&self, x: &Matrix) -> Result<Vec<Prediction>, PredictError> {
        let manifest = &self.model.manifest;
        let scores = self.model.predict_inputs(x)?;
        let tier_probability = match &self.tier {
            Some(t) => Some(t.predict_inputs(x)?),
            None => None,
        };
        let prepared = manifest.preparation.apply(x);
        let (low, high) = manifest.residual_quantiles.unwrap_or((0.0, 0.0));
        // Exact Shapley values cost far more than the score itself: a
        // batch spreads them over every core.
        let explained = (0..x.rows())
            .into_par_iter()
            .map(|i| contributions(&self.model, prepared.row(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(x.rows());
        for (i, (raw, (method, contributions))) in scores.iter().zip(explained).enumerate() {
            let score = raw.clamp(0.0, 100.0);
            out.push(Prediction {
                score,
                interval: (
                    (raw + low).clamp(0.0, 100.0),
                    (raw + high).clamp(0.0, 100.0),
                ),
                tier: Tier::of(score),
                top_tier_probability: tier_probability.as_ref().map(|p| p[i]),
                contribution_method: method,
                contributions,
                model: (
                    manifest.run_id.clone(),
                    manifest.scope.clone(),
                    manifest.kind,
                ),
            });
        }
        Ok(out)
    }
}
