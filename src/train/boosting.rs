//! Gradient-boosted trees: forust-ml's `GradientBooster`, in two
//! configurations that the search tunes separately:
//!
//! - depth-wise growth with row and column subsampling (XGBoost's
//!   `hist` learner);
//! - leaf-wise growth with gradient-based one-side sampling (GOSS), the
//!   LightGBM recipe, which suits larger data and deeper interactions.
//!
//! Both use the squared-error objective on the 0..100 score. forust-ml
//! gives the library's own importance (total gain) and exact Shapley
//! contributions per prediction.
//!
//! A booster is saved as two files: its settings as forust-ml's JSON with
//! no trees, and the trees' nodes as columns ([`super::columns`]), each of
//! forust-ml's node fields kept exactly. The general model of the
//! 60,000-post world is 200,000 nodes, 40 MB of JSON: see
//! [`super::columns`] for what that cost `creativeiq predict`.

use forust_ml::data::Matrix as ForustMatrix;
use forust_ml::gradientbooster::{
    ContributionsMethod, GradientBooster, GrowPolicy, ImportanceMethod,
};
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::tree::Tree;
use serde::de::value::{Error as DeError, SeqDeserializer};
use serde::de::{Deserializer, IntoDeserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::columns::{ColumnReader, ColumnWriter};
use super::dataset::Matrix;
use super::model::{from_json, json};
use super::TrainError;

/// How trees grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Growth {
    /// Level by level to `max_depth`, rows and columns subsampled (XGBoost-style).
    DepthWise,
    /// Best leaf first up to `max_leaves`, GOSS row sampling (LightGBM-style).
    LeafWiseGoss,
}

/// The booster's hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostingParams {
    /// The configuration.
    pub growth: Growth,
    /// Trees.
    pub iterations: usize,
    /// Shrinkage of each tree.
    pub learning_rate: f32,
    /// Deepest a tree may grow.
    pub max_depth: usize,
    /// Most leaves a tree may have.
    pub max_leaves: usize,
    /// L2 penalty on leaf weights.
    pub l2: f32,
    /// Smallest hessian sum in a leaf.
    pub min_leaf_weight: f32,
    /// Share of rows each tree sees (depth-wise only).
    pub subsample: f32,
    /// Share of columns each tree sees.
    pub colsample_bytree: f64,
}

impl BoostingParams {
    /// The defaults of a configuration.
    pub fn default_for(growth: Growth) -> BoostingParams {
        match growth {
            // Deeper trees with a floor on leaf size: on 25,000 synthetic
            // posts, 3-fold CV R² on the training rows went from 0.510
            // (300 trees of depth 5, leaves of any size) to 0.519.
            Growth::DepthWise => BoostingParams {
                growth,
                iterations: 500,
                learning_rate: 0.03,
                max_depth: 7,
                max_leaves: usize::MAX,
                l2: 1.0,
                min_leaf_weight: 30.0,
                subsample: 0.8,
                colsample_bytree: 0.8,
            },
            Growth::LeafWiseGoss => BoostingParams {
                growth,
                iterations: 300,
                learning_rate: 0.05,
                max_depth: 12,
                max_leaves: 31,
                l2: 1.0,
                min_leaf_weight: 5.0,
                subsample: 1.0,
                colsample_bytree: 0.8,
            },
        }
    }
}

/// A fitted booster.
pub struct Boosted {
    booster: GradientBooster,
    /// forust-ml's JSON of the booster without its trees.
    settings: Vec<u8>,
    /// Input columns the trees read (one past the largest split column).
    columns: usize,
}

/// The file format of models saved before the trees were columns: the
/// booster, trees and all, as forust-ml's JSON.
#[derive(Deserialize)]
pub(super) struct JsonBoosted {
    booster: GradientBooster,
}

impl TryFrom<JsonBoosted> for Boosted {
    type Error = TrainError;
    fn try_from(old: JsonBoosted) -> Result<Boosted, TrainError> {
        Boosted::new(old.booster)
    }
}

impl std::fmt::Debug for Boosted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Boosted")
            .field("trees", &self.booster.trees.len())
            .finish()
    }
}

