//! The performance-tier classifier: linfa-ensemble's random forest of
//! linfa-trees decision trees, predicting whether a post lands in the top
//! quartile of its training scores. Its vote share is the tier's
//! probability. linfa-ensemble bootstraps rows and features per tree and
//! takes no row weights, so it is fitted unweighted.

use linfa::prelude::*;
use linfa_ensemble::{EnsembleLearner, EnsembleLearnerParams};
use linfa_trees::DecisionTree;
use ndarray::{Array1, Axis};
use rand08::rngs::SmallRng;
use rand08::SeedableRng;
use serde::{Deserialize, Serialize};

use super::dataset::Matrix;
use super::linear::to_ndarray;
use super::metrics::quantile;
use super::TrainError;

/// The classifier's hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierParams {
    /// Trees.
    pub n_trees: usize,
    /// Deepest a tree may grow.
    pub max_depth: Option<usize>,
    /// Share of the rows each tree is grown on (bootstrap).
    pub bootstrap_fraction: f64,
    /// Share of the features each tree sees.
    pub feature_fraction: f64,
}

impl Default for TierParams {
    fn default() -> Self {
        TierParams {
            n_trees: 60,
            max_depth: Some(10),
            bootstrap_fraction: 0.7,
            feature_fraction: 0.6,
        }
    }
}

/// A fitted tier classifier.
#[derive(Debug, Serialize, Deserialize)]
pub struct TierForest {
    /// Scores at or above this are the top tier (the training scores' 75th
    /// percentile; 75 when the score is a percentile, as it is in the lake).
    pub threshold: f64,
    trees: Vec<DecisionTree<f64, usize>>,
    tree_features: Vec<Vec<usize>>,
}

impl TierForest {
    /// Fits on `x` with labels "score at or above the training 75th
    /// percentile".
    pub fn fit(
        x: &Matrix,
        scores: &[f64],
        params: &TierParams,
        seed: u64,
    ) -> Result<TierForest, TrainError> {
        let threshold = quantile(scores, 0.75);
        let labels: Array1<usize> = scores
            .iter()
            .map(|s| usize::from(*s >= threshold))
            .collect();
        let dataset = Dataset::new(to_ndarray(x), labels);
        let tree = DecisionTree::<f64, usize>::params().max_depth(params.max_depth);
        let fitted: EnsembleLearner<DecisionTree<f64, usize>> =
            EnsembleLearnerParams::new_fixed_rng(tree, SmallRng::seed_from_u64(seed))
                .ensemble_size(params.n_trees)
                .bootstrap_proportion(params.bootstrap_fraction)
                .feature_proportion(params.feature_fraction)
                .fit(&dataset)
                .map_err(|e| TrainError::learner("tier forest", e))?;
        Ok(TierForest {
            threshold,
            trees: fitted.models,
            tree_features: fitted.model_features,
        })
    }

    /// For each row, the share of trees voting "top tier".
    pub fn probability(&self, x: &Matrix) -> Vec<f64> {
        let records = to_ndarray(x);
        let mut votes = vec![0.0; x.rows()];
        for (tree, features) in self.trees.iter().zip(&self.tree_features) {
            let sub = records.select(Axis(1), features);
            let predicted: Array1<usize> = tree.predict(&sub);
            for (v, p) in votes.iter_mut().zip(predicted) {
                *v += p as f64;
            }
        }
        let n = self.trees.len() as f64;
        votes.iter().map(|v| v / n).collect()
    }

    /// linfa-trees' importance (the mean impurity decrease per split on a
    /// feature, which favours features split on rarely), mapped back to the
    /// input columns, summed over trees and normalised to sum to 1.
    pub fn importance(&self, n_features: usize) -> Vec<f64> {
        let mut total = vec![0.0; n_features];
        for (tree, features) in self.trees.iter().zip(&self.tree_features) {
            for (k, v) in tree.feature_importance().iter().enumerate() {
                if let Some(&j) = features.get(k) {
                    if v.is_finite() {
                        total[j] += v;
                    }
                }
            }
        }
        let sum: f64 = total.iter().sum();
        total
            .iter()
            .map(|t| if sum > 0.0 { t / sum } else { 0.0 })
            .collect()
    }
}
