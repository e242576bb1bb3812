//! The model kinds, their hyperparameters and search spaces, and one type
//! over every fitted model: fit, predict, the library's own importance, and
//! saving to / loading from named files.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::blend::{Blend, BlendParams};
use super::boosting::{Boosted, BoostingParams, Growth, JsonBoosted};
use super::dataset::Matrix;
use super::forest::{Forest, ForestParams};
use super::linear::{Linear, LinearParams};
use super::mlp::{Mlp, MlpParams};
use super::search::SearchSpace;
use super::tier::{LinfaTierForest, TierForest, TierParams};
use super::TrainError;

/// A kind of model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Random forest regressor (smartcore).
    RandomForest,
    /// Gradient-boosted trees grown depth-wise, XGBoost-style (forust-ml).
    GbtDepthwise,
    /// Gradient-boosted trees grown leaf-wise with GOSS, LightGBM-style (forust-ml).
    GbtLeafwise,
    /// Multilayer perceptron (candle-nn).
    Mlp,
    /// Weighted mean of the depth-wise boosted trees and the MLP.
    Blend,
    /// Elastic-net linear baseline (linfa-elasticnet).
    ElasticNet,
    /// Top-quartile classifier (linfa-ensemble random forest).
    TierForest,
}

impl ModelKind {
    /// Every kind, in report order.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::RandomForest,
        ModelKind::GbtDepthwise,
        ModelKind::GbtLeafwise,
        ModelKind::Mlp,
        ModelKind::Blend,
        ModelKind::ElasticNet,
        ModelKind::TierForest,
    ];

    /// The name in tables, manifests and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::RandomForest => "random_forest",
            ModelKind::GbtDepthwise => "gbt_depthwise",
            ModelKind::GbtLeafwise => "gbt_leafwise",
            ModelKind::Mlp => "mlp",
            ModelKind::Blend => "blend",
            ModelKind::ElasticNet => "elastic_net",
            ModelKind::TierForest => "tier_forest",
        }
    }

    /// The crate that fits it.
    pub fn library(self) -> &'static str {
        match self {
            ModelKind::RandomForest => "smartcore",
            ModelKind::GbtDepthwise | ModelKind::GbtLeafwise => "forust-ml",
            ModelKind::Mlp => "candle-nn",
            ModelKind::Blend => "forust-ml + candle-nn",
            ModelKind::ElasticNet => "linfa-elasticnet",
            ModelKind::TierForest => "linfa-ensemble",
        }
    }

    /// Whether it predicts the 0..100 score (all but the tier classifier).
    pub fn is_regressor(self) -> bool {
        self != ModelKind::TierForest
    }

    /// Its default hyperparameters.
    pub fn default_params(self) -> Params {
        match self {
            ModelKind::RandomForest => Params::Forest(ForestParams::default()),
            ModelKind::GbtDepthwise => {
                Params::Boosting(BoostingParams::default_for(Growth::DepthWise))
            }
            ModelKind::GbtLeafwise => {
                Params::Boosting(BoostingParams::default_for(Growth::LeafWiseGoss))
            }
            ModelKind::Mlp => Params::Mlp(MlpParams::default()),
            ModelKind::Blend => Params::Blend(BlendParams::default()),
            ModelKind::ElasticNet => Params::Linear(LinearParams::default()),
            ModelKind::TierForest => Params::Tier(TierParams::default()),
        }
    }

    /// The candidates the hyperparameter search tries: first the defaults
    /// and any candidate too costly to leave to the seeded order, then the
    /// rest.
    pub fn search_space(self) -> SearchSpace {
        let mut first = vec![self.default_params()];
        let mut rest = Vec::new();
        match self.default_params() {
            Params::Forest(d) => {
                for (max_depth, leaf, fraction) in [
                    (Some(12), 3, 0.33),
                    (None, 5, 0.5),
                    (Some(16), 1, 0.7),
                    (Some(8), 5, 1.0),
                ] {
                    rest.push(Params::Forest(ForestParams {
                        max_depth,
                        min_samples_leaf: leaf,
                        feature_fraction: fraction,
                        ..d.clone()
                    }));
                }
            }
            Params::Boosting(d) => {
                // Many small steps of deeper trees whose leaves hold at
                // least 100 rows: on the 60,000-post synthetic world its
                // holdout R² was 0.568 to the defaults' 0.565 (cross-validated
                // 0.567 to 0.564). On up to 11,000 training rows (each
                // platform there, and make train-quick) the search chose the
                // defaults. It goes first because it takes twice the
                // defaults' time, so a search cut short by its time budget
                // would seldom reach it.
                if d.growth == Growth::DepthWise {
                    first.push(Params::Boosting(BoostingParams {
                        iterations: 1000,
                        learning_rate: 0.02,
                        max_depth: 9,
                        min_leaf_weight: 100.0,
                        colsample_bytree: 0.6,
                        ..d.clone()
                    }));
                }
                for (iterations, rate, depth, leaves, l2, min_leaf_weight) in [
                    (300, 0.05, 5, 15, 1.0, 1.0),
                    (600, 0.03, 4, 15, 1.0, 5.0),
                    (200, 0.1, 6, 63, 3.0, 5.0),
                    (400, 0.05, 3, 7, 0.5, 1.0),
                    (300, 0.05, 8, 127, 10.0, 5.0),
                ] {
                    let mut p = BoostingParams {
                        iterations,
                        learning_rate: rate,
                        l2,
                        min_leaf_weight,
                        ..d.clone()
                    };
                    match d.growth {
                        Growth::DepthWise => p.max_depth = depth,
                        Growth::LeafWiseGoss => p.max_leaves = leaves,
                    }
                    rest.push(Params::Boosting(p));
                }
            }
            Params::Mlp(d) => {
                for (hidden, rate, decay) in [
                    (vec![32], 3e-3, 1e-4),
                    (vec![128, 64], 1e-3, 1e-3),
                    (vec![64, 64, 32], 2e-3, 1e-4),
                ] {
                    rest.push(Params::Mlp(MlpParams {
                        hidden,
                        learning_rate: rate,
                        weight_decay: decay,
                        ..d.clone()
                    }));
                }
            }
            // The job chooses a blend's weight from its members'
            // out-of-fold predictions, not by refitting candidates.
            Params::Blend(_) => {}
            Params::Linear(_) => {
                for (penalty, l1_ratio) in [(0.01, 0.5), (1.0, 0.5), (0.1, 0.0), (0.1, 1.0)] {
                    rest.push(Params::Linear(LinearParams { penalty, l1_ratio }));
                }
            }
            Params::Tier(d) => {
                for (n_trees, max_depth, feature_fraction) in [
                    (100, Some(6), 0.5),
                    (60, Some(14), 0.8),
                    (100, Some(12), 0.4),
                ] {
                    rest.push(Params::Tier(TierParams {
                        n_trees,
                        max_depth,
                        feature_fraction,
                        ..d.clone()
                    }));
                }
            }
        }
        SearchSpace { first, rest }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = TrainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| TrainError::UnknownKind(s.to_string()))
    }
}

