//! `creativeiq features`: the batch job that extracts the features of every
//! image in `raw/images` that has no row for the current extractor version,
//! in parallel with rayon, and writes `features/design/version=<v>/dt=.../`.
//!
//! Memory stays bounded: images are read in chunks, and rayon decodes one
//! image per core at a time. A bad image becomes a row with its `error`,
//! never a stop. A second run finds nothing to do; a new extractor version
//! recomputes everything.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use super::{decode, extract, DecodeLimits, DesignFeatures, EXTRACTOR_VERSION};
use crate::contract::{job_sql, table};
use crate::ingest::images::{blob_path, extension_for};
use crate::lake::{Lake, LakeError};
use crate::query::{QueryError, Session};

/// Images per chunk: enough to keep the cores busy between writes, few
/// enough that their compressed bytes stay small in memory.
const CHUNK: usize = 64;
/// Blob reads in flight.
const READ_CONCURRENCY: usize = 8;

/// The feature job failed as a whole (a single bad image never does this).
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    /// Reading or writing the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// Finding the pending images failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Building the rows failed.
    #[error("building feature rows: {0}")]
    Rows(String),
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct FeatureReport {
    /// Images that had no row for this version.
    pub pending: usize,
    /// Images whose features were computed.
    pub extracted: usize,
    /// Images recorded with an error.
    pub failed: usize,
    /// Megapixels decoded.
    pub megapixels: f64,
    /// Files written.
    pub files: usize,
    /// Wall time.
    pub seconds: f64,
}

/// The feature job; see the module docs.
#[derive(Debug, Clone)]
pub struct FeatureJob {
    first_dt: String,
    last_dt: String,
    force: bool,
    progress: bool,
    limits: DecodeLimits,
}

impl Default for FeatureJob {
    fn default() -> Self {
        FeatureJob {
            first_dt: "0000-00-00".into(),
            last_dt: "9999-99-99".into(),
            force: false,
            progress: std::io::stderr().is_terminal(),
            limits: DecodeLimits::default(),
        }
    }
}

#[derive(Serialize)]
struct FeatureRow {
    image_sha256: String,
    error: Option<String>,
    #[serde(flatten)]
    features: Option<DesignFeatures>,
    extracted_at: String,
}

impl FeatureJob {
    /// Only images whose `dt` is in `[since, until]` (both included).
    pub fn with_range(mut self, since: Option<NaiveDate>, until: Option<NaiveDate>) -> FeatureJob {
        if let Some(d) = since {
            self.first_dt = d.to_string();
        }
        if let Some(d) = until {
            self.last_dt = d.to_string();
        }
        self
    }

    /// Recomputes images that already have rows for this version (their
    /// old files in the range are removed first).
    pub fn with_force(mut self, force: bool) -> FeatureJob {
        self.force = force;
        self
    }

    /// Shows a progress bar (default: when stderr is a terminal).
    pub fn with_progress(mut self, show: bool) -> FeatureJob {
        self.progress = show;
        self
    }

