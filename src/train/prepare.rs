//! Preparation shared by every learner: which columns a model uses, and how
//! missing values are filled.
//!
//! The strategy, fitted on the training rows only: a column with no value
//! in any training row is dropped (so a model trained on text-only posts
//! lists only context features); every other missing value is replaced by
//! the column's training median. Image-less posts are flagged by the
//! `has_image` column the assembler writes, so imputed image features are
//! told apart from real ones. The same filled matrix feeds every learner,
//! which keeps permutation importance comparable across kinds.

use serde::{Deserialize, Serialize};

use super::dataset::Matrix;
use super::metrics::quantile;
use super::TrainError;

/// The fitted preparation: kept columns and their fill values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preparation {
    /// The names of the input columns it expects.
    pub input_features: Vec<String>,
    /// The names of the columns the model uses, in order.
    pub used_features: Vec<String>,
    /// For each used column, its index among the input columns.
    pub used_columns: Vec<usize>,
    /// For each used column, the training median that fills a missing value.
    pub medians: Vec<f64>,
}

impl Preparation {
    /// Fits on the training matrix.
    pub fn fit(names: &[String], x: &Matrix) -> Result<Preparation, TrainError> {
        let mut used_features = Vec::new();
        let mut used_columns = Vec::new();
        let mut medians = Vec::new();
        for (j, name) in names.iter().enumerate() {
            let present: Vec<f64> = x.column(j).into_iter().filter(|v| !v.is_nan()).collect();
            if present.is_empty() {
                continue;
            }
            used_features.push(name.clone());
            used_columns.push(j);
            medians.push(quantile(&present, 0.5));
        }
        if used_columns.is_empty() {
            return Err(TrainError::BadDataset(
                "no feature has a value in any training row".to_string(),
            ));
        }
        Ok(Preparation {
            input_features: names.to_vec(),
            used_features,
            used_columns,
            medians,
        })
    }

    /// The used columns of `x` (which has the input columns), missing values
    /// filled.
    pub fn apply(&self, x: &Matrix) -> Matrix {
        let mut out = x.select_columns(&self.used_columns);
        let cols = out.cols();
        for (k, v) in out.data_mut().iter_mut().enumerate() {
            if v.is_nan() {
                *v = self.medians[k % cols];
            }
        }
        out
    }
}

/// Per-column mean and standard deviation, for the learners that need
/// standardised inputs (the MLP, the elastic net).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Column means.
    pub means: Vec<f64>,
    /// Column standard deviations (1 where a column is constant).
    pub stds: Vec<f64>,
}

impl Standardiser {
    /// Fits on `x`.
    pub fn fit(x: &Matrix) -> Standardiser {
        let n = x.rows() as f64;
        let mut means = Vec::with_capacity(x.cols());
        let mut stds = Vec::with_capacity(x.cols());
        for j in 0..x.cols() {
            let column = x.column(j);
            let mean = column.iter().sum::<f64>() / n;
            let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            means.push(mean);
            stds.push(if var > 0.0 { var.sqrt() } else { 1.0 });
        }
        Standardiser { means, stds }
    }

    /// `(x - mean) / std`, column by column.
    pub fn apply(&self, x: &Matrix) -> Matrix {
        let mut out = x.clone();
        let cols = out.cols();
        for (k, v) in out.data_mut().iter_mut().enumerate() {
            let j = k % cols;
            *v = (*v - self.means[j]) / self.stds[j];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_columns_are_dropped_and_gaps_get_the_median() {
        let nan = f64::NAN;
        let x = Matrix::new(3, 3, vec![1.0, nan, 5.0, nan, nan, 7.0, 3.0, nan, 100.0]).unwrap();
        let names = vec!["a".to_string(), "b".into(), "c".into()];
        let p = Preparation::fit(&names, &x).unwrap();
        assert_eq!(p.used_features, vec!["a".to_string(), "c".into()]);
        let filled = p.apply(&x);
        assert_eq!(filled.data(), &[1.0, 5.0, 2.0, 7.0, 3.0, 100.0]);
    }
}
