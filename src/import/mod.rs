//! `creativeiq import`: lands the exports a team already has.
//!
//! Reads: JSON (an array or newline-delimited) in the seed's record formats
//! (`schemas/payloads/`), and CSV exports through a TOML column mapping.
//! Writes: the records' tables (`raw/posts`, `raw/ab_tests`,
//! `raw/annotations`) and `raw/rejects`. For every input, landed + rejected =
//! read. To read a new file format, add an adapter beside `json.rs` and
//! `csv.rs` that hands records to [`sink::Sink`], and the hash of all the
//! bytes it read to `Sink::input_read` (the batch name; without it the
//! input is read again to name its files).

mod csv;
mod json;
mod sink;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};

use crate::contract::{payloads, Payload};
use crate::lake::{Lake, LakeError};

/// An import could not run.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input file cannot be read as a whole (missing, unreadable, not JSON).
    #[error("{path}: {message}")]
    Input {
        /// The input.
        path: String,
        /// What is wrong, with the line where there is one.
        message: String,
    },
    /// A mapping file is wrong or does not fit the input.
    #[error("mapping {path}: {message}")]
    Mapping {
        /// The mapping file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An option is wrong.
    #[error("{0}")]
    Usage(String),
    /// Writing to the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// What one input gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputReport {
    /// The input file.
    pub input: String,
    /// Records read.
    pub read: u64,
    /// Records landed in their table.
    pub landed: u64,
    /// Records rejected (in `raw/rejects`).
    pub rejected: u64,
    /// Rows written (an A/B test record lands as one row per variant).
    pub rows: u64,
    /// Parquet files written, rejects included.
    pub files: usize,
}

/// An import job; see the module docs.
#[derive(Debug, Clone)]
pub struct Import {
    payload: Option<Payload>,
    mapping: Option<(String, Payload)>,
    fallbacks: BTreeMap<String, String>,
    progress: bool,
}

impl Default for Import {
    fn default() -> Self {
        Self::new()
    }
}

impl Import {
    /// An import that recognises the seed's record formats by their keys.
    pub fn new() -> Import {
        Import {
            payload: None,
            mapping: None,
            fallbacks: BTreeMap::new(),
            progress: std::io::stderr().is_terminal(),
        }
    }

    /// The platform of records that do not name one.
    pub fn with_platform(mut self, platform: &str) -> Import {
        self.fallbacks.insert("platform".into(), platform.into());
        self
    }

