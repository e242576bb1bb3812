//! The performance-tier classifier: linfa-ensemble's random forest of
//! linfa-trees decision trees, predicting whether a post lands in the top
//! quartile of its training scores. Its vote share is the tier's
//! probability. linfa-ensemble bootstraps rows and features per tree and
//! takes no row weights, so it is fitted unweighted.
//!
//! Once fitted, the trees are kept as columns of nodes ([`TreeColumns`]),
//! each split on an input column, and saved as safetensors: linfa's own
//! serde form, a JSON tree of boxed nodes, took 60 ms to load for one
//! prediction (`creativeiq predict`'s budget is 50 ms in all). The columns
//! walk every row exactly as linfa-trees' `predict` does.

use linfa::prelude::*;
use linfa_ensemble::{EnsembleLearner, EnsembleLearnerParams};
use linfa_trees::DecisionTree;
use ndarray::Array1;
use rand08::rngs::SmallRng;
use rand08::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{ColumnReader, ColumnWriter};
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
#[derive(Debug)]
pub struct TierForest {
    /// Scores at or above this are the top tier (the training scores' 75th
    /// percentile; 75 when the score is a percentile, as it is in the lake).
    pub threshold: f64,
    trees: TreeColumns,
    /// linfa-trees' importance per input column (see [`TierForest::importance`]).
    importance: Vec<f64>,
}

/// The file format of linfa's own serde form, which models saved before
/// the columns have.
#[derive(Serialize, Deserialize)]
pub(super) struct LinfaTierForest {
    threshold: f64,
    trees: Vec<DecisionTree<f64, usize>>,
    tree_features: Vec<Vec<usize>>,
}

/// Every tree's nodes, one column per field: node `i` splits on input
/// column `feature[i]` (`LEAF` for a leaf) at `value[i]`; rows below the
/// value go to node `child[i]`, the others (and NaN) to `child[i] + 1`. A
/// leaf's `value` is its class (1 for the top tier).
#[derive(Clone, Debug, Default, PartialEq)]
struct TreeColumns {
    roots: Vec<u32>,
    feature: Vec<i32>,
    value: Vec<f64>,
    child: Vec<u32>,
}

const LEAF: i32 = -1;

impl TierForest {
    /// Fits on `x` with labels "score at or above the training 75th
    /// percentile".
    pub fn fit(
        x: &Matrix,
        scores: &[f64],
        params: &TierParams,
        seed: u64,
    ) -> Result<TierForest, TrainError> {
        LinfaTierForest::fit(x, scores, params, seed)?.into_columns(x.cols())
    }

    /// For each row, the share of trees voting "top tier".
    pub fn probability(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        if x.cols() < self.importance.len() {
            return Err(TrainError::BadModel(format!(
                "the tier forest reads {} columns; the rows have {}",
                self.importance.len(),
                x.cols()
            )));
        }
        let t = &self.trees;
        let n = t.roots.len().max(1) as f64;
        Ok((0..x.rows())
            .map(|i| {
                let row = x.row(i);
                let votes: f64 = t
                    .roots
                    .iter()
                    .map(|&root| {
                        let mut node = root as usize;
                        while let Ok(j) = usize::try_from(t.feature[node]) {
                            let below = row[j] < t.value[node];
                            node = t.child[node] as usize + usize::from(!below);
                        }
                        t.value[node]
                    })
                    .sum();
                votes / n
            })
            .collect())
    }

    /// linfa-trees' importance (the mean impurity decrease per split on a
    /// feature, which favours features split on rarely), mapped back to the
    /// input columns, summed over trees and normalised to sum to 1.
    pub fn importance(&self, n_features: usize) -> Vec<f64> {
        let mut out = self.importance.clone();
        out.resize(n_features, 0.0);
        out
    }

    /// The saved form: safetensors columns.
    pub fn to_columns(&self) -> Result<Vec<u8>, TrainError> {
        let mut w = ColumnWriter::default();
        w.put("threshold", [self.threshold]);
        w.put("importance", self.importance.iter().copied());
        w.put("roots", self.trees.roots.iter().copied());
        w.put("feature", self.trees.feature.iter().copied());
        w.put("value", self.trees.value.iter().copied());
        w.put("child", self.trees.child.iter().copied());
        w.finish("tier forest")
    }

