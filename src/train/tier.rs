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
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::dataset::Matrix;
use super::linear::to_ndarray;
use super::metrics::quantile;
use super::TrainError;

/// Trees grown from one seed, on one core.
const TREES_PER_GROUP: usize = 10;
/// Most rows one tree is grown on (scikit-learn's `max_samples`).
/// linfa-trees' cost grows with the rows at every node: on 24,000 rows the
/// forest took 12 of train-full's 20 training minutes, and a vote of trees
/// on 8,000-row samples classifies as well.
const MAX_TREE_ROWS: usize = 8_000;

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
        // linfa-ensemble grows its trees one after another; groups of
        // trees, each from its own seed, grow on every core instead. The
        // groups and seeds do not depend on the thread count. (Two fits can
        // still differ a little: linfa-trees sums class frequencies over a
        // HashMap and breaks a leaf's tied vote in its order.)
        let groups: Vec<(usize, usize)> = (0..params.n_trees)
            .step_by(TREES_PER_GROUP)
            .enumerate()
            .map(|(g, first)| (g, TREES_PER_GROUP.min(params.n_trees - first)))
            .collect();
        let bootstrap = params
            .bootstrap_fraction
            .min(MAX_TREE_ROWS as f64 / x.rows().max(1) as f64);
        let fitted = groups
            .into_par_iter()
            .map(|(g, size)| {
                let tree = DecisionTree::<f64, usize>::params().max_depth(params.max_depth);
                let rng =
                    SmallRng::seed_from_u64(seed ^ (g as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                EnsembleLearnerParams::new_fixed_rng(tree, rng)
                    .ensemble_size(size)
                    .bootstrap_proportion(bootstrap)
                    .feature_proportion(params.feature_fraction)
                    .fit(&dataset)
                    .map_err(|e| TrainError::learner("tier forest", e))
            })
            .collect::<Result<Vec<EnsembleLearner<DecisionTree<f64, usize>>>, _>>()?;
        let (mut trees, mut tree_features) = (Vec::new(), Vec::new());
        for group in fitted {
            trees.extend(group.models);
            tree_features.extend(group.model_features);
        }
        Ok(TierForest {
            threshold,
            trees,
            tree_features,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 400 rows of 4 features; the score follows the first two.
    fn data() -> (Matrix, Vec<f64>) {
        let mut values = Vec::new();
        let mut scores = Vec::new();
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..400 {
            let row: Vec<f64> = (0..4).map(|_| next()).collect();
            scores.push(100.0 * (0.7 * row[0] + 0.3 * row[1]));
            values.extend(row);
        }
        (Matrix::new(400, 4, values).unwrap(), scores)
    }

    #[test]
    fn the_forest_finds_the_top_tier_on_one_core_as_on_two() {
        let (x, scores) = data();
        let params = TierParams {
            n_trees: 25,
            ..TierParams::default()
        };
        let fit_on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| TierForest::fit(&x, &scores, &params, 3).unwrap())
        };
        let (one, two) = (fit_on(1), fit_on(2));
        assert_eq!((one.trees.len(), two.trees.len()), (25, 25));
        let p = one.probability(&x);
        // Equal but for linfa-trees' tie-breaking (see `fit`).
        let differences: Vec<f64> = p
            .iter()
            .zip(two.probability(&x))
            .map(|(a, b)| (a - b).abs())
            .collect();
        let mean_difference = differences.iter().sum::<f64>() / differences.len() as f64;
        assert!(mean_difference < 0.02, "{mean_difference}");
        let (mut top, mut rest) = (Vec::new(), Vec::new());
        for (prob, score) in p.iter().zip(&scores) {
            if *score >= one.threshold {
                top.push(*prob);
            } else {
                rest.push(*prob);
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            mean(&top) > 0.7 && mean(&rest) < 0.2,
            "{} {}",
            mean(&top),
            mean(&rest)
        );
    }
}
