//! The regularised linear baseline: linfa-elasticnet on standardised
//! inputs. Its coefficients (on the standardised scale) are its own
//! importance. linfa's elastic net takes no row weights, so the baseline is
//! fitted unweighted.

use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::dataset::Matrix;
use super::prepare::Standardiser;
use super::TrainError;

/// The elastic net's hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearParams {
    /// Overall penalty strength (alpha).
    pub penalty: f64,
    /// Share of the penalty that is L1 (0 = ridge, 1 = lasso).
    pub l1_ratio: f64,
}

impl Default for LinearParams {
    fn default() -> Self {
        LinearParams {
            penalty: 0.1,
            l1_ratio: 0.5,
        }
    }
}

/// A fitted elastic net and the scaling of its inputs.
#[derive(Debug, Serialize, Deserialize)]
pub struct Linear {
    scale: Standardiser,
    model: ElasticNet<f64>,
}

/// An ndarray view of a matrix (linfa's input type).
pub(super) fn to_ndarray(x: &Matrix) -> Array2<f64> {
    Array2::from_shape_vec((x.rows(), x.cols()), x.data().to_vec())
        .expect("a Matrix's length is rows * cols")
}

impl Linear {
    /// Fits on `x`, `y`.
    pub fn fit(x: &Matrix, y: &[f64], params: &LinearParams) -> Result<Linear, TrainError> {
        let scale = Standardiser::fit(x);
        let records = to_ndarray(&scale.apply(x));
        let dataset = Dataset::new(records, Array1::from_vec(y.to_vec()));
        let model = ElasticNet::params()
            .penalty(params.penalty)
            .l1_ratio(params.l1_ratio)
            .max_iterations(5_000)
            .fit(&dataset)
            .map_err(|e| TrainError::learner("elastic net", e))?;
        Ok(Linear { scale, model })
    }

    /// Predictions.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let records = to_ndarray(&self.scale.apply(x));
        self.model.predict(&records).to_vec()
    }

    /// The absolute coefficients on standardised inputs, normalised to sum
    /// to 1 (all zero when every coefficient is).
    pub fn importance(&self) -> Vec<f64> {
        let abs: Vec<f64> = self.model.hyperplane().iter().map(|c| c.abs()).collect();
        let total: f64 = abs.iter().sum();
        abs.iter()
            .map(|a| if total > 0.0 { a / total } else { 0.0 })
            .collect()
    }
}