/// Histogram bins per feature: about 20 rows a bin, 64 to 256. Split search
/// costs bins x features per node whatever the row count, so 256 bins on a
/// few hundred rows spent most of a fit on empty bins (train-quick's
/// training fell from 107 s to 67 s). Fewer bins also merge neighbouring
/// split points, which moved a 300-row holdout R² by 0.03.
fn bins_for(rows: usize) -> u16 {
    (rows / 20).clamp(64, 256) as u16
}

/// Rows from which forust's predictions are split over rayon's pool.
/// forust splits the rows of every tree in turn, so a batch pays for a
/// hand-off to the pool per tree: `creativeiq predict` of one design
/// scores 55 rows (the row and its contributions by occlusion) through 500
/// trees in 2.7 ms that way, and in 0.5 ms on its own thread. The values
/// are the same either way: each tree's are added row by row, in order.
const PARALLEL_MIN_ROWS: usize = 2048;

/// forust-ml's matrix is column-major and borrows its values.
fn with_forust<R>(x: &Matrix, f: impl FnOnce(&ForustMatrix<f64>) -> R) -> R {
    let values = x.column_major();
    let m = ForustMatrix::new(&values, x.rows(), x.cols());
    f(&m)
}

impl Boosted {
    /// Fits on `x`, `y` with optional row weights.
    pub fn fit(
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        params: &BoostingParams,
        seed: u64,
    ) -> Result<Boosted, TrainError> {
        let mut booster = GradientBooster::default()
            .set_objective_type(ObjectiveType::SquaredLoss)
            .set_iterations(params.iterations)
            .set_learning_rate(params.learning_rate)
            .set_max_depth(params.max_depth)
            .set_max_leaves(params.max_leaves)
            .set_l2(params.l2)
            .set_min_leaf_weight(params.min_leaf_weight)
            .set_colsample_bytree(params.colsample_bytree)
            .set_seed(seed)
            .set_nbins(bins_for(x.rows()))
            .set_parallel(true);
        booster = match params.growth {
            Growth::DepthWise => booster.set_subsample(params.subsample).set_sample_method(
                if params.subsample < 1.0 {
                    SampleMethod::Random
                } else {
                    SampleMethod::None
                },
            ),
            Growth::LeafWiseGoss => booster
                .set_subsample(1.0)
                .set_sample_method(SampleMethod::Goss)
                .set_top_rate(0.2)
                .set_other_rate(0.1),
        };
        booster.grow_policy = match params.growth {
            Growth::DepthWise => GrowPolicy::DepthWise,
            Growth::LeafWiseGoss => GrowPolicy::LossGuide,
        };
        let ones;
        let w = match weights {
            Some(w) => w,
            None => {
                ones = vec![1.0; x.rows()];
                &ones
            }
        };
        with_forust(x, |m| booster.fit(m, y, w, None))
            .map_err(|e| TrainError::learner("gradient boosting", e))?;
        Boosted::new(booster)
    }

    /// Keeps the fitted `booster` with its settings file.
    fn new(mut booster: GradientBooster) -> Result<Boosted, TrainError> {
        let trees = std::mem::take(&mut booster.trees);
        let settings = json(&booster)?;
        booster.trees = trees;
        Boosted::checked(booster, settings)
    }

    /// The booster, once every tree is checked to be walkable: forust-ml
    /// indexes nodes and row values without checks, so a damaged file is
    /// refused here, not by a panic at prediction.
    fn checked(booster: GradientBooster, settings: Vec<u8>) -> Result<Boosted, TrainError> {
        let mut columns = 0;
        for (t, tree) in booster.trees.iter().enumerate() {
            let bad = |why: String| TrainError::BadModel(format!("booster tree {t} {why}"));
            if tree.nodes.is_empty() {
                return Err(bad("has no nodes".into()));
            }
            for (i, node) in tree.nodes.iter().enumerate() {
                if node.is_leaf {
                    continue;
                }
                // Children after their parent: every walk moves forward, so ends.
                let children = [node.left_child, node.right_child, node.missing_node];
                if children.iter().any(|&c| c <= i || c >= tree.nodes.len()) {
                    return Err(bad(format!("gives node {i} children outside the tree")));
                }
                columns = columns.max(node.split_feature + 1);
            }
        }
        Ok(Boosted {
            booster,
            settings,
            columns,
        })
    }