    /// Runs the job on `lake`.
    pub async fn run(&self, lake: &Lake) -> Result<FeatureReport, FeatureError> {
        let started = Instant::now();
        if self.force {
            self.remove_version_files(lake).await?;
        }
        let pending = self.pending(lake).await?;
        let mut report = FeatureReport {
            pending: pending.len(),
            ..Default::default()
        };
        let bar = if self.progress {
            let bar = ProgressBar::new(pending.len() as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "features [{bar:30}] {pos}/{len} images, {per_sec}, eta {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        for chunk in pending.chunks(CHUNK) {
            let blobs: Vec<(String, String, Result<bytes::Bytes, String>)> =
                futures::stream::iter(chunk.iter().cloned())
                    .map(|(sha, format, dt)| async move {
                        let path = blob_path(&sha, extension_for(format.as_deref()));
                        let bytes = match lake.get(&path).await {
                            Ok(b) => Ok(b),
                            Err(LakeError::Store {
                                source: object_store::Error::NotFound { .. },
                                ..
                            }) => Err(format!("missing blob {path}")),
                            Err(e) => return Err(e),
                        };
                        Ok((sha, dt, bytes))
                    })
                    .buffered(READ_CONCURRENCY)
                    .collect::<Vec<_>>()
                    .await
                    .into_iter()
                    .collect::<Result<_, LakeError>>()?;
            let limits = self.limits;
            let now = Utc::now().to_rfc3339();
            let rows: Vec<(String, FeatureRow, f64)> = tokio::task::spawn_blocking(move || {
                blobs
                    .into_par_iter()
                    .map(|(sha, dt, bytes)| {
                        let outcome =
                            bytes.and_then(|b| decode(&b, &limits).map_err(|e| e.to_string()));
                        let (features, error, megapixels) = match outcome {
                            Ok(img) => {
                                let mp = f64::from(img.width()) * f64::from(img.height()) / 1e6;
                                (Some(extract(&img)), None, mp)
                            }
                            Err(e) => (None, Some(e), 0.0),
                        };
                        let row = FeatureRow {
                            image_sha256: sha,
                            error,
                            features,
                            extracted_at: now.clone(),
                        };
                        (dt, row, megapixels)
                    })
                    .collect()
            })
            .await
            .map_err(|e| FeatureError::Rows(e.to_string()))?;
            let mut by_dt: BTreeMap<String, Vec<FeatureRow>> = BTreeMap::new();
            for (dt, row, mp) in rows {
                report.megapixels += mp;
                if row.error.is_some() {
                    report.failed += 1;
                } else {
                    report.extracted += 1;
                }
                by_dt.entry(dt).or_default().push(row);
            }
            for (dt, rows) in by_dt {
                self.write(lake, &dt, &rows).await?;
                report.files += 1;
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    async fn pending(
        &self,
        lake: &Lake,
    ) -> Result<Vec<(String, Option<String>, String)>, FeatureError> {
        use arrow::array::{Array, AsArray};
        let session = Session::open(lake).await?;
        let frame = session.query(job_sql("features_pending")).await?;
        let frame = frame
            .with_param_values(vec![
                ScalarValue::from(EXTRACTOR_VERSION),
                ScalarValue::from(self.first_dt.as_str()),
                ScalarValue::from(self.last_dt.as_str()),
            ])
            .map_err(|e| FeatureError::Rows(format!("sql/jobs/features_pending.sql: {e}")))?;
        let batches = frame
            .collect()
            .await
            .map_err(|e| FeatureError::Rows(format!("sql/jobs/features_pending.sql: {e}")))?;
        let mut pending = Vec::new();
        for batch in batches {
            let (sha, format, dt) = (
                batch.column(0).as_string::<i32>(),
                batch.column(1).as_string::<i32>(),
                batch.column(2).as_string::<i32>(),
            );
            for i in 0..batch.num_rows() {
                let format = (!format.is_null(i)).then(|| format.value(i).to_string());
                pending.push((sha.value(i).to_string(), format, dt.value(i).to_string()));
            }
        }
        Ok(pending)
    }

    async fn write(&self, lake: &Lake, dt: &str, rows: &[FeatureRow]) -> Result<(), FeatureError> {
        let contract = table("features.design").expect("a built-in contract");
        let mut decoder = arrow::json::ReaderBuilder::new(contract.file_schema())
            .build_decoder()
            .map_err(|e| FeatureError::Rows(e.to_string()))?;
        decoder
            .serialize(rows)
            .map_err(|e| FeatureError::Rows(e.to_string()))?;
        let batch = decoder
            .flush()
            .map_err(|e| FeatureError::Rows(e.to_string()))?
            .ok_or_else(|| FeatureError::Rows("no rows".into()))?;
        // Named by the images it holds: a re-run of the same chunk replaces it.
        let shas: Vec<&str> = rows.iter().map(|r| r.image_sha256.as_str()).collect();
        let name = format!(
            "features-{:016x}",
            xxhash_rust::xxh3::xxh3_64(shas.join(",").as_bytes())
        );
        lake.write_table_file(
            contract,
            &[EXTRACTOR_VERSION.to_string(), dt.to_string()],
            &name,
            &batch,
        )
        .await?;
        Ok(())
    }

    async fn remove_version_files(&self, lake: &Lake) -> Result<(), FeatureError> {
        let prefix = format!("features/design/version={EXTRACTOR_VERSION}");
        for object in lake.list(&prefix).await? {
            let relative = lake.relative(&object.location);
            let dt = relative
                .split('/')
                .find_map(|p| p.strip_prefix("dt="))
                .unwrap_or_default();
            if dt >= self.first_dt.as_str() && dt <= self.last_dt.as_str() {
                lake.delete(&relative).await?;
            }
        }
        Ok(())
    }
}
