//! The blend: a weighted mean of two fitted regressors, the depth-wise
//! gradient-boosted trees and the MLP. Trees cut the feature space into
//! boxes and the network bends smooth surfaces through it, so they err in
//! different places, and their mean errs less than either.
//!
//! The weight is stacking with one parameter: the share of the first member
//! that maximises R² over the members' out-of-fold predictions on the
//! training rows (the holdout plays no part). The members are the models
//! the job trained for their own kinds, not refitted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dataset::Matrix;
use super::metrics;
use super::model::{Fitted, ModelKind, Params};
use super::TrainError;

/// The kinds a blend averages, in the order of their weights.
pub const MEMBERS: [ModelKind; 2] = [ModelKind::GbtDepthwise, ModelKind::Mlp];

/// The blend's file: its members' kinds and weights. Each member's own
/// files are saved beside it under the prefix `<kind>.`.
const BLEND_FILE: &str = "blend.json";

/// Shares of the first member tried when choosing the weight.
pub const WEIGHT_STEPS: usize = 20;

/// One member's kind, hyperparameters and weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendMember {
    /// The member's kind.
    pub kind: ModelKind,
    /// Its hyperparameters.
    pub params: Params,
    /// Its share of the prediction (the shares sum to 1).
    pub weight: f64,
}

/// A blend's hyperparameters: its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlendParams {
    /// The members, in [`MEMBERS`] order.
    pub members: Vec<BlendMember>,
}

impl Default for BlendParams {
    /// Every member with its kind's defaults, in equal shares.
    fn default() -> Self {
        BlendParams {
            members: MEMBERS
                .iter()
                .map(|&kind| BlendMember {
                    kind,
                    params: kind.default_params(),
                    weight: 1.0 / MEMBERS.len() as f64,
                })
                .collect(),
        }
    }
}

/// The first member's share (0..=1) whose mix of `first` and `second`
/// scores the best R² against `actual`, and that R². Ties go to the
/// more even mix.
pub fn best_weight(actual: &[f64], first: &[f64], second: &[f64]) -> (f64, f64) {
    let mut best: (f64, f64) = (0.5, f64::NEG_INFINITY);
    for step in 0..=WEIGHT_STEPS {
        let w = step as f64 / WEIGHT_STEPS as f64;
        let mixed = mix(first, second, w);
        let r2 = metrics::r2(actual, &mixed);
        let nearer_even = (w - 0.5).abs() < (best.0 - 0.5).abs();
        if r2 > best.1 || (r2 == best.1 && nearer_even) {
            best = (w, r2);
        }
    }
    best
}

/// `w * first + (1 - w) * second`, element by element.
pub fn mix(first: &[f64], second: &[f64], w: f64) -> Vec<f64> {
    first
        .iter()
        .zip(second)
        .map(|(a, b)| w * a + (1.0 - w) * b)
        .collect()
}

/// A fitted blend.
#[derive(Debug)]
pub struct Blend {
    members: Vec<(ModelKind, f64, Fitted)>,
}

impl Blend {
    /// A blend of fitted members with their weights.
    pub fn new(members: Vec<(ModelKind, f64, Fitted)>) -> Result<Blend, TrainError> {
        let total: f64 = members.iter().map(|(_, w, _)| w).sum();
        let valid = !members.is_empty()
            && members.iter().all(|(kind, w, _)| {
                kind.is_regressor() && *kind != ModelKind::Blend && (0.0..=1.0).contains(w)
            })
            && (total - 1.0).abs() < 1e-9;
        if !valid {
            return Err(TrainError::BadModel(format!(
                "a blend needs regressors other than blends with weights in 0..1 summing to 1; \
                 got {:?}",
                members
                    .iter()
                    .map(|(k, w, _)| (k.name(), w))
                    .collect::<Vec<_>>()
            )));
        }
        Ok(Blend { members })
    }