    /// Reads every record as this built-in payload instead of recognising it.
    pub fn with_payload(mut self, name: &str) -> Result<Import, ImportError> {
        let payload = payloads().iter().find(|p| p.name == name).ok_or_else(|| {
            ImportError::Usage(format!(
                "unknown payload {name:?}; built-in payloads: {}",
                payloads()
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        self.payload = Some(payload.clone());
        Ok(self)
    }

    /// Reads CSV inputs through the column mapping in `path`.
    pub fn with_mapping(mut self, path: &Path) -> Result<Import, ImportError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::Mapping {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let payload = Payload::parse(&shown, &text).map_err(|e| ImportError::Mapping {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        self.mapping = Some((shown, payload));
        Ok(self)
    }

    /// Shows a progress bar (default: when stderr is a terminal).
    pub fn with_progress(mut self, show: bool) -> Import {
        self.progress = show;
        self
    }

    /// Imports one file into `lake`.
    pub async fn run(&self, lake: &Lake, path: &Path) -> Result<InputReport, ImportError> {
        let shown = path.display().to_string();
        let input_error = |message: String| ImportError::Input {
            path: shown.clone(),
            message,
        };
        let started = std::time::Instant::now();
        let size = std::fs::metadata(path)
            .map_err(|e| input_error(e.to_string()))?
            .len();
        let now = Utc::now().timestamp_micros();
        let bar = self.progress_bar(size, &shown);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        let mut sink = sink::Sink::new(
            &shown,
            &format!("import:{name}"),
            path,
            self.stem_options(),
            now,
            &self.fallbacks,
        );
        let is_csv = self.mapping.is_some()
            || matches!(extension(path).as_deref(), Some("csv") | Some("tsv"));
        if is_csv {
            let (mapping_path, mapping) = self.mapping.as_ref().ok_or_else(|| {
                ImportError::Usage(format!(
                    "{shown} is CSV: pass --mapping FILE.toml to say which column is which \
                     (see schemas/mappings/facebook_page_insights.toml)"
                ))
            })?;
            csv::import(lake, path, mapping_path, mapping, &mut sink, &bar).await?;
        } else {
            json::import(lake, path, self.payload.as_ref(), &mut sink, &bar).await?;
        }
        bar.finish_and_clear();
        let read_seconds = started.elapsed().as_secs_f64();
        let report = sink.finish(lake).await?;
        tracing::info!(
            input = %report.input, read = report.read, landed = report.landed,
            rejected = report.rejected, rows = report.rows, files = report.files,
            read_seconds, seconds = started.elapsed().as_secs_f64(), "imported"
        );
        Ok(report)
    }

    /// Registers image files: each is checked, stored once under
    /// `blobs/images/` and recorded in `raw/images` (a broken one also in
    /// `raw/rejects`), so `creativeiq features` can extract them.
    pub async fn run_images(
        &self,
        lake: &Lake,
        paths: &[PathBuf],
    ) -> Result<InputReport, ImportError> {
        let now = Utc::now().timestamp_micros();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let bytes = std::fs::read(path).map_err(|e| ImportError::Input {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            files.push((format!("file://{}", absolute.display()), bytes));
        }
        // Named by the images' content: the same images again replace the
        // same files.
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for (url, bytes) in &files {
            hasher.update(url.as_bytes());
            hasher.update(&xxhash_rust::xxh3::xxh3_64(bytes).to_le_bytes());
        }
        let stem = format!("import-{:016x}", hasher.digest());
        let mut log = crate::ingest::images::ImageLog::new(&stem, Default::default());
        let mut rejects = crate::ingest::RejectLog::new("import", &stem, now);
        let mut report = InputReport {
            input: format!("{} image files", files.len()),
            ..Default::default()
        };
        for (record, (url, bytes)) in files.into_iter().enumerate() {
            report.read += 1;
            let landed = log.land(lake, &url, bytes.into(), now).await?;
            if landed.probe.is_ok() {
                report.landed += 1;
                report.rows += 1;
            } else {
                report.rejected += 1;
                let reason = format!(
                    "image {}: {}",
                    landed.probe.status,
                    landed.probe.error.as_deref().unwrap_or_default()
                );
                let origin = crate::ingest::RejectOrigin {
                    input: &url,
                    record: record as i64 + 1,
                    payload: None,
                    table: Some("raw.images"),
                };
                rejects.add(origin, &crate::ingest::Reject::field("image", reason), &url);
            }
        }
        report.files += log.finish(lake).await?.files.len();
        report.files += rejects.finish(lake).await?.files.len();
        Ok(report)
    }

    /// The batch name of an input is a hash of its bytes and of these
    /// options, which change what it lands as, so the same import twice
    /// writes the same files.
    fn stem_options(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}",
            self.payload.as_ref().map(|p| &p.name),
            self.mapping.as_ref().map(|(_, m)| format!("{m:?}")),
            self.fallbacks
        )
    }

    fn progress_bar(&self, size: u64, shown: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_message(shown.to_string());
        bar
    }
}

/// See [`Import::stem_options`]: the input's bytes, then the options.
fn stem_of(path: &Path, options: &str) -> std::io::Result<String> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(stem_name(hasher, options))
}

/// [`stem_of`] for an input whose bytes were hashed while it was read.
fn stem_name(mut bytes: xxhash_rust::xxh3::Xxh3, options: &str) -> String {
    bytes.update(options.as_bytes());
    format!("import-{:016x}", bytes.digest())
}

/// Whether `path` is named like an image file (`import` registers those in
/// `raw/images` instead of reading records from them).
pub fn is_image(path: &Path) -> bool {
    matches!(
        extension(path).as_deref(),
        Some("png" | "jpg" | "jpeg" | "webp" | "gif")
    )
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_lowercase())
}

/// Resolves the inputs of `creativeiq import`: files as given, directories
/// to the files they hold (sorted), so a whole export folder imports at once.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ImportError::Input {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && (matches!(
                            extension(p).as_deref(),
                            Some("json" | "ndjson" | "jsonl" | "csv" | "tsv")
                        ) || is_image(p))
                })
                .collect();
            inner.sort();
            files.extend(inner);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(ImportError::Input {
                path: path.display().to_string(),
                message: "no such file".into(),
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An empty local lake in a temporary directory (kept while the
    /// directory is).
    pub(crate) async fn temp_lake() -> (tempfile::TempDir, Lake) {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().join("lake").to_str().unwrap())
            .await
            .unwrap();
        (dir, lake)
    }

    /// The batch name hashed while the input is read is the hash of the
    /// whole file, so that it does not depend on whether a file had to be
    /// named before the input was read to its end.
    #[tokio::test]
    async fn files_are_named_by_the_hash_of_the_whole_input() {
        let (dir, lake) = temp_lake().await;
        let post = |id: &str| {
            format!(
                r#"{{"id": "{id}", "platform": "x", "posting_time": "2024-03-01T10:00:00Z", "engagement_metrics": {{"likes": 3}}}}"#
            )
        };
        // Blank lines past a read buffer, for both kinds of input; a bad
        // line, so that a reject log is named too.
        let blank = 3 << 20;
        let padding = "\n".repeat(blank);
        let inputs = [
            (
                "posts.ndjson",
                format!("{padding}{}\nnot json\n{}", post("a"), post("b")),
            ),
            (
                "posts.json",
                format!("{padding}[{}, {}]", post("c"), post("d")),
            ),
        ];
        for (name, text) in inputs {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let import = Import::new().with_progress(false);
            let report = import.run(&lake, &path).await.unwrap();
            let stem = stem_of(&path, &import.stem_options()).unwrap();
            assert!(report.files > 0);
            let mut named = 0;
            for entry in walk(&dir.path().join("lake")) {
                let file = entry.file_name().unwrap().to_string_lossy().into_owned();
                if file.ends_with(".parquet") && file.contains(&stem) {
                    named += 1;
                }
            }
            assert_eq!(named, report.files, "{name}: files named {stem}");
        }
        // The bad line's number counts the blank lines before it.
        let rejects = walk(&dir.path().join("lake/raw/rejects"));
        assert_eq!(rejects.len(), 1);
        let file = std::fs::File::open(&rejects[0]).unwrap();
        let batch = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let record = batch.column_by_name("record").unwrap();
        let record = record
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        assert_eq!(record.values(), &[blank as i64 + 2]);
    }

    /// Every file under `dir`.
    pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }
}