    /// A classifier from [`TierForest::to_columns`]' file, checked to
    /// hold trees it can walk.
    pub fn from_columns(bytes: &[u8]) -> Result<TierForest, TrainError> {
        let r = ColumnReader::new(bytes, "tier forest")?;
        let threshold = match r.get::<f64>("threshold")?.as_slice() {
            [t] => *t,
            other => {
                return Err(TrainError::BadModel(format!(
                    "the tier forest's threshold has {} values, not 1",
                    other.len()
                )))
            }
        };
        let trees = TreeColumns {
            roots: r.get("roots")?,
            feature: r.get("feature")?,
            value: r.get("value")?,
            child: r.get("child")?,
        };
        let importance: Vec<f64> = r.get("importance")?;
        trees.check(importance.len())?;
        Ok(TierForest {
            threshold,
            trees,
            importance,
        })
    }
}

impl LinfaTierForest {
    /// linfa-ensemble's forests, grown in groups (see [`TierForest::fit`]).
    pub(super) fn fit(
        x: &Matrix,
        scores: &[f64],
        params: &TierParams,
        seed: u64,
    ) -> Result<LinfaTierForest, TrainError> {
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
        Ok(LinfaTierForest {
            threshold,
            trees,
            tree_features,
        })
    }

    /// A classifier saved in linfa's serde form, as columns. The file does
    /// not say how many input columns there were: the trees' own columns
    /// are counted.
    pub(super) fn into_tier_forest(self) -> Result<TierForest, TrainError> {
        let n_inputs = self
            .tree_features
            .iter()
            .flatten()
            .max()
            .map_or(0, |j| j + 1);
        self.into_columns(n_inputs)
    }

    /// linfa's trees as columns over `n_inputs` input columns, with their
    /// importance.
    fn into_columns(self, n_inputs: usize) -> Result<TierForest, TrainError> {
        let mut columns = TreeColumns::default();
        let mut importance = vec![0.0; n_inputs];
        for (tree, features) in self.trees.iter().zip(&self.tree_features) {
            columns.push(tree, features)?;
            for (k, v) in tree.feature_importance().iter().enumerate() {
                if let Some(j) = features.get(k).filter(|&&j| j < n_inputs) {
                    if v.is_finite() {
                        importance[*j] += v;
                    }
                }
            }
        }
        let sum: f64 = importance.iter().sum();
        if sum > 0.0 {
            importance.iter_mut().for_each(|v| *v /= sum);
        }
        columns.check(n_inputs)?;
        Ok(TierForest {
            threshold: self.threshold,
            trees: columns,
            importance,
        })
    }
}

impl TreeColumns {
    /// Appends a linfa tree whose split `k` is on input column `features[k]`.
    fn push(
        &mut self,
        tree: &DecisionTree<f64, usize>,
        features: &[usize],
    ) -> Result<(), TrainError> {
        let bad = |why: &str| TrainError::BadModel(format!("a tier forest tree {why}"));
        let index = |n: usize| u32::try_from(n).map_err(|_| bad("has over 2^32 nodes"));
        self.roots.push(index(self.value.len())?);
        self.feature.push(LEAF);
        self.value.push(0.0);
        self.child.push(0);
        let mut pending = vec![(tree.root_node(), self.value.len() - 1)];
        while let Some((node, at)) = pending.pop() {
            if let Some(class) = node.prediction() {
                self.value[at] = class as f64;
                continue;
            }
            let (k, split, _) = node.split();
            let column = features
                .get(k)
                .and_then(|&j| i32::try_from(j).ok())
                .ok_or_else(|| bad("splits on a column it was not given"))?;
            let children = node.children();
            let (Some(left), Some(right)) = (children[0].as_deref(), children[1].as_deref()) else {
                return Err(bad("has a split without two children"));
            };
            let first = self.value.len();
            self.feature[at] = column;
            self.value[at] = split;
            self.child[at] = index(first)?;
            self.feature.extend([LEAF, LEAF]);
            self.value.extend([0.0, 0.0]);
            self.child.extend([0, 0]);
            pending.push((left, first));
            pending.push((right, first + 1));
        }
        Ok(())
    }

