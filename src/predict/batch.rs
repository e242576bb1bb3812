//! Batch prediction: every valid post of a range of dt partitions scored by
//! the champion of its platform (or the general champion), written to the
//! lake table `predictions.posts`, one file per dt. Scoring a partition
//! again replaces its file, so a re-run never duplicates a row.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray, TimestampMicrosecondArray};
use arrow::record_batch::RecordBatch;
use chrono::Utc;

use super::{PredictError, Prediction, Predictor};
use crate::contract;
use crate::lake::Lake;
use crate::query::Session;
use crate::train::source::{post_inputs, run_job, PostInput};
use crate::train::{Matrix, TrainError, ALL_SCOPE};

/// The lake table batch predictions land in.
pub const PREDICTIONS_TABLE: &str = "predictions.posts";

/// Scores the posts of a dt range with the lake's champions.
#[derive(Debug, Clone)]
pub struct BatchPredict {
    first_dt: String,
    last_dt: String,
    top: usize,
}

/// What a batch prediction wrote.
#[derive(Debug, Clone, Default)]
pub struct BatchReport {
    /// Posts scored.
    pub posts: usize,
    /// Of those, posts scored with their image's features (the others on
    /// their context alone).
    pub with_image: usize,
    /// dt partitions written.
    pub partitions: usize,
    /// Posts per model (`run/scope/kind`).
    pub by_model: BTreeMap<String, usize>,
}

impl BatchPredict {
    /// The posts published on the days `first_dt..=last_dt` (`YYYY-MM-DD`).
    pub fn new(first_dt: impl Into<String>, last_dt: impl Into<String>) -> BatchPredict {
        BatchPredict {
            first_dt: first_dt.into(),
            last_dt: last_dt.into(),
            top: 3,
        }
    }

    /// Every partition.
    pub fn all() -> BatchPredict {
        BatchPredict::new("0000-00-00", "9999-99-99")
    }

    /// Features listed in `top_up` and `top_down`.
    pub fn with_top(mut self, top: usize) -> Self {
        self.top = top;
        self
    }

    /// Scores and writes.
    pub async fn run(&self, lake: &Lake) -> Result<BatchReport, PredictError> {
        let general = Predictor::champion(lake, ALL_SCOPE).await?;
        let version = general.model().manifest.extractor_version.clone();
        let session = Session::open(lake).await.map_err(|e| TrainError::Lake {
            step: "opening the lake's tables".into(),
            message: e.to_string(),
        })?;
        let batches = run_job(
            &session,
            "prediction_set",
            &[&version, &self.first_dt, &self.last_dt],
        )
        .await?;
        // The posts of each platform, with their dt.
        let mut by_platform: BTreeMap<String, Vec<(String, PostInput)>> = BTreeMap::new();
        for batch in &batches {
            let dts = dt_column(batch)?;
            for (dt, post) in dts.into_iter().zip(post_inputs(batch)?) {
                by_platform
                    .entry(post.context.platform.clone())
                    .or_default()
                    .push((dt, post));
            }
        }
        let mut rows: BTreeMap<String, Vec<(PostInput, Prediction)>> = BTreeMap::new();
        let mut report = BatchReport::default();
        for (platform, posts) in by_platform {
            let own = match Predictor::champion(lake, &platform).await {
                Ok(p) => Some(p),
                Err(PredictError::NoChampion { .. }) => None,
                Err(e) => return Err(e),
            };
            let predictor = own.as_ref().unwrap_or(&general);
            let predictions = predictor.predict_posts(posts.iter().map(|(_, p)| p))?;
            for ((dt, post), prediction) in posts.into_iter().zip(predictions) {
                let (run, scope, kind) = &prediction.model;
                *report
                    .by_model
                    .entry(format!("{run}/{scope}/{kind}"))
                    .or_default() += 1;
                report.posts += 1;
                report.with_image += usize::from(post.image.is_some());
                rows.entry(dt).or_default().push((post, prediction));
            }
        }
        let contract = contract::table(PREDICTIONS_TABLE)
            .map_err(|e| PredictError::Write(format!("{PREDICTIONS_TABLE}: {e}")))?;
        let predicted_at = Utc::now();
        for (dt, scored) in &rows {
            let batch = self.batch(contract, scored, predicted_at)?;
            lake.write_table_file(contract, std::slice::from_ref(dt), "predictions", &batch)
                .await
                .map_err(|e| PredictError::Write(format!("{PREDICTIONS_TABLE} dt={dt}: {e}")))?;
            report.partitions += 1;
        }
        tracing::info!(
            posts = report.posts,
            partitions = report.partitions,
            "scored"
        );
        Ok(report)
    }