    /// The file earlier versions saved: the booster, trees and all, as JSON.
    #[cfg(test)]
    pub(super) fn old_json(&self) -> serde_json::Value {
        serde_json::json!({ "booster": &self.booster })
    }

    /// `x` has every column the trees read.
    fn check_columns(&self, x: &Matrix) -> Result<(), TrainError> {
        if x.cols() < self.columns {
            return Err(TrainError::BadModel(format!(
                "the booster reads {} columns; the rows have {}",
                self.columns,
                x.cols()
            )));
        }
        Ok(())
    }

    /// The saved form: the settings' JSON and the trees' columns.
    pub fn to_files(&self) -> Result<(Vec<u8>, Vec<u8>), TrainError> {
        let trees = &self.booster.trees;
        let nodes = || trees.iter().flat_map(|t| &t.nodes);
        let mut w = ColumnWriter::default();
        w.put("tree_nodes", indexes(trees, |t| t.nodes.len())?);
        w.put("num", indexes(nodes(), |n| n.num)?);
        w.put("depth", indexes(nodes(), |n| n.depth)?);
        w.put("split_feature", indexes(nodes(), |n| n.split_feature)?);
        w.put("missing_node", indexes(nodes(), |n| n.missing_node)?);
        w.put("left_child", indexes(nodes(), |n| n.left_child)?);
        w.put("right_child", indexes(nodes(), |n| n.right_child)?);
        w.put("weight_value", nodes().map(|n| n.weight_value));
        w.put("hessian_sum", nodes().map(|n| n.hessian_sum));
        w.put("split_gain", nodes().map(|n| n.split_gain));
        w.put("split_value", nodes().map(|n| n.split_value));
        w.put("is_leaf", nodes().map(|n| u8::from(n.is_leaf)));
        Ok((self.settings.clone(), w.finish("booster trees")?))
    }

    /// A booster from [`Boosted::to_files`]' two files, checked to hold
    /// trees forust-ml can walk.
    pub fn from_files(settings: &[u8], trees: &[u8]) -> Result<Boosted, TrainError> {
        let mut booster: GradientBooster = from_json(settings)?;
        let r = ColumnReader::new(trees, "booster trees")?;
        let tree_nodes: Vec<u32> = r.get("tree_nodes")?;
        let num: Vec<u32> = r.get("num")?;
        let depth: Vec<u32> = r.get("depth")?;
        let split_feature: Vec<u32> = r.get("split_feature")?;
        let missing_node: Vec<u32> = r.get("missing_node")?;
        let left_child: Vec<u32> = r.get("left_child")?;
        let right_child: Vec<u32> = r.get("right_child")?;
        let weight_value: Vec<f32> = r.get("weight_value")?;
        let hessian_sum: Vec<f32> = r.get("hessian_sum")?;
        let split_gain: Vec<f32> = r.get("split_gain")?;
        let split_value: Vec<f64> = r.get("split_value")?;
        let is_leaf: Vec<u8> = r.get("is_leaf")?;
        let n = num.len();
        let lengths = [
            depth.len(),
            split_feature.len(),
            missing_node.len(),
            left_child.len(),
            right_child.len(),
            weight_value.len(),
            hessian_sum.len(),
            split_gain.len(),
            split_value.len(),
            is_leaf.len(),
            tree_nodes.iter().map(|&t| t as usize).sum(),
        ];
        if lengths.iter().any(|&len| len != n) {
            return Err(TrainError::BadModel(format!(
                "the booster's tree columns have different lengths: {n} nodes, then {lengths:?}"
            )));
        }
        // In the order forust-ml declares the fields: its derived
        // `Deserialize` reads a sequence by position, with no field names
        // to match (a third of the load time of the general model).
        let node = |i: usize| {
            use NodeField::{Double, Flag, Index, Single};
            SeqDeserializer::new(
                [
                    Index(num[i]),
                    Single(weight_value[i]),
                    Single(hessian_sum[i]),
                    Index(depth[i]),
                    Double(split_value[i]),
                    Index(split_feature[i]),
                    Single(split_gain[i]),
                    Index(missing_node[i]),
                    Index(left_child[i]),
                    Index(right_child[i]),
                    Flag(is_leaf[i] != 0),
                ]
                .into_iter(),
            )
        };
        let mut at = 0;
        booster.trees = tree_nodes
            .iter()
            .map(|&size| {
                let range = at..at + size as usize;
                at = range.end;
                let nodes = SeqDeserializer::new(range.map(node));
                Tree::deserialize(SeqDeserializer::new(std::iter::once(nodes))).map_err(
                    |e: DeError| TrainError::BadModel(format!("reading the booster's trees: {e}")),
                )
            })
            .collect::<Result<_, _>>()?;
        Boosted::checked(booster, settings.to_vec())
    }

