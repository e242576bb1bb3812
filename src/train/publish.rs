//! Publishing a run into the lake, in an order that makes a failed or
//! killed run harmless:
//!
//! 1. every model's files under `models/<run>/<scope>/<kind>/`;
//! 2. the metric tables, partitioned by run (`metrics/<table>/run=<run>/`);
//! 3. last, the champion registry `models/champions.json`, in one write.
//!
//! Each object write is atomic (a single PUT; on local disk a staged file
//! and a rename), so the registry is either the old one or the new one; a
//! run that fails before step 3 leaves stray files under its own run id and
//! changes no champion. Two trainers publishing to one lake at the same
//! moment could each read the old registry; run one trainer per lake.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::job::TrainOutput;
use super::manifest::{SavedModel, MANIFEST_FILE};
use super::model::ModelKind;
use super::report::{Champion, TrainReport};
use super::{model_path, TrainError};
use crate::contract::{self, Contract};
use crate::lake::{Lake, LakeError};

/// The champion registry's lake path.
pub const REGISTRY_PATH: &str = "models/champions.json";

/// Publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The lake refused a read or write.
    #[error("publishing run {run}: {source}")]
    Lake {
        /// The run.
        run: String,
        /// The lake's error.
        #[source]
        source: Box<LakeError>,
    },
    /// A model could not be encoded or decoded.
    #[error(transparent)]
    Model(#[from] TrainError),
    /// The registry is not valid JSON.
    #[error("{REGISTRY_PATH} is unreadable ({0}); restore it from a backup or delete it to start a new registry")]
    BadRegistry(String),
    /// Building a metric table failed.
    #[error("building {table}: {message}")]
    Table {
        /// The table.
        table: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// The champion registry: the model each scope predicts with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Registry {
    /// The champion of each scope (`all`, platforms).
    pub champions: BTreeMap<String, Champion>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// The run that last changed it.
    pub updated_by_run: Option<String>,
}

/// What a publish wrote.
#[derive(Debug, Clone, Default)]
pub struct PublishReport {
    /// Model files written.
    pub model_files: usize,
    /// Metric table files written.
    pub table_files: usize,
    /// The registry after the run.
    pub registry: Registry,
}

fn lake_error(run: &str) -> impl Fn(LakeError) -> PublishError + '_ {
    move |source| PublishError::Lake {
        run: run.to_string(),
        source: Box::new(source),
    }
}

/// Reads the champion registry (empty when there is none yet).
pub async fn read_registry(lake: &Lake) -> Result<Registry, PublishError> {
    match lake.get(REGISTRY_PATH).await {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| PublishError::BadRegistry(e.to_string()))
        }
        Err(LakeError::Store {
            source: object_store::Error::NotFound { .. },
            ..
        }) => Ok(Registry::default()),
        Err(source) => Err(PublishError::Lake {
            run: "(reading the registry)".into(),
            source: Box::new(source),
        }),
    }
}

/// Writes a run's models, metric tables and, last, its champions.
pub async fn publish(lake: &Lake, output: &TrainOutput) -> Result<PublishReport, PublishError> {
    let run = output.report.run_id.as_str();
    let mut report = PublishReport::default();
    for model in &output.models {
        let m = &model.manifest;
        let dir = model_path(run, &m.scope, m.kind);
        for (name, bytes) in model.to_files()? {
            lake.put(&format!("{dir}/{name}"), Bytes::from(bytes))
                .await
                .map_err(lake_error(run))?;
            report.model_files += 1;
        }
    }
    let trained_at = Utc::now();
    for (table, batch) in metric_batches(&output.report, trained_at)? {
        let contract = contract::table(table).map_err(|e| PublishError::Table {
            table,
            message: e.to_string(),
        })?;
        lake.write_table_file(contract, &[run.to_string()], "part-0", &batch)
            .await
            .map_err(lake_error(run))?;
        report.table_files += 1;
    }
    let mut registry = read_registry(lake).await?;
    if !output.report.champions.is_empty() {
        for (scope, champion) in &output.report.champions {
            registry.champions.insert(scope.clone(), champion.clone());
        }
        registry.updated_at = Some(trained_at);
        registry.updated_by_run = Some(run.to_string());
        let text = serde_json::to_vec_pretty(&registry)
            .map_err(|e| PublishError::BadRegistry(e.to_string()))?;
        lake.put(REGISTRY_PATH, Bytes::from(text))
            .await
            .map_err(lake_error(run))?;
    }
    tracing::info!(run, models = output.models.len(), "published");
    report.registry = registry;
    Ok(report)
}

/// Loads a saved model from its lake folder (`models/<run>/<scope>/<kind>`).
pub async fn load_model(lake: &Lake, dir: &str) -> Result<SavedModel, PublishError> {
    let err = lake_error(dir);
    let mut files = BTreeMap::new();
    let manifest = lake
        .get(&format!("{dir}/{MANIFEST_FILE}"))
        .await
        .map_err(&err)?;
    files.insert(MANIFEST_FILE.to_string(), manifest.to_vec());
    for name in SavedModel::manifest_of(&files)?.files {
        let bytes = lake.get(&format!("{dir}/{name}")).await.map_err(&err)?;
        files.insert(name, bytes.to_vec());
    }
    Ok(SavedModel::from_files(&files)?)
}

