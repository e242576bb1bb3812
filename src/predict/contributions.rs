//! Per-prediction contributions: which features pushed one prediction up or
//! down.
//!
//! - Gradient-boosted trees: exact Shapley values from forust-ml (tree
//!   SHAP); they add up, with the bias, to the prediction.
//! - Every other kind: occlusion against a baseline row, the training
//!   medians the model imputes with: a feature's contribution is the
//!   prediction minus the prediction with that one feature set to its
//!   median. It is exact for the linear model; with interactions the
//!   contributions need not add up to the prediction minus the baseline's.

use serde::Serialize;

use crate::train::{Matrix, SavedModel, TrainError};

/// How the contributions were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionMethod {
    /// Tree SHAP (forust-ml).
    Shapley,
    /// Prediction minus prediction with the feature at its training median.
    MedianOcclusion,
}

/// One feature's push on one prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The feature, as the model names it.
    pub feature: String,
    /// Its value in the row (after filling a missing value).
    pub value: f64,
    /// Score points it adds (positive) or removes (negative).
    pub contribution: f64,
}

/// The contributions to the prediction for one prepared row (the model's
/// used columns, filled), largest push first.
pub fn contributions(
    model: &SavedModel,
    prepared: &[f64],
) -> Result<(ContributionMethod, Vec<Contribution>), TrainError> {
    let names = &model.manifest.preparation.used_features;
    let x = Matrix::new(1, prepared.len(), prepared.to_vec())?;
    let (method, values) = match model.model.shapley(&x)? {
        Some(rows) => (ContributionMethod::Shapley, rows[0][..names.len()].to_vec()),
        None => {
            let medians = &model.manifest.preparation.medians;
            // Row 0 is the prediction itself; row 1 + j has feature j occluded.
            let mut data = prepared.to_vec();
            for j in 0..prepared.len() {
                let mut row = prepared.to_vec();
                row[j] = medians[j];
                data.extend(row);
            }
            let all = Matrix::new(prepared.len() + 1, prepared.len(), data)?;
            let predicted = model.model.predict(&all)?;
            let values = (0..prepared.len())
                .map(|j| predicted[0] - predicted[j + 1])
                .collect();
            (ContributionMethod::MedianOcclusion, values)
        }
    };
    let mut out: Vec<Contribution> = names
        .iter()
        .zip(prepared)
        .zip(values)
        .map(|((feature, value), contribution)| Contribution {
            feature: feature.clone(),
            value: *value,
            contribution,
        })
        .collect();
    out.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    Ok((method, out))
}
