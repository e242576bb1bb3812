//! The random forest regressor: smartcore's `RandomForestRegressor`.
//!
//! smartcore grows its trees one after another; to use every core, the
//! forest is grown as a fixed number of sub-forests in parallel (each with
//! its own seed and a share of the trees) and predicts the mean over all
//! trees. The number of parts is fixed, not the number of cores, so a seed
//! gives the same forest on any machine.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::dataset::Matrix;
use super::TrainError;

/// Sub-forests grown in parallel.
const PARTS: usize = 4;

/// The forest's hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    /// Trees in the whole forest.
    pub n_trees: usize,
    /// Deepest a tree may grow (unlimited when `None`).
    pub max_depth: Option<u16>,
    /// Fewest rows in a leaf.
    pub min_samples_leaf: usize,
    /// Share of the features tried at each split (sklearn's `max_features`).
    pub feature_fraction: f64,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            n_trees: 100,
            max_depth: None,
            min_samples_leaf: 2,
            feature_fraction: 0.5,
        }
    }
}

type SmartForest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// A fitted forest.
#[derive(Debug, Serialize, Deserialize)]
pub struct Forest {
    parts: Vec<(usize, SmartForest)>,
}

fn dense(x: &Matrix) -> Result<DenseMatrix<f64>, TrainError> {
    DenseMatrix::new(x.rows(), x.cols(), x.data().to_vec(), false)
        .map_err(|e| TrainError::learner("random_forest", e))
}

impl Forest {
    /// Grows the forest on `x`, `y` with optional row weights (used as
    /// bootstrap sampling probabilities).
    pub fn fit(
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        params: &ForestParams,
        seed: u64,
    ) -> Result<Forest, TrainError> {
        let xs = dense(x)?;
        let ys = y.to_vec();
        let m = ((x.cols() as f64 * params.feature_fraction).round() as usize).clamp(1, x.cols());
        let parts: Result<Vec<_>, TrainError> = (0..PARTS)
            .into_par_iter()
            .map(|part| {
                let trees = params.n_trees / PARTS + usize::from(part < params.n_trees % PARTS);
                let mut p = RandomForestRegressorParameters::default()
                    .with_n_trees(trees.max(1))
                    .with_min_samples_leaf(params.min_samples_leaf)
                    .with_m(m)
                    .with_seed(seed.wrapping_add(1_000_003 * part as u64));
                if let Some(depth) = params.max_depth {
                    p = p.with_max_depth(depth);
                }
                let fitted = match weights {
                    Some(w) => SmartForest::fit_with_weights(&xs, &ys, w, p),
                    None => SmartForest::fit(&xs, &ys, p),
                }
                .map_err(|e| TrainError::learner("random_forest", e))?;
                Ok((trees.max(1), fitted))
            })
            .collect();
        Ok(Forest { parts: parts? })
    }

    /// The mean prediction over all trees.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        let xs = dense(x)?;
        let total: usize = self.parts.iter().map(|(n, _)| n).sum();
        let mut out = vec![0.0; x.rows()];
        for (trees, forest) in &self.parts {
            let p = forest
                .predict(&xs)
                .map_err(|e| TrainError::learner("random_forest", e))?;
            let share = *trees as f64 / total as f64;
            for (o, v) in out.iter_mut().zip(p) {
                *o += share * v;
            }
        }
        Ok(out)
    }

    /// smartcore's impurity-decrease importance, averaged over the parts.
    pub fn importance(&self) -> Result<Vec<f64>, TrainError> {
        let mut total: Vec<f64> = Vec::new();
        for (_, forest) in &self.parts {
            let imp = forest
                .compute_feature_importances()
                .map_err(|e| TrainError::learner("random_forest", e))?;
            if total.is_empty() {
                total = vec![0.0; imp.len()];
            }
            for (t, v) in total.iter_mut().zip(imp) {
                *t += v / PARTS as f64;
            }
        }
        Ok(total)
    }
}