    /// Predictions.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        self.check_columns(x)?;
        let parallel = x.rows() >= PARALLEL_MIN_ROWS;
        Ok(with_forust(x, |m| self.booster.predict(m, parallel)))
    }

    /// Total split gain per feature, normalised to sum to 1.
    pub fn importance(&self, n_features: usize) -> Vec<f64> {
        let gains = self
            .booster
            .calculate_feature_importance(ImportanceMethod::TotalGain, true);
        (0..n_features)
            .map(|j| gains.get(&j).map_or(0.0, |g| f64::from(*g)))
            .collect()
    }

    /// Exact Shapley contributions: for each row, one value per feature and
    /// the bias last; each row's values sum to its prediction.
    pub fn contributions(&self, x: &Matrix) -> Result<Vec<Vec<f64>>, TrainError> {
        self.check_columns(x)?;
        let flat = with_forust(x, |m| {
            // A row's Shapley values walk every tree at length: worth a
            // split from two rows, unlike a prediction's.
            self.booster
                .predict_contributions(m, ContributionsMethod::Shapley, x.rows() > 1)
        });
        Ok(flat.chunks(x.cols() + 1).map(<[f64]>::to_vec).collect())
    }
}

/// A count or index field of every item as a `u32` column. Generic over
/// the item: forust-ml does not export its node type.
fn indexes<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    field: impl Fn(&T) -> usize,
) -> Result<Vec<u32>, TrainError> {
    items
        .into_iter()
        .map(|item| {
            let n = field(item);
            u32::try_from(n).map_err(|_| {
                TrainError::BadModel(format!("a booster tree's number {n} is over 2^32"))
            })
        })
        .collect()
}

/// One value of a node's field, handed to forust-ml's own `Deserialize`
/// for its node type (which it does not export): the nodes are built by
/// the library's code from the columns, with no text in between.
enum NodeField {
    Index(u32),
    Single(f32),
    Double(f64),
    Flag(bool),
}

impl<'de> IntoDeserializer<'de, DeError> for NodeField {
    type Deserializer = NodeField;
    fn into_deserializer(self) -> NodeField {
        self
    }
}