/// The hyperparameters of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Params {
    /// A random forest's.
    Forest(ForestParams),
    /// A gradient booster's.
    Boosting(BoostingParams),
    /// An MLP's.
    Mlp(MlpParams),
    /// The elastic net's.
    Linear(LinearParams),
    /// The tier classifier's.
    Tier(TierParams),
    /// A blend's members and weights.
    Blend(BlendParams),
}

/// A fitted model of any kind.
#[derive(Debug)]
pub enum Fitted {
    /// A random forest.
    Forest(Forest),
    /// A gradient booster (boxed: forust-ml's booster is a large struct).
    Boosted(Box<Boosted>),
    /// An MLP.
    Mlp(Mlp),
    /// The elastic net.
    Linear(Linear),
    /// The tier classifier.
    Tier(TierForest),
    /// A blend of regressors.
    Blend(Blend),
}

/// File names of the saved models.
const FOREST_FILE: &str = "random_forest.json.zst";
const BOOSTER_FILE: &str = "booster.json";
const BOOSTER_TREES_FILE: &str = "booster.trees.safetensors";
const MLP_SHAPE_FILE: &str = "mlp.json";
const MLP_WEIGHTS_FILE: &str = "mlp.safetensors";
const LINEAR_FILE: &str = "elastic_net.json";
const TIER_FILE: &str = "tier_forest.safetensors";
/// The files of models saved before their trees were columns; they load
/// as before.
const JSON_BOOSTER_FILE: &str = "booster.json.zst";
const JSON_TIER_FILE: &str = "tier_forest.json.zst";