/// The runs whose models are in the lake, oldest first, each with the
/// (scope, kind) of its models.
pub async fn list_runs(
    lake: &Lake,
) -> Result<Vec<(String, Vec<(String, ModelKind)>)>, PublishError> {
    let mut runs: BTreeMap<String, Vec<(String, ModelKind)>> = BTreeMap::new();
    for object in lake.list("models").await.map_err(lake_error("(listing)"))? {
        let path = lake.relative(&object.location);
        let parts: Vec<&str> = path.split('/').collect();
        if let ["models", run, scope, kind, MANIFEST_FILE] = parts.as_slice() {
            if let Ok(kind) = kind.parse::<ModelKind>() {
                runs.entry(run.to_string())
                    .or_default()
                    .push((scope.to_string(), kind));
            }
        }
    }
    Ok(runs.into_iter().collect())
}

fn text(values: impl IntoIterator<Item = impl AsRef<str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

/// NaN (an undefined metric) is stored as null.
fn optional(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(
        values.into_iter().map(|v| v.filter(|v| !v.is_nan())),
    ))
}

fn float(values: impl IntoIterator<Item = f64>) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(values))
}

fn int64(values: impl IntoIterator<Item = usize>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(
        values.into_iter().map(|v| v as i64),
    ))
}

fn timestamps(values: impl IntoIterator<Item = DateTime<Utc>>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from_iter_values(
            values.into_iter().map(|t| t.timestamp_micros()),
        )
        .with_timezone("UTC"),
    )
}

fn batch(
    table: &'static str,
    columns: Vec<ArrayRef>,
) -> Result<(&'static str, RecordBatch), PublishError> {
    let contract: &Contract = contract::table(table).map_err(|e| PublishError::Table {
        table,
        message: e.to_string(),
    })?;
    RecordBatch::try_new(contract.file_schema(), columns)
        .map(|b| (table, b))
        .map_err(|e| PublishError::Table {
            table,
            message: e.to_string(),
        })
}

/// The four metric tables of a report, as batches in their contracts' schemas.
pub fn metric_batches(
    report: &TrainReport,
    trained_at: DateTime<Utc>,
) -> Result<Vec<(&'static str, RecordBatch)>, PublishError> {
    let m = &report.metrics;
    let metrics = batch(
        "metrics.model_metrics",
        vec![
            text(m.iter().map(|r| &r.scope)),
            text(m.iter().map(|r| r.kind.name())),
            text(m.iter().map(|r| r.split)),
            int64(m.iter().map(|r| r.rows)),
            optional(m.iter().map(|r| r.r2)),
            optional(m.iter().map(|r| r.rmse)),
            optional(m.iter().map(|r| r.mae)),
            optional(m.iter().map(|r| r.spearman)),
            optional(m.iter().map(|r| r.accuracy)),
            optional(m.iter().map(|r| r.pairwise_accuracy)),
            Arc::new(Int64Array::from_iter(
                m.iter().map(|r| r.ab_pairs.map(|n| n as i64)),
            )),
            optional(m.iter().map(|r| r.ceiling_r2)),
            optional(m.iter().map(|r| r.ceiling_ratio)),
            text(m.iter().map(|r| &r.params)),
            int64(m.iter().map(|r| r.search_candidates)),
            float(m.iter().map(|r| r.seconds)),
            Arc::new(BooleanArray::from_iter(m.iter().map(|r| Some(r.champion)))),
            timestamps(m.iter().map(|_| trained_at)),
        ],
    )?;
    let f = &report.folds;
    let folds = batch(
        "metrics.cv_folds",
        vec![
            text(f.iter().map(|r| &r.scope)),
            text(f.iter().map(|r| r.kind.name())),
            Arc::new(Int32Array::from_iter_values(
                f.iter().map(|r| r.fold as i32),
            )),
            int64(f.iter().map(|r| r.train_rows)),
            int64(f.iter().map(|r| r.test_rows)),
            optional(f.iter().map(|r| r.r2)),
            optional(f.iter().map(|r| r.rmse)),
            optional(f.iter().map(|r| r.mae)),
            optional(f.iter().map(|r| r.spearman)),
            optional(f.iter().map(|r| r.accuracy)),
        ],
    )?;
    let i = &report.importance;
    let importance = batch(
        "metrics.feature_importance",
        vec![
            text(i.iter().map(|r| &r.scope)),
            text(i.iter().map(|r| r.kind.name())),
            text(i.iter().map(|r| &r.method)),
            text(i.iter().map(|r| &r.feature)),
            float(i.iter().map(|r| r.importance)),
            optional(i.iter().map(|r| r.importance_std)),
            Arc::new(Int32Array::from_iter_values(
                i.iter().map(|r| r.rank as i32),
            )),
        ],
    )?;
    let h = &report.holdout;
    let holdout = batch(
        "metrics.holdout_predictions",
        vec![
            text(h.iter().map(|r| &r.scope)),
            text(h.iter().map(|r| r.kind.name())),
            text(h.iter().map(|r| &r.post_id)),
            text(h.iter().map(|r| &r.platform)),
            timestamps(h.iter().map(|r| r.published_at)),
            float(h.iter().map(|r| r.actual)),
            float(h.iter().map(|r| r.predicted)),
        ],
    )?;
    Ok(vec![metrics, folds, importance, holdout])
}
