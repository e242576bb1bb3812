//! `creativeiq features`: the batch job that extracts the features of every
//! image in `raw/images` that has no row for the extractor version, in
//! parallel with rayon, and writes `features/design/version=<v>/dt=.../`.
//!
//! Three stages run at once, joined by bounded channels:
//!
//! 1. reading (async): blobs are fetched a few at a time, and only while
//!    the compressed bytes read but not yet decoded fit the read-ahead
//!    budget;
//! 2. extracting (rayon): each pool thread takes one image, decodes it and
//!    computes its features on that thread alone. Before the pixel buffer
//!    exists the image reserves its decoded size from a shared memory
//!    budget ([`super::budget`]), so at most one image per thread, and never
//!    more decoded bytes than the budget, are alive at once, however many
//!    images are pending;
//! 3. writing (async): rows are grouped by `dt` and written a file per
//!    [`FeatureJob::with_rows_per_file`] rows, so a crash loses at most the
//!    rows not yet written, and a re-run picks up the rest.
//!
//! A bad image becomes a row with its `error`, never a stop. A second run
//! finds nothing to do; a new extractor version recomputes everything.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use datafusion::scalar::ScalarValue;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::budget::Budget;
use super::decode::decode_with;
use super::{extract_with, DecodeLimits, DesignFeatures, Threads, EXTRACTOR_VERSION};
use crate::contract::{job_sql, table};
use crate::ingest::images::{blob_path, extension_for};
use crate::lake::{Lake, LakeError};
use crate::query::{QueryError, Session};

/// Rows per written file, unless [`FeatureJob::with_rows_per_file`] says.
const ROWS_PER_FILE: usize = 4096;
/// Blob reads in flight: enough to hide S3 latency.
const READ_CONCURRENCY: usize = 8;
/// Compressed bytes read ahead of the extractors (KiB).
const READ_AHEAD_KIB: usize = 256 << 10;
/// Decoded pixel bytes alive at once, unless [`FeatureJob::with_memory_budget`] says.
pub const DEFAULT_MEMORY_BUDGET: u64 = 1 << 30;
/// Images waiting between the stages.
const QUEUE: usize = 64;