    /// Every walk from a root ends at a leaf inside the columns, reading
    /// columns below `n_inputs`: a damaged file is refused here, not by a
    /// panic or an endless walk at prediction.
    fn check(&self, n_inputs: usize) -> Result<(), TrainError> {
        let n = self.value.len();
        let bad = |why: String| TrainError::BadModel(format!("the tier forest's trees {why}"));
        if self.feature.len() != n || self.child.len() != n {
            return Err(bad("have columns of different lengths".into()));
        }
        if self.roots.iter().any(|&r| r as usize >= n) {
            return Err(bad("have a root outside their nodes".into()));
        }
        for (i, (&f, &c)) in self.feature.iter().zip(&self.child).enumerate() {
            if f == LEAF {
                continue;
            }
            if usize::try_from(f).map_or(true, |f| f >= n_inputs) {
                return Err(bad(format!("split node {i} on column {f} of {n_inputs}")));
            }
            // Children after their parent: every walk moves forward, so ends.
            if c as usize <= i || c as usize + 1 >= n {
                return Err(bad(format!("give node {i} children outside the columns")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 400 rows of 4 features; the score follows the first two.
    fn data() -> (Matrix, Vec<f64>) {
        let mut values = Vec::new();
        let mut scores = Vec::new();
        let mut next = crate::train::test_uniform(7);
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
        assert_eq!((one.trees.roots.len(), two.trees.roots.len()), (25, 25));
        let p = one.probability(&x).unwrap();
        // Equal but for linfa-trees' tie-breaking (see `fit`).
        let differences: Vec<f64> = p
            .iter()
            .zip(two.probability(&x).unwrap())
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

    /// linfa's own vote share: each tree on its columns of `x`.
    fn linfa_probability(forest: &LinfaTierForest, x: &Matrix) -> Vec<f64> {
        let records = to_ndarray(x);
        let mut votes = vec![0.0; x.rows()];
        for (tree, features) in forest.trees.iter().zip(&forest.tree_features) {
            let predicted = tree.predict(&records.select(ndarray::Axis(1), features));
            for (v, p) in votes.iter_mut().zip(predicted) {
                *v += p as f64;
            }
        }
        votes
            .iter()
            .map(|v| v / forest.trees.len() as f64)
            .collect()
    }

    #[test]
    fn the_columns_vote_as_linfa_trees_do_and_reload_exactly() {
        let (x, scores) = data();
        let params = TierParams {
            n_trees: 12,
            ..TierParams::default()
        };
        let linfa = LinfaTierForest::fit(&x, &scores, &params, 9).unwrap();
        // Rows on the split values themselves, and missing ones, too.
        let splits: Vec<f64> = linfa.trees[0]
            .iter_nodes()
            .filter(|n| !n.is_leaf())
            .map(|n| n.split().1)
            .collect();
        let values = (0..x.rows())
            .flat_map(|i| match splits.get(i) {
                Some(split) => vec![*split; 4],
                None if i == splits.len() => vec![f64::NAN; 4],
                None => x.row(i).to_vec(),
            })
            .collect();
        let probe = Matrix::new(x.rows(), 4, values).unwrap();
        let expected = linfa_probability(&linfa, &probe);
        let old_json = serde_json::to_vec(&linfa).unwrap();
        let columns = linfa.into_columns(4).unwrap();
        assert_eq!(columns.probability(&probe).unwrap(), expected);
        let again = TierForest::from_columns(&columns.to_columns().unwrap()).unwrap();
        assert_eq!(again.trees, columns.trees);
        assert_eq!(again.importance, columns.importance);
        assert_eq!(again.threshold, columns.threshold);
        let from_old = serde_json::from_slice::<LinfaTierForest>(&old_json)
            .unwrap()
            .into_tier_forest()
            .unwrap();
        assert_eq!(from_old.probability(&probe).unwrap(), expected);
        assert!((columns.importance(4).iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn damaged_tier_columns_are_refused_not_walked() {
        let (x, scores) = data();
        let params = TierParams {
            n_trees: 2,
            ..TierParams::default()
        };
        let forest = TierForest::fit(&x, &scores, &params, 1).unwrap();
        let save = |trees: &TreeColumns, inputs: usize| {
            let forest = TierForest {
                threshold: 1.0,
                trees: trees.clone(),
                importance: vec![0.25; inputs],
            };
            TierForest::from_columns(&forest.to_columns().unwrap())
        };
        assert!(save(&forest.trees, 4).is_ok());
        let split = forest
            .trees
            .feature
            .iter()
            .position(|&f| f != LEAF)
            .unwrap();
        let mut cycle = forest.trees;
        cycle.child[split] = split as u32;
        let err = save(&cycle, 4).unwrap_err().to_string();
        assert!(err.contains("children outside"), "{err}");
        // Splits on column 3 of 4 cannot be read from 3 input columns.
        let mut narrow = cycle;
        narrow.child[split] = split as u32 + 1;
        narrow.feature[split] = 3;
        let err = save(&narrow, 3).unwrap_err().to_string();
        assert!(err.contains("on column 3 of 3"), "{err}");
        let fitted = save(&narrow, 4).unwrap();
        let two_columns = Matrix::new(1, 2, vec![0.5, 0.5]).unwrap();
        assert!(fitted.probability(&two_columns).is_err());
    }
}
