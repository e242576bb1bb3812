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
use super::model::{from_json, json, Fitted, ModelKind, Params};
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
        // Members' files are saved under their kind's name: one of each.
        let distinct = members
            .iter()
            .enumerate()
            .all(|(i, (kind, _, _))| members[..i].iter().all(|(k, _, _)| k != kind));
        let valid = !members.is_empty()
            && distinct
            && members.iter().all(|(kind, w, fitted)| {
                kind.is_regressor()
                    && *kind != ModelKind::Blend
                    && (0.0..=1.0).contains(w)
                    && fitted.kind_matches(*kind)
            })
            && (total - 1.0).abs() < 1e-9;
        if !valid {
            return Err(TrainError::BadModel(format!(
                "a blend needs distinct regressors other than blends, each fitted as its \
                 kind, with weights in 0..1 summing to 1; got {:?}",
                members
                    .iter()
                    .map(|(k, w, f)| (k.name(), w, f.variant_name()))
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
        files.insert(BLEND_FILE.to_string(), json(&index)?);
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
        let index: Vec<(ModelKind, f64)> = from_json(index)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{BoostingParams, Growth, LinearParams};

    /// y = x0 * x1 * 100 on a 12 x 12 grid: trees and a line fit it differently.
    fn grid() -> (Matrix, Vec<f64>) {
        let mut data = Vec::new();
        let mut y = Vec::new();
        for i in 0..12 {
            for j in 0..12 {
                let (a, b) = (f64::from(i) / 11.0, f64::from(j) / 11.0);
                data.extend([a, b]);
                y.push(100.0 * a * b);
            }
        }
        (Matrix::new(y.len(), 2, data).unwrap(), y)
    }

    fn members(first: f64) -> Vec<(ModelKind, f64, Fitted)> {
        let (x, y) = grid();
        let boosting = Params::Boosting(BoostingParams {
            iterations: 30,
            learning_rate: 0.3,
            ..BoostingParams::default_for(Growth::DepthWise)
        });
        let linear = Params::Linear(LinearParams::default());
        vec![
            (
                ModelKind::GbtDepthwise,
                first,
                Fitted::fit(&boosting, &x, &y, None, 1).unwrap(),
            ),
            (
                ModelKind::ElasticNet,
                1.0 - first,
                Fitted::fit(&linear, &x, &y, None, 1).unwrap(),
            ),
        ]
    }

    #[test]
    fn a_saved_blend_predicts_its_weighted_mean_after_reloading() {
        let (x, _) = grid();
        let [trees, line]: [Vec<f64>; 2] = members(0.8)
            .iter()
            .map(|(_, _, m)| m.predict(&x).unwrap())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        assert!(trees.iter().zip(&line).any(|(t, l)| (t - l).abs() > 1.0));
        let blend = Blend::new(members(0.8)).unwrap();
        let again = Blend::from_files(&blend.to_files().unwrap()).unwrap();
        for p in [blend.predict(&x).unwrap(), again.predict(&x).unwrap()] {
            for ((p, t), l) in p.iter().zip(&trees).zip(&line) {
                assert!((p - (0.8 * t + 0.2 * l)).abs() < 1e-9, "{p} vs {t} and {l}");
            }
        }
    }

    #[test]
    fn a_blend_refuses_twin_members_mismatched_kinds_and_bad_weights() {
        let twins = members(0.5)
            .into_iter()
            .map(|(_, w, m)| (ModelKind::GbtDepthwise, w, m))
            .collect();
        assert!(Blend::new(twins).is_err());
        let mut swapped = members(0.5);
        swapped[0].0 = ModelKind::Mlp;
        assert!(Blend::new(swapped).is_err());
        let mut heavy = members(0.5);
        heavy[0].1 = 0.9;
        assert!(Blend::new(heavy).is_err());
        assert!(Blend::new(members(0.5)).is_ok());
    }

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