impl Fitted {
    /// Fits a model with `params` on `x`, `y` and optional row weights.
    pub fn fit(
        params: &Params,
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        seed: u64,
    ) -> Result<Fitted, TrainError> {
        Ok(match params {
            Params::Forest(p) => Fitted::Forest(Forest::fit(x, y, weights, p, seed)?),
            Params::Boosting(p) => Fitted::Boosted(Box::new(Boosted::fit(x, y, weights, p, seed)?)),
            Params::Mlp(p) => Fitted::Mlp(Mlp::fit(x, y, weights, p, seed)?),
            Params::Linear(p) => Fitted::Linear(Linear::fit(x, y, p)?),
            Params::Tier(p) => Fitted::Tier(TierForest::fit(x, y, p, seed)?),
            Params::Blend(p) => Fitted::Blend(Blend::fit(x, y, weights, p, seed)?),
        })
    }

    /// Whether this is the fitted type of `kind`.
    pub fn kind_matches(&self, kind: ModelKind) -> bool {
        matches!(
            (self, kind),
            (Fitted::Forest(_), ModelKind::RandomForest)
                | (
                    Fitted::Boosted(_),
                    ModelKind::GbtDepthwise | ModelKind::GbtLeafwise
                )
                | (Fitted::Mlp(_), ModelKind::Mlp)
                | (Fitted::Linear(_), ModelKind::ElasticNet)
                | (Fitted::Tier(_), ModelKind::TierForest)
                | (Fitted::Blend(_), ModelKind::Blend)
        )
    }

    /// A copy of the model, through its files (the learners' types are
    /// not all `Clone`).
    pub fn copied(&self, kind: ModelKind) -> Result<Fitted, TrainError> {
        Fitted::from_files(kind, &self.to_files()?)
    }

    /// The fitted type's name, for messages.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Fitted::Forest(_) => "forest",
            Fitted::Boosted(_) => "boosted trees",
            Fitted::Mlp(_) => "mlp",
            Fitted::Linear(_) => "linear",
            Fitted::Tier(_) => "tier forest",
            Fitted::Blend(_) => "blend",
        }
    }

    /// Predictions: the 0..100 score for a regressor; the probability of
    /// the top tier for the tier classifier.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        match self {
            Fitted::Forest(m) => m.predict(x),
            Fitted::Boosted(m) => m.predict(x),
            Fitted::Mlp(m) => m.predict(x),
            Fitted::Linear(m) => Ok(m.predict(x)),
            Fitted::Tier(m) => m.probability(x),
            Fitted::Blend(m) => m.predict(x),
        }
    }

    /// Exact per-row Shapley contributions (one per feature, then the
    /// bias), where the library computes them (forust-ml's boosters).
    pub fn shapley(&self, x: &Matrix) -> Result<Option<Vec<Vec<f64>>>, TrainError> {
        match self {
            Fitted::Boosted(m) => m.contributions(x).map(Some),
            _ => Ok(None),
        }
    }

    /// The library's own importance, by method name, when it has one.
    pub fn native_importance(
        &self,
        n_features: usize,
    ) -> Result<Option<(&'static str, Vec<f64>)>, TrainError> {
        Ok(match self {
            Fitted::Forest(m) => Some(("smartcore_impurity", m.importance()?)),
            Fitted::Boosted(m) => Some(("forust_total_gain", m.importance(n_features))),
            Fitted::Mlp(_) => None,
            Fitted::Linear(m) => Some(("elastic_net_abs_coefficient", m.importance())),
            Fitted::Tier(m) => Some(("linfa_trees_mean_impurity", m.importance(n_features))),
            Fitted::Blend(m) => m
                .importance(n_features)?
                .map(|values| ("blend_weighted_native_share", values)),
        })
    }

    /// The model as named files (portable: JSON, zstd-compressed where
    /// large, and safetensors for the MLP's weights and the trees of the
    /// boosters and the tier classifier).
    pub fn to_files(&self) -> Result<BTreeMap<String, Vec<u8>>, TrainError> {
        let mut files = BTreeMap::new();
        match self {
            Fitted::Forest(m) => {
                files.insert(FOREST_FILE.into(), compressed_json(m)?);
            }
            Fitted::Boosted(m) => {
                let (settings, trees) = m.to_files()?;
                files.insert(BOOSTER_FILE.into(), settings);
                files.insert(BOOSTER_TREES_FILE.into(), trees);
            }
            Fitted::Mlp(m) => {
                files.insert(MLP_SHAPE_FILE.into(), json(&m.shapes())?);
                files.insert(MLP_WEIGHTS_FILE.into(), m.safetensors()?);
            }
            Fitted::Linear(m) => {
                files.insert(LINEAR_FILE.into(), json(m)?);
            }
            Fitted::Tier(m) => {
                files.insert(TIER_FILE.into(), m.to_columns()?);
            }
            Fitted::Blend(m) => files = m.to_files()?,
        }
        Ok(files)
    }

    /// A model of `kind` from the files [`Fitted::to_files`] wrote.
    pub fn from_files(
        kind: ModelKind,
        files: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Fitted, TrainError> {
        let file = |name: &str| {
            files
                .get(name)
                .map(Vec::as_slice)
                .ok_or_else(|| TrainError::BadModel(format!("the {kind} model has no {name}")))
        };
        Ok(match kind {
            ModelKind::RandomForest => Fitted::Forest(from_compressed_json(file(FOREST_FILE)?)?),
            ModelKind::GbtDepthwise | ModelKind::GbtLeafwise => {
                Fitted::Boosted(Box::new(match files.get(JSON_BOOSTER_FILE) {
                    Some(old) => from_compressed_json::<JsonBoosted>(old)?.try_into()?,
                    None => Boosted::from_files(file(BOOSTER_FILE)?, file(BOOSTER_TREES_FILE)?)?,
                }))
            }
            ModelKind::Mlp => Fitted::Mlp(Mlp::from_files(
                file(MLP_SHAPE_FILE)?,
                file(MLP_WEIGHTS_FILE)?,
            )?),
            ModelKind::ElasticNet => Fitted::Linear(from_json(file(LINEAR_FILE)?)?),
            ModelKind::TierForest => Fitted::Tier(match files.get(JSON_TIER_FILE) {
                Some(old) => from_compressed_json::<LinfaTierForest>(old)?.into_tier_forest()?,
                None => TierForest::from_columns(file(TIER_FILE)?)?,
            }),
            ModelKind::Blend => Fitted::Blend(Blend::from_files(files)?),
        })
    }
}