impl<'de> Deserializer<'de> for NodeField {
    type Error = DeError;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            NodeField::Index(n) => visitor.visit_u32(n),
            NodeField::Single(v) => visitor.visit_f32(v),
            NodeField::Double(v) => visitor.visit_f64(v),
            NodeField::Flag(b) => visitor.visit_bool(b),
        }
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 rows of 3 features, a tenth of them missing, and a fitted booster.
    fn fitted() -> (Matrix, Boosted) {
        let mut next = crate::train::test_uniform(11);
        let (mut values, mut y) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            let row: Vec<f64> = (0..3).map(|_| next()).collect();
            y.push(100.0 * row[0] * row[1] + 20.0 * row[2]);
            values.extend(row.iter().map(|&v| if v < 0.1 { f64::NAN } else { v }));
        }
        let x = Matrix::new(300, 3, values).unwrap();
        let params = BoostingParams {
            iterations: 30,
            ..BoostingParams::default_for(Growth::DepthWise)
        };
        let booster = Boosted::fit(&x, &y, None, &params, 5).unwrap();
        (x, booster)
    }

    #[test]
    fn a_saved_booster_reloads_node_for_node_from_its_columns_and_from_old_json() {
        let (x, booster) = fitted();
        let (settings, trees) = booster.to_files().unwrap();
        assert!(!String::from_utf8_lossy(&settings).contains("\"nodes\""));
        let again = Boosted::from_files(&settings, &trees).unwrap();
        let old_json = booster.old_json().to_string();
        let from_old: Boosted = serde_json::from_str::<JsonBoosted>(&old_json)
            .unwrap()
            .try_into()
            .unwrap();
        // forust-ml's JSON shows every field of every node.
        for reloaded in [&again, &from_old] {
            assert_eq!(
                serde_json::to_string(&reloaded.booster).unwrap(),
                serde_json::to_string(&booster.booster).unwrap()
            );
            assert_eq!(reloaded.predict(&x).unwrap(), booster.predict(&x).unwrap());
            assert_eq!(
                reloaded.contributions(&x).unwrap(),
                booster.contributions(&x).unwrap()
            );
        }
        assert_eq!(again.columns, 3);
    }

    #[test]
    fn a_batch_split_over_threads_predicts_what_its_rows_do_one_by_one() {
        let (x, booster) = fitted();
        // Enough copies of the rows for forust to split them over the pool.
        let copies = PARALLEL_MIN_ROWS.div_ceil(x.rows());
        let rows = copies * x.rows();
        let big = Matrix::new(rows, 3, x.data().repeat(copies)).unwrap();
        let one_by_one: Vec<Vec<f64>> = (0..x.rows())
            .map(|i| {
                let row = Matrix::new(1, 3, x.row(i).to_vec()).unwrap();
                booster.predict(&row).unwrap()
            })
            .collect();
        let split = booster.predict(&big).unwrap();
        assert_eq!(split.len(), rows);
        for (i, p) in split.iter().enumerate() {
            assert_eq!(
                p.to_bits(),
                one_by_one[i % x.rows()][0].to_bits(),
                "row {i}"
            );
        }
        // Shapley values: one row alone, and two rows split over the pool.
        let pair = Matrix::new(2, 3, x.data()[..6].to_vec()).unwrap();
        let both = booster.contributions(&pair).unwrap();
        for (i, values) in both.iter().enumerate() {
            let row = Matrix::new(1, 3, x.row(i).to_vec()).unwrap();
            assert_eq!(values, &booster.contributions(&row).unwrap()[0]);
        }
    }

    #[test]
    fn damaged_booster_columns_are_refused_not_walked() {
        let (x, booster) = fitted();
        let (settings, trees) = booster.to_files().unwrap();
        let r = ColumnReader::new(&trees, "test").unwrap();
        let rewrite = |name: &str, change: &dyn Fn(&mut Vec<u32>)| {
            let mut w = ColumnWriter::default();
            for column in [
                "tree_nodes",
                "num",
                "depth",
                "split_feature",
                "missing_node",
                "left_child",
                "right_child",
            ] {
                let mut values: Vec<u32> = r.get(column).unwrap();
                if column == name {
                    change(&mut values);
                }
                w.put(column, values);
            }
            for column in ["weight_value", "hessian_sum", "split_gain"] {
                w.put(column, r.get::<f32>(column).unwrap());
            }
            w.put("split_value", r.get::<f64>("split_value").unwrap());
            w.put("is_leaf", r.get::<u8>("is_leaf").unwrap());
            Boosted::from_files(&settings, &w.finish("test").unwrap())
        };
        assert!(rewrite("num", &|_| {}).is_ok());
        // The root's left child pointing back at the root: an endless walk.
        let cycle = rewrite("left_child", &|v| v[0] = 0)
            .unwrap_err()
            .to_string();
        assert!(cycle.contains("children outside the tree"), "{cycle}");
        let short = rewrite("depth", &|v| {
            v.pop();
        })
        .unwrap_err()
        .to_string();
        assert!(short.contains("different lengths"), "{short}");
        // A split on a column the rows do not have.
        let wide = rewrite("split_feature", &|v| v.iter_mut().for_each(|f| *f = 9)).unwrap();
        let err = wide.predict(&x).unwrap_err().to_string();
        assert!(err.contains("reads 10 columns; the rows have 3"), "{err}");
        assert!(wide.contributions(&x).is_err());
    }
}
