//! A model's manifest and its saved form: a directory (or a lake folder)
//! holding `manifest.json` beside the model's own files. The manifest says
//! what the model reads (the assembler's vocabularies and, for a model
//! trained with `--brand`, the brand profile with its SHA-256; the input and
//! used feature lists; the fill values), what it was trained on, how it
//! scored, and with which library versions; [`SavedModel::from_files`]
//! reloads it to identical predictions, and refuses a manifest whose brand
//! profile was changed or is missing.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::assemble::{FeatureAssembler, BRAND_SCORE};
use super::dataset::Matrix;
use super::metrics::RegressionMetrics;
use super::model::{Fitted, ModelKind, Params};
use super::prepare::Preparation;
use super::TrainError;

include!(concat!(env!("OUT_DIR"), "/ml_versions.rs"));

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Versions of the crates that fit models, read from Cargo.lock at build time.
pub fn library_versions() -> BTreeMap<String, String> {
    ML_LIBRARY_VERSIONS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The rows a model was trained and tested on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataRange {
    /// Training rows (everything before the holdout).
    pub train_rows: usize,
    /// Holdout rows.
    pub holdout_rows: usize,
    /// Earliest publication time.
    pub published_from: DateTime<Utc>,
    /// Latest publication time.
    pub published_to: DateTime<Utc>,
    /// The holdout is what was published after this.
    pub holdout_after: DateTime<Utc>,
    /// Rows per platform.
    pub platforms: BTreeMap<String, usize>,
}

/// How well a model did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelScores {
    /// Mean of the cross-validation folds (regressors).
    pub cv: Option<RegressionMetrics>,
    /// On the time-based holdout (regressors).
    pub holdout: Option<RegressionMetrics>,
    /// Accuracy of the tier classifier: mean over folds, and on the holdout.
    pub cv_accuracy: Option<f64>,
    /// See `cv_accuracy`.
    pub holdout_accuracy: Option<f64>,
    /// A/B pairwise accuracy and the number of pairs.
    pub pairwise_accuracy: Option<(f64, usize)>,
    /// The data's ceiling R² on the holdout (synthetic data).
    #[serde(default)]
    pub ceiling_r2: Option<f64>,
    /// Holdout R² over the ceiling R².
    pub ceiling_ratio: Option<f64>,
}

/// Everything about a model but its fitted parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The training run.
    pub run_id: String,
    /// `all` or the platform the model is for.
    pub scope: String,
    /// The model kind.
    pub kind: ModelKind,
    /// Its hyperparameters (the search's choice).
    pub params: Params,
    /// The seed it was fitted with.
    pub seed: u64,
    /// How input rows are built from posts, when they were built by the
    /// assembler (always, for lake data).
    pub assembler: Option<FeatureAssembler>,
    /// Input columns, used columns and fill values.
    pub preparation: Preparation,
    /// The feature extractor version of the image features.
    pub extractor_version: String,
    /// What it was trained on.
    pub data: DataRange,
    /// How it scored.
    pub scores: ModelScores,
    /// The 5% and 95% quantiles of the out-of-fold residuals (actual minus
    /// predicted): a prediction's 90% interval is `[p + q05, p + q95]`.
    pub residual_quantiles: Option<(f64, f64)>,
    /// For the tier classifier: the score at and above which a post is in
    /// the top tier.
    pub tier_threshold: Option<f64>,
    /// The crates that fitted it, and their versions.
    pub library_versions: BTreeMap<String, String>,
    /// When it was fitted.
    pub trained_at: DateTime<Utc>,
    /// The model's own files beside the manifest.
    pub files: Vec<String>,
}

/// A model with its manifest: what is saved, loaded and predicted with.
#[derive(Debug)]
pub struct SavedModel {
    /// The manifest.
    pub manifest: Manifest,
    /// The fitted model.
    pub model: Fitted,
}

impl SavedModel {
    /// Predictions for rows with the manifest's input columns (missing
    /// values `NaN`): the preparation is applied first.
    pub fn predict_inputs(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        if x.cols() != self.manifest.preparation.input_features.len() {
            return Err(TrainError::BadModel(format!(
                "the model reads {} input columns, the rows have {}",
                self.manifest.preparation.input_features.len(),
                x.cols()
            )));
        }
        self.model.predict(&self.manifest.preparation.apply(x))
    }

    /// The manifest and model files by name.
    pub fn to_files(&self) -> Result<BTreeMap<String, Vec<u8>>, TrainError> {
        let mut files = self.model.to_files()?;
        let mut manifest = self.manifest.clone();
        manifest.files = files.keys().cloned().collect();
        let text = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| TrainError::BadModel(format!("encoding the manifest: {e}")))?;
        files.insert(MANIFEST_FILE.to_string(), text);
        Ok(files)
    }

    /// A model from the files [`SavedModel::to_files`] wrote.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Result<SavedModel, TrainError> {
        let manifest = Self::manifest_of(files)?;
        // An assembler that builds other columns than the model reads (a
        // brand_score column without its brand, say) would feed a feature
        // to the wrong input: refuse the model rather than mispredict.
        if let Some(assembler) = &manifest.assembler {
            let built = assembler.feature_names();
            let read = &manifest.preparation.input_features;
            if &built != read {
                let missing: Vec<&String> = read.iter().filter(|n| !built.contains(n)).collect();
                let extra: Vec<&String> = built.iter().filter(|n| !read.contains(n)).collect();
                return Err(TrainError::BadModel(format!(
                    "its feature assembler builds other columns than it reads \
                     (not built: {missing:?}; not read: {extra:?}){}",
                    if missing.iter().any(|n| *n == BRAND_SCORE) {
                        "; it was trained with a brand whose profile is missing from its manifest: train again with --brand"
                    } else {
                        ""
                    }
                )));
            }
        }
        let model = Fitted::from_files(manifest.kind, files)?;
        Ok(SavedModel { manifest, model })
    }

    /// The manifest among saved files.
    pub fn manifest_of(files: &BTreeMap<String, Vec<u8>>) -> Result<Manifest, TrainError> {
        let bytes = files
            .get(MANIFEST_FILE)
            .ok_or_else(|| TrainError::BadModel(format!("no {MANIFEST_FILE}")))?;
        serde_json::from_slice(bytes)
            .map_err(|e| TrainError::BadModel(format!("reading {MANIFEST_FILE}: {e}")))
    }

    /// Writes the files into `dir` (created when missing).
    pub fn save_dir(&self, dir: &Path) -> Result<(), TrainError> {
        let io = |source| TrainError::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        for (name, bytes) in self.to_files()? {
            std::fs::write(dir.join(&name), bytes).map_err(|source| TrainError::Io {
                path: dir.join(&name).display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// Reads a model saved by [`SavedModel::save_dir`].
    pub fn load_dir(dir: &Path) -> Result<SavedModel, TrainError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|source| TrainError::Io {
                path: dir.join(name).display().to_string(),
                source,
            })
        };
        let mut files = BTreeMap::new();
        files.insert(MANIFEST_FILE.to_string(), read(MANIFEST_FILE)?);
        let manifest = Self::manifest_of(&files)?;
        for name in &manifest.files {
            files.insert(name.clone(), read(name)?);
        }
        Self::from_files(&files)
    }
}