pub(super) fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, TrainError> {
    serde_json::to_vec(value).map_err(|e| TrainError::BadModel(format!("encoding JSON: {e}")))
}

pub(super) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, TrainError> {
    serde_json::from_slice(bytes).map_err(|e| TrainError::BadModel(format!("decoding JSON: {e}")))
}

fn compressed_json<T: Serialize>(value: &T) -> Result<Vec<u8>, TrainError> {
    zstd::encode_all(json(value)?.as_slice(), 3)
        .map_err(|e| TrainError::BadModel(format!("compressing: {e}")))
}

fn from_compressed_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, TrainError> {
    let raw =
        zstd::decode_all(bytes).map_err(|e| TrainError::BadModel(format!("decompressing: {e}")))?;
    from_json(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boosters_and_tier_forests_saved_as_compressed_json_still_load() {
        let (rows, cols) = (240, 3);
        let values: Vec<f64> = (0..rows * cols)
            .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
            .collect();
        let x = Matrix::new(rows, cols, values).unwrap();
        let y: Vec<f64> = (0..rows)
            .map(|i| 100.0 * x.row(i)[0] * x.row(i)[1] + 10.0 * x.row(i)[2])
            .collect();
        let boosting = BoostingParams {
            iterations: 20,
            ..BoostingParams::default_for(Growth::DepthWise)
        };
        let Fitted::Boosted(booster) =
            Fitted::fit(&Params::Boosting(boosting), &x, &y, None, 1).unwrap()
        else {
            unreachable!("boosting params fit a booster")
        };
        let tier = LinfaTierForest::fit(&x, &y, &TierParams::default(), 1).unwrap();
        // The tier module checks the columns vote as linfa's trees do.
        let tier_columns = from_json::<LinfaTierForest>(&json(&tier).unwrap())
            .unwrap()
            .into_tier_forest()
            .unwrap();
        let expected = [
            booster.predict(&x).unwrap(),
            tier_columns.probability(&x).unwrap(),
        ];
        let saved = [
            (
                ModelKind::GbtDepthwise,
                JSON_BOOSTER_FILE,
                compressed_json(&booster.old_json()),
            ),
            (
                ModelKind::TierForest,
                JSON_TIER_FILE,
                compressed_json(&tier),
            ),
        ];
        for ((kind, name, bytes), expected) in saved.into_iter().zip(expected) {
            let files = BTreeMap::from([(name.to_string(), bytes.unwrap())]);
            let loaded = Fitted::from_files(kind, &files).unwrap();
            assert!(loaded.kind_matches(kind));
            assert_eq!(loaded.predict(&x).unwrap(), expected, "{kind}");
            assert!(!loaded.to_files().unwrap().contains_key(name));
        }
    }
}