    /// Fits every member on `x`, `y` with its hyperparameters.
    pub fn fit(
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        params: &BlendParams,
        seed: u64,
    ) -> Result<Blend, TrainError> {
        let members = params
            .members
            .iter()
            .map(|m| {
                Ok((
                    m.kind,
                    m.weight,
                    Fitted::fit(&m.params, x, y, weights, seed)?,
                ))
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        Blend::new(members)
    }

    /// The weighted mean of the members' predictions.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        let mut out = vec![0.0; x.rows()];
        for (_, weight, fitted) in &self.members {
            for (o, p) in out.iter_mut().zip(fitted.predict(x)?) {
                *o += weight * p;
            }
        }
        Ok(out)
    }

    /// The weighted mean of the members' own importances, when every member
    /// has one by the same method (otherwise there is none to give).
    pub fn importance(&self, n_features: usize) -> Result<Option<Vec<f64>>, TrainError> {
        let mut total = vec![0.0; n_features];
        for (_, weight, fitted) in &self.members {
            let Some((_, values)) = fitted.native_importance(n_features)? else {
                return Ok(None);
            };
            let sum: f64 = values.iter().sum();
            for (t, v) in total.iter_mut().zip(values) {
                // Each library's scale differs: shares of its own total.
                *t += weight * if sum > 0.0 { v / sum } else { 0.0 };
            }
        }
        Ok(Some(total))
    }

    /// The blend's file and every member's files under `<kind>.`.
    pub fn to_files(&self) -> Result<BTreeMap<String, Vec<u8>>, TrainError> {
        let index: Vec<(ModelKind, f64)> = self.members.iter().map(|(k, w, _)| (*k, *w)).collect();
        let mut files = BTreeMap::new();
        files.insert(
            BLEND_FILE.to_string(),
            serde_json::to_vec(&index)
                .map_err(|e| TrainError::BadModel(format!("encoding {BLEND_FILE}: {e}")))?,
        );
        for (kind, _, fitted) in &self.members {
            for (name, bytes) in fitted.to_files()? {
                files.insert(format!("{}.{name}", kind.name()), bytes);
            }
        }
        Ok(files)
    }

    /// A blend from the files [`Blend::to_files`] wrote.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Result<Blend, TrainError> {
        let index = files
            .get(BLEND_FILE)
            .ok_or_else(|| TrainError::BadModel(format!("the blend model has no {BLEND_FILE}")))?;
        let index: Vec<(ModelKind, f64)> = serde_json::from_slice(index)
            .map_err(|e| TrainError::BadModel(format!("decoding {BLEND_FILE}: {e}")))?;
        let members = index
            .into_iter()
            .map(|(kind, weight)| {
                let prefix = format!("{}.", kind.name());
                let own: BTreeMap<String, Vec<u8>> = files
                    .iter()
                    .filter_map(|(name, bytes)| {
                        name.strip_prefix(&prefix)
                            .map(|rest| (rest.to_string(), bytes.clone()))
                    })
                    .collect();
                Ok((kind, weight, Fitted::from_files(kind, &own)?))
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        Blend::new(members)
    }

    /// A copy of a fitted model, through its files (learners' types need
    /// not be `Clone`); the blend keeps its members apart from the models
    /// saved for their own kinds.
    pub fn copy_of(kind: ModelKind, fitted: &Fitted) -> Result<Fitted, TrainError> {
        Fitted::from_files(kind, &fitted.to_files()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weight_favours_the_member_nearer_the_truth() {
        let actual: Vec<f64> = (0..50).map(f64::from).collect();
        let good: Vec<f64> = actual.iter().map(|a| a + 1.0).collect();
        let poor: Vec<f64> = actual.iter().map(|a| 50.0 - a).collect();
        assert_eq!(best_weight(&actual, &good, &poor).0, 1.0);
        assert_eq!(best_weight(&actual, &poor, &good).0, 0.0);
    }

    #[test]
    fn errors_of_opposite_sign_are_mixed_evenly() {
        let actual: Vec<f64> = (0..50).map(f64::from).collect();
        let high: Vec<f64> = actual.iter().map(|a| a + 3.0).collect();
        let low: Vec<f64> = actual.iter().map(|a| a - 3.0).collect();
        let (w, r2) = best_weight(&actual, &high, &low);
        assert_eq!(w, 0.5);
        assert!((r2 - 1.0).abs() < 1e-12);
    }
}