/// The feature job failed as a whole (a single bad image never does this).
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    /// Reading or writing the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// Opening the lake's tables for the pending query failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The query that finds the pending images failed.
    #[error("finding the images to extract (sql/jobs/features_pending.sql): {source}")]
    Pending {
        /// DataFusion's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },
    /// The extractor version cannot name a partition folder.
    #[error("extractor version {version:?}: use letters, digits, '.', '-' or '_'")]
    BadVersion {
        /// The version given.
        version: String,
    },
    /// Turning computed features into a record batch failed.
    #[error("encoding the feature rows of dt={dt}: {source}")]
    Encode {
        /// The partition being written.
        dt: String,
        /// Arrow's error.
        #[source]
        source: arrow::error::ArrowError,
    },
    /// The extraction threads could not be started or stopped abnormally.
    #[error("the extraction threads failed: {message}")]
    Workers {
        /// What went wrong.
        message: String,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct FeatureReport {
    /// The extractor version the rows were written under.
    pub version: String,
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
    /// Most images whose decoded pixels were alive at the same time.
    pub max_images_in_flight: usize,
    /// Most decoded bytes reserved at the same time.
    pub max_decoded_bytes: u64,
    /// Peak resident memory of the process so far (Linux), in bytes.
    pub peak_rss_bytes: Option<u64>,
}

impl FeatureReport {
    /// Images per second of wall time.
    pub fn images_per_second(&self) -> f64 {
        (self.extracted + self.failed) as f64 / self.seconds.max(1e-9)
    }
}

/// The feature job; see the module docs.
#[derive(Debug, Clone)]
pub struct FeatureJob {
    first_dt: String,
    last_dt: String,
    force: bool,
    progress: bool,
    limits: DecodeLimits,
    version: String,
    threads: Option<usize>,
    memory_budget: u64,
    rows_per_file: usize,
}

impl Default for FeatureJob {
    fn default() -> Self {
        FeatureJob {
            first_dt: "0000-00-00".into(),
            last_dt: "9999-99-99".into(),
            force: false,
            progress: std::io::stderr().is_terminal(),
            limits: DecodeLimits::default(),
            version: EXTRACTOR_VERSION.into(),
            threads: None,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            rows_per_file: ROWS_PER_FILE,
        }
    }
}

/// One row of `features.design`, as the contract's file schema reads it.
#[derive(Serialize)]
struct FeatureRow {
    image_sha256: String,
    error: Option<String>,
    #[serde(flatten)]
    features: Option<DesignFeatures>,
    extracted_at: String,
}

/// An image the job has to extract, from `sql/jobs/features_pending.sql`.
#[derive(Debug, Clone)]
struct Pending {
    sha256: String,
    format: Option<String>,
    dt: String,
    bytes: u64,
    /// What the landing check found wrong, if anything.
    landing: Option<String>,
}

/// An image read from the lake, on its way to an extraction thread.
struct Work {
    image: Pending,
    bytes: Result<Bytes, String>,
    /// Read-ahead held until the compressed bytes are decoded.
    read_ahead: OwnedSemaphorePermit,
}

/// An extracted (or failed) image, on its way to the writer.
struct Done {
    dt: String,
    row: FeatureRow,
    megapixels: f64,
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

    /// The extractor version rows are looked up and written under
    /// (default [`EXTRACTOR_VERSION`]). For backfills side by side and for
    /// tests of what a new version does, without a rebuild.
    pub fn with_version(mut self, version: impl Into<String>) -> FeatureJob {
        self.version = version.into();
        self
    }

    /// Decode limits (default [`DecodeLimits::default`]).
    pub fn with_limits(mut self, limits: DecodeLimits) -> FeatureJob {
        self.limits = limits;
        self
    }

    /// Extraction threads (default: rayon's global pool, which follows
    /// `RAYON_NUM_THREADS` or the core count).
    pub fn with_threads(mut self, threads: usize) -> FeatureJob {
        self.threads = Some(threads.max(1));
        self
    }

    /// Bytes of decoded pixels alive at once, over all threads (default
    /// [`DEFAULT_MEMORY_BUDGET`]). An image larger than the budget runs
    /// alone.
    pub fn with_memory_budget(mut self, bytes: u64) -> FeatureJob {
        self.memory_budget = bytes;
        self
    }

    /// Rows per written file (default 4096).
    pub fn with_rows_per_file(mut self, rows: usize) -> FeatureJob {
        self.rows_per_file = rows.max(1);
        self
    }

    /// Runs the job on `lake`.
    pub async fn run(&self, lake: &Lake) -> Result<FeatureReport, FeatureError> {
        let started = Instant::now();
        if !is_folder_name(&self.version) {
            return Err(FeatureError::BadVersion {
                version: self.version.clone(),
            });
        }
        if self.force {
            self.remove_version_files(lake).await?;
        }
        let pending = self.pending(lake).await?;
        let mut report = FeatureReport {
            version: self.version.clone(),
            pending: pending.len(),
            ..Default::default()
        };
        tracing::info!(version = %self.version, pending = pending.len(), "extracting features");
        let bar = self.progress_bar(pending.len());
        let budget = Arc::new(Budget::new(self.memory_budget));
        let stop = Arc::new(AtomicBool::new(false));
        let (work_tx, work_rx) = mpsc::channel::<Work>(QUEUE);
        let (done_tx, done_rx) = mpsc::channel::<Done>(QUEUE);
        let workers = self.spawn_workers(work_rx, done_tx, budget.clone(), stop.clone())?;
        let write = async {
            let written = self
                .write_rows(lake, done_rx, &bar, &mut report, started)
                .await;
            if written.is_err() {
                // Nothing more would be saved: stop reading and extracting.
                stop.store(true, Ordering::Relaxed);
            }
            written
        };
        let (read, written) = tokio::join!(read_blobs(lake, pending, work_tx, stop.clone()), write);
        let joined = workers.await;
        bar.finish_and_clear();
        read?;
        written?;
        joined.map_err(|e| FeatureError::Workers {
            message: e.to_string(),
        })?;
        report.seconds = started.elapsed().as_secs_f64();
        report.max_images_in_flight = budget.max_images();
        report.max_decoded_bytes = budget.max_used();
        report.peak_rss_bytes = peak_rss_bytes();
        tracing::info!(?report, "features done");
        Ok(report)
    }

    /// Starts the extraction: one image per pool thread at a time.
    fn spawn_workers(
        &self,
        work_rx: mpsc::Receiver<Work>,
        done_tx: mpsc::Sender<Done>,
        budget: Arc<Budget>,
        stop: Arc<AtomicBool>,
    ) -> Result<tokio::task::JoinHandle<()>, FeatureError> {
        let pool = match self.threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("features-{i}"))
                    .build()
                    .map_err(|e| FeatureError::Workers {
                        message: e.to_string(),
                    })?,
            ),
            None => None,
        };
        let limits = self.limits;
        Ok(tokio::task::spawn_blocking(move || {
            let mut work_rx = work_rx;
            let run = || {
                std::iter::from_fn(|| work_rx.blocking_recv())
                    .par_bridge()
                    .for_each_with(done_tx, |done_tx, work| {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        // A closed channel means the writer stopped with an
                        // error, which the job returns.
                        let _ = done_tx.blocking_send(process(work, &limits, &budget));
                    });
            };
            match pool {
                Some(pool) => pool.install(run),
                None => run(),
            }
        }))
    }

    /// Collects finished rows per `dt` and writes them a file at a time.
    async fn write_rows(
        &self,
        lake: &Lake,
        mut done_rx: mpsc::Receiver<Done>,
        bar: &ProgressBar,
        report: &mut FeatureReport,
        started: Instant,
    ) -> Result<(), FeatureError> {
        let mut by_dt: BTreeMap<String, Vec<FeatureRow>> = BTreeMap::new();
        while let Some(done) = done_rx.recv().await {
            report.megapixels += done.megapixels;
            if done.row.error.is_some() {
                report.failed += 1;
            } else {
                report.extracted += 1;
            }
            bar.inc(1);
            bar.set_message(format!(
                "{:.0} MP/s",
                report.megapixels / started.elapsed().as_secs_f64().max(1e-3)
            ));
            let rows = by_dt.entry(done.dt.clone()).or_default();
            rows.push(done.row);
            if rows.len() >= self.rows_per_file {
                let full = std::mem::take(rows);
                self.write(lake, &done.dt, full).await?;
                report.files += 1;
            }
        }
        for (dt, rows) in by_dt {
            if !rows.is_empty() {
                self.write(lake, &dt, rows).await?;
                report.files += 1;
            }
        }
        Ok(())
    }

    fn progress_bar(&self, len: usize) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "features [{bar:30}] {pos}/{len} images, {per_sec} images, {msg}, eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    }

    async fn pending(&self, lake: &Lake) -> Result<Vec<Pending>, FeatureError> {
        use arrow::array::{Array, AsArray};
        use arrow::datatypes::Int64Type;
        let session = Session::open(lake).await?;
        let frame = session
            .query(job_sql("features_pending"))
            .await?
            .with_param_values(vec![
                ScalarValue::from(self.version.as_str()),
                ScalarValue::from(self.first_dt.as_str()),
                ScalarValue::from(self.last_dt.as_str()),
            ])
            .map_err(|source| FeatureError::Pending { source })?;
        let batches = frame
            .collect()
            .await
            .map_err(|source| FeatureError::Pending { source })?;
        let mut pending = Vec::new();
        for batch in batches {
            let text = |i: usize| batch.column(i).as_string::<i32>();
            let (sha, format, dt, landing) = (text(0), text(1), text(2), text(4));
            let bytes = batch.column(3).as_primitive::<Int64Type>();
            let optional = |column: &arrow::array::StringArray, i: usize| {
                (!column.is_null(i)).then(|| column.value(i).to_string())
            };
            for i in 0..batch.num_rows() {
                pending.push(Pending {
                    sha256: sha.value(i).to_string(),
                    format: optional(format, i),
                    dt: dt.value(i).to_string(),
                    bytes: u64::try_from(bytes.value(i)).unwrap_or(0),
                    landing: optional(landing, i),
                });
            }
        }
        Ok(pending)
    }

    async fn write(
        &self,
        lake: &Lake,
        dt: &str,
        mut rows: Vec<FeatureRow>,
    ) -> Result<(), FeatureError> {
        rows.sort_by(|a, b| a.image_sha256.cmp(&b.image_sha256));
        let contract = table("features.design").expect("a built-in contract");
        let encode = |source| FeatureError::Encode {
            dt: dt.to_string(),
            source,
        };
        let mut decoder = arrow::json::ReaderBuilder::new(contract.file_schema())
            .with_batch_size(rows.len().max(1))
            .build_decoder()
            .map_err(encode)?;
        decoder.serialize(&rows).map_err(encode)?;
        let Some(batch) = decoder.flush().map_err(encode)? else {
            return Ok(());
        };
        // Named by the images it holds: writing the same rows again
        // replaces the file instead of adding one.
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for row in &rows {
            hasher.update(row.image_sha256.as_bytes());
            hasher.update(b",");
        }
        let name = format!("features-{:016x}", hasher.digest());
        lake.write_table_file(
            contract,
            &[self.version.clone(), dt.to_string()],
            &name,
            &batch,
        )
        .await?;
        Ok(())
    }

    async fn remove_version_files(&self, lake: &Lake) -> Result<(), FeatureError> {
        let prefix = format!("features/design/version={}", self.version);
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

/// Reads the pending images' blobs in order, a few at a time, within the
/// read-ahead budget, and hands them to the extraction threads.
async fn read_blobs(
    lake: &Lake,
    pending: Vec<Pending>,
    work_tx: mpsc::Sender<Work>,
    stop: Arc<AtomicBool>,
) -> Result<(), FeatureError> {
    let read_ahead = Arc::new(Semaphore::new(READ_AHEAD_KIB));
    // Permits are taken one image after another (`then`), so an image
    // waiting for room only waits for images ahead of it, which are being
    // read or extracted and will give theirs back.
    let works = futures::stream::iter(pending)
        .then(|image| {
            let read_ahead = read_ahead.clone();
            async move {
                let kib = (image.bytes.div_ceil(1024) as usize).clamp(1, READ_AHEAD_KIB);
                let permit = read_ahead
                    .acquire_many_owned(kib as u32)
                    .await
                    .expect("the read-ahead semaphore is never closed");
                (image, permit)
            }
        })
        .map(|(image, read_ahead)| async move {
            let bytes = read_blob(lake, &image).await?;
            Ok::<_, FeatureError>(Work {
                image,
                bytes,
                read_ahead,
            })
        })
        .buffered(READ_CONCURRENCY);
    let mut works = std::pin::pin!(works);
    while let Some(work) = works.next().await {
        if stop.load(Ordering::Relaxed) || work_tx.send(work?).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The image's bytes, or why there are none (a missing blob is the image's
/// problem; any other store error stops the job).
async fn read_blob(lake: &Lake, image: &Pending) -> Result<Result<Bytes, String>, FeatureError> {
    let path = blob_path(&image.sha256, extension_for(image.format.as_deref()));
    match lake.get(&path).await {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(LakeError::Store {
            source: object_store::Error::NotFound { .. },
            ..
        }) => Ok(Err(match &image.landing {
            Some(landing) => {
                format!("no blob at {path}: it was not stored when landed ({landing})")
            }
            None => format!("no blob at {path}: it was deleted or never stored"),
        })),
        Err(e) => Err(e.into()),
    }
}

/// Decodes and extracts one image on the calling thread.
fn process(work: Work, limits: &DecodeLimits, budget: &Budget) -> Done {
    let Work {
        image,
        bytes,
        read_ahead,
    } = work;
    let outcome = bytes.and_then(|bytes| {
        let decoded = decode_with(&bytes, limits, |header| budget.reserve(header.peak_bytes()));
        drop(bytes);
        drop(read_ahead);
        let (img, reservation) = decoded.map_err(|e| e.to_string())?;
        let megapixels = f64::from(img.width()) * f64::from(img.height()) / 1e6;
        let features = catch_unwind(AssertUnwindSafe(|| extract_with(&img, Threads::One)));
        drop(img);
        drop(reservation);
        features.map(|f| (f, megapixels)).map_err(|_| {
            tracing::error!(image = %image.sha256, "the feature extractor panicked");
            "internal error: the feature extractor failed on this image; please report it with the image".to_string()
        })
    });
    let (features, error, megapixels) = match outcome {
        Ok((f, mp)) => (Some(f), None, mp),
        Err(e) => (None, Some(e), 0.0),
    };
    Done {
        dt: image.dt,
        row: FeatureRow {
            image_sha256: image.sha256,
            error,
            features,
            extracted_at: Utc::now().to_rfc3339(),
        },
        megapixels,
    }
}

/// Whether `v` can be a partition folder name (`version=<v>`).
fn is_folder_name(v: &str) -> bool {
    !v.is_empty()
        && v != "."
        && v != ".."
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The process's peak resident memory (`VmHWM`), on Linux.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