    fn batch(
        &self,
        contract: &contract::Contract,
        scored: &[(PostInput, Prediction)],
        predicted_at: chrono::DateTime<Utc>,
    ) -> Result<RecordBatch, PredictError> {
        let text = |f: &dyn Fn(&PostInput, &Prediction) -> String| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(
                scored.iter().map(|(post, p)| f(post, p)),
            ))
        };
        let float = |f: &dyn Fn(&Prediction) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(
                scored.iter().map(|(_, p)| f(p)),
            ))
        };
        let pushes = |list: Vec<&super::Contribution>| {
            list.iter()
                .map(|c| format!("{}:{:+.2}", c.feature, c.contribution))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let columns: Vec<ArrayRef> = vec![
            text(&|post, _| post.context.platform.clone()),
            text(&|post, _| post.post_id.clone()),
            Arc::new(StringArray::from_iter(scored.iter().map(|(post, _)| {
                post.image.as_ref().and(post.image_sha256.clone())
            }))),
            float(&|p| p.score),
            float(&|p| p.interval.0),
            float(&|p| p.interval.1),
            text(&|_, p| p.tier.name().to_string()),
            Arc::new(Float64Array::from_iter(
                scored.iter().map(|(_, p)| p.top_tier_probability),
            )),
            text(&|_, p| pushes(p.top_up(self.top))),
            text(&|_, p| pushes(p.top_down(self.top))),
            text(&|_, p| p.model.0.clone()),
            text(&|_, p| p.model.1.clone()),
            text(&|_, p| p.model.2.name().to_string()),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(
                    scored.iter().map(|_| predicted_at.timestamp_micros()),
                )
                .with_timezone("UTC"),
            ),
        ];
        RecordBatch::try_new(contract.file_schema(), columns)
            .map_err(|e| PredictError::Write(format!("{PREDICTIONS_TABLE}: {e}")))
    }
}

/// The `dt` column of a prediction_set batch.
fn dt_column(batch: &RecordBatch) -> Result<Vec<String>, PredictError> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::DataType;
    let column = batch
        .column_by_name("dt")
        .ok_or_else(|| TrainError::BadDataset("prediction_set has no dt column".into()))?;
    let text = arrow::compute::cast(column, &DataType::Utf8)
        .map_err(|e| TrainError::BadDataset(format!("prediction_set dt: {e}")))?;
    let text = text.as_string::<i32>();
    (0..text.len())
        .map(|i| {
            (!text.is_null(i))
                .then(|| text.value(i).to_string())
                .ok_or_else(|| TrainError::BadDataset("a post has no dt".into()).into())
        })
        .collect()
}

impl Predictor {
    /// Predicts posts from their context and image features, in one batch.
    pub fn predict_posts<'a>(
        &self,
        posts: impl IntoIterator<Item = &'a PostInput>,
    ) -> Result<Vec<Prediction>, PredictError> {
        let assembler = self
            .model()
            .manifest
            .assembler
            .as_ref()
            .ok_or(PredictError::NoAssembler)?;
        let mut values = Vec::new();
        let mut rows = 0;
        for post in posts {
            values.extend(assembler.row(&post.context, post.image.as_ref()));
            rows += 1;
        }
        if rows == 0 {
            return Ok(Vec::new());
        }
        let x = Matrix::new(rows, assembler.feature_names().len(), values)?;
        self.predict_rows(&x)
    }
}
