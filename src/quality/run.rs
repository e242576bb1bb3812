//! A validation run: every check against one session, results and failing
//! rows written to the lake.

use std::collections::BTreeMap;
use std::time::Instant;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::contract::table;
use crate::ingest::{Cell, Landing};
use crate::lake::Lake;
use crate::query::{Session, Settings};

use super::check::{checks, Check, Severity, CHECK_COLUMNS};
use super::QualityError;

/// Views most checks read, computed once per run instead of once per check
/// (only the columns the checks read).
pub const SHARED_VIEWS: [&str; 1] = ["posts_checked"];

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckStatus {
    /// No failing row.
    Pass,
    /// At least one failing row.
    Fail,
    /// The query could not run; the message says why.
    Error(String),
}

impl CheckStatus {
    /// The name stored in `quality.check_results.status`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Error(_) => "error",
        }
    }
}

/// One failing row.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedRow {
    /// Where it is: a table or a view.
    pub table_name: String,
    /// Its key there, as key=value pairs.
    pub row_key: String,
    /// The measured value, when there is one.
    pub observed: Option<f64>,
    /// What is wrong.
    pub detail: String,
    /// Where the raw row came from, when known.
    pub source: Option<String>,
}

/// What one check found.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// The check's name.
    pub name: String,
    /// Its title (the header's first line).
    pub title: String,
    /// Its severity.
    pub severity: Severity,
    /// Its thresholds as run.
    pub threshold: String,
    /// How it ended.
    pub status: CheckStatus,
    /// Every failing row counted.
    pub failed_rows: u64,
    /// The failing rows kept (at most the run's cap).
    pub rows: Vec<FailedRow>,
    /// Seconds it took.
    pub seconds: f64,
}

impl CheckOutcome {
    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        self.status == CheckStatus::Pass
    }

    /// The first failing row's detail, or the error.
    pub fn detail(&self) -> Option<String> {
        match &self.status {
            CheckStatus::Error(e) => Some(e.clone()),
            _ => self.rows.first().map(|r| r.detail.clone()),
        }
    }
}

/// What a validation run found and wrote.
#[derive(Debug, Clone)]
pub struct ValidationReport {
    /// The run's id (its start time; sorts in time order).
    pub run_id: String,
    /// The reference day of the run.
    pub as_of: NaiveDate,
    /// One outcome per check, in file-name order.
    pub checks: Vec<CheckOutcome>,
    /// The quality score, 0..100.
    pub score: f64,
    /// Rows written to quality.check_results and quality.failed_rows.
    pub rows_written: (usize, usize),
    /// Seconds the run took.
    pub seconds: f64,
}

impl ValidationReport {
    /// Whether a check of at least `severity` failed (or could not run).
    pub fn failed_at(&self, severity: Severity) -> bool {
        self.checks
            .iter()
            .any(|c| !c.passed() && c.severity >= severity)
    }
}

/// The quality score of a set of outcomes: 100 x the weight of the passing
/// checks / the weight of all checks (an error check weighs 3, a warning 1).
pub fn quality_score(outcomes: &[CheckOutcome]) -> f64 {
    let total: f64 = outcomes.iter().map(|c| c.severity.weight()).sum();
    if total == 0.0 {
        return 100.0;
    }
    let passed: f64 = outcomes
        .iter()
        .filter(|c| c.passed())
        .map(|c| c.severity.weight())
        .sum();
    100.0 * passed / total
}

/// A validation run; see the module docs of [`crate::quality`].
#[derive(Debug, Clone)]
pub struct Validation {
    as_of: Option<NaiveDate>,
    settings: Option<Settings>,
    params: Vec<(String, String, String)>,
    only: Vec<String>,
    max_stored_rows: usize,
    write: bool,
    progress: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Validation::new()
    }
}

impl Validation {
    /// A run of every check, as of today, keeping up to 10,000 failing rows
    /// per check.
    pub fn new() -> Validation {
        Validation {
            as_of: None,
            settings: None,
            params: Vec::new(),
            only: Vec::new(),
            max_stored_rows: 10_000,
            write: true,
            progress: false,
        }
    }

    /// The reference day freshness is measured against (default: today, UTC).
    pub fn with_as_of(mut self, day: NaiveDate) -> Validation {
        self.as_of = Some(day);
        self
    }

    /// The settings the views read (default: the lake's).
    pub fn with_settings(mut self, settings: Settings) -> Validation {
        self.settings = Some(settings);
        self
    }

    /// Overrides one check's parameter: `("min_samples", "min_overall", "50")`.
    pub fn with_param(mut self, check: &str, key: &str, value: &str) -> Validation {
        self.params
            .push((check.to_string(), key.to_string(), value.to_string()));
        self
    }

    /// Runs only the named checks.
    pub fn with_only(mut self, names: &[String]) -> Validation {
        self.only = names.to_vec();
        self
    }

    /// Failing rows stored per check (all are counted).
    pub fn with_max_stored_rows(mut self, rows: usize) -> Validation {
        self.max_stored_rows = rows;
        self
    }

    /// Whether to write quality.check_results and quality.failed_rows (default: yes).
    pub fn with_write(mut self, write: bool) -> Validation {
        self.write = write;
        self
    }

    /// Shows a progress bar.
    pub fn with_progress(mut self, show: bool) -> Validation {
        self.progress = show;
        self
    }

    /// The checks this run runs, with their parameters set.
    pub fn checks(&self) -> Result<Vec<Check>, QualityError> {
        let mut all = checks()?;
        for name in &self.only {
            if !all.iter().any(|c| &c.name == name) {
                return Err(QualityError::UnknownCheck {
                    name: name.clone(),
                    known: all
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        if !self.only.is_empty() {
            all.retain(|c| self.only.contains(&c.name));
        }
        for (name, key, value) in &self.params {
            let check = all.iter_mut().find(|c| &c.name == name).ok_or_else(|| {
                QualityError::UnknownCheck {
                    name: name.clone(),
                    known: checks()
                        .map(|c| c.into_iter().map(|c| c.name).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default(),
                }
            })?;
            check.set_param(key, value)?;
        }
        Ok(all)
    }

    /// The SQL of `checks` as this run runs it; a check whose SQL cannot be
    /// resolved is left out (it reports that error when it runs).
    fn resolved_sql(
        &self,
        checks: &[Check],
        as_of: NaiveDate,
    ) -> Result<Vec<String>, QualityError> {
        let day = as_of.format("%Y-%m-%d").to_string();
        Ok(checks
            .iter()
            .filter_map(|c| c.resolved_sql(&day).ok())
            .collect())
    }

    /// The columns of each of [`SHARED_VIEWS`] this run keeps in memory
    /// (None: no check reads the view, so it is not computed once).
    pub async fn shared_columns(
        &self,
        session: &Session,
    ) -> Result<Vec<(&'static str, Option<Vec<String>>)>, QualityError> {
        let sql = self.resolved_sql(&self.checks()?, self.as_of())?;
        let mut shared = Vec::with_capacity(SHARED_VIEWS.len());
        for view in SHARED_VIEWS {
            shared.push((view, session.columns_read(view, &sql).await?));
        }
        Ok(shared)
    }

    /// The reference day of the run.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| Utc::now().date_naive())
    }

    /// Runs every check against `lake` and, unless told not to, appends the
    /// results to the lake's quality tables. A check whose query fails is
    /// reported with status `error` and the others still run.
    pub async fn run(&self, lake: &Lake) -> Result<ValidationReport, QualityError> {
        let started = Instant::now();
        let run_at = Utc::now();
        let run_id = run_at.format("%Y%m%dT%H%M%S%.6fZ").to_string();
        let as_of = self.as_of();
        let checks = self.checks()?;
        let settings = match &self.settings {
            Some(s) => s.clone(),
            None => Session::lake_settings(lake, &[]).await?,
        };
        let session = Session::open_with(lake, &settings).await?;
        let sql = self.resolved_sql(&checks, as_of)?;
        for view in SHARED_VIEWS {
            // Only the columns the checks read: the view's others (the
            // snapshot counts, the engagement rates...) would cost a window
            // and gigabytes over ten million posts for no check.
            let Some(columns) = session.columns_read(view, &sql).await? else {
                continue;
            };
            let rows = session.materialize(view, Some(&columns)).await?;
            tracing::info!(
                view,
                rows,
                columns = columns.len(),
                "materialized for the checks"
            );
        }
        let bar = self.progress_bar(checks.len() as u64);
        let mut outcomes = Vec::with_capacity(checks.len());
        for check in &checks {
            bar.set_message(check.name.clone());
            let outcome = self.run_check(&session, check, as_of).await;
            tracing::info!(
                check = %outcome.name, status = outcome.status.as_str(),
                failed_rows = outcome.failed_rows, seconds = outcome.seconds, "check ran"
            );
            outcomes.push(outcome);
            bar.inc(1);
        }
        bar.finish_and_clear();
        let score = quality_score(&outcomes);
        let mut report = ValidationReport {
            run_id,
            as_of,
            checks: outcomes,
            score,
            rows_written: (0, 0),
            seconds: 0.0,
        };
        if self.write {
            report.rows_written = write_results(lake, &report, run_at.timestamp_micros()).await?;
        }
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    async fn run_check(&self, session: &Session, check: &Check, as_of: NaiveDate) -> CheckOutcome {
        let started = Instant::now();
        let mut outcome = CheckOutcome {
            name: check.name.clone(),
            title: check.title.clone(),
            severity: check.severity,
            threshold: check.threshold(),
            status: CheckStatus::Pass,
            failed_rows: 0,
            rows: Vec::new(),
            seconds: 0.0,
        };
        let result = self
            .collect_failures(session, check, as_of, &mut outcome)
            .await;
        outcome.status = match result {
            Err(message) => CheckStatus::Error(message),
            Ok(()) if outcome.failed_rows > 0 => CheckStatus::Fail,
            Ok(()) => CheckStatus::Pass,
        };
        outcome.seconds = started.elapsed().as_secs_f64();
        outcome
    }

    async fn collect_failures(
        &self,
        session: &Session,
        check: &Check,
        as_of: NaiveDate,
        outcome: &mut CheckOutcome,
    ) -> Result<(), String> {
        let sql = check
            .resolved_sql(&as_of.format("%Y-%m-%d").to_string())
            .map_err(|e| e.to_string())?;
        let frame = session.query(&sql).await.map_err(|e| e.to_string())?;
        let mut stream = frame
            .execute_stream()
            .await
            .map_err(|e| format!("running the query: {e}"))?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| format!("running the query: {e}"))?;
            outcome.failed_rows += batch.num_rows() as u64;
            let room = self.max_stored_rows.saturating_sub(outcome.rows.len());
            if room > 0 {
                outcome
                    .rows
                    .extend(failed_rows(&batch, room).map_err(|e| e.to_string())?);
            }
        }
        Ok(())
    }

    fn progress_bar(&self, checks: u64) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(checks);
        bar.set_style(
            ProgressStyle::with_template(
                "validating [{bar:30}] {pos}/{len} checks, {msg} {elapsed}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar
    }
}

/// The first `limit` rows of a check's result batch.
fn failed_rows(batch: &RecordBatch, limit: usize) -> Result<Vec<FailedRow>, String> {
    let mut columns = Vec::with_capacity(CHECK_COLUMNS.len());
    for name in CHECK_COLUMNS {
        let column = batch.column_by_name(name).ok_or_else(|| {
            format!(
                "the query returns no {name} column; a check returns {}",
                CHECK_COLUMNS.join(", ")
            )
        })?;
        let wanted = if name == "observed" {
            DataType::Float64
        } else {
            DataType::Utf8
        };
        let column = arrow::compute::cast(column, &wanted)
            .map_err(|e| format!("column {name} cannot be read as {wanted}: {e}"))?;
        columns.push(column);
    }
    let text = |i: usize, row: usize| {
        let array = columns[i].as_string::<i32>();
        (!array.is_null(row)).then(|| array.value(row).to_string())
    };
    let observed = columns[2].as_primitive::<arrow::datatypes::Float64Type>();
    let rows = batch.num_rows().min(limit);
    Ok((0..rows)
        .map(|row| FailedRow {
            table_name: text(0, row).unwrap_or_default(),
            row_key: text(1, row).unwrap_or_default(),
            observed: (!observed.is_null(row))
                .then(|| observed.value(row))
                .filter(|v| v.is_finite()),
            detail: text(3, row).unwrap_or_default(),
            source: text(4, row),
        })
        .collect())
}

async fn write_results(
    lake: &Lake,
    report: &ValidationReport,
    run_at_micros: i64,
) -> Result<(usize, usize), QualityError> {
    let day = crate::ingest::day_of(run_at_micros);
    let stem = format!("run-{}", report.run_id.replace('.', "-"));
    let results_contract = table("quality.check_results")?;
    let mut results = Landing::new(results_contract, stem.clone());
    let failed_contract = table("quality.failed_rows")?;
    let mut failed = Landing::new(failed_contract, stem);
    let text = |s: &str| Cell::Str(s.to_string().into());
    let optional = |s: Option<&str>| s.map_or(Cell::Null, |s| Cell::Str(s.to_string().into()));
    for outcome in &report.checks {
        let values: BTreeMap<&str, Cell> = BTreeMap::from([
            ("dt", text(&day)),
            ("run_id", text(&report.run_id)),
            ("run_at", Cell::Time(run_at_micros)),
            ("as_of", text(&report.as_of.format("%Y-%m-%d").to_string())),
            ("check_name", text(&outcome.name)),
            ("severity", text(outcome.severity.as_str())),
            ("status", text(outcome.status.as_str())),
            ("failed_rows", Cell::Int(outcome.failed_rows as i64)),
            ("stored_rows", Cell::Int(outcome.rows.len() as i64)),
            ("threshold", text(&outcome.threshold)),
            ("detail", optional(outcome.detail().as_deref())),
            ("seconds", Cell::Float(outcome.seconds)),
            ("quality_score", Cell::Float(report.score)),
        ]);
        results.push(&row_for(results_contract, &values));
        for row in &outcome.rows {
            let values: BTreeMap<&str, Cell> = BTreeMap::from([
                ("dt", text(&day)),
                ("run_id", text(&report.run_id)),
                ("check_name", text(&outcome.name)),
                ("severity", text(outcome.severity.as_str())),
                ("table_name", text(&row.table_name)),
                ("row_key", text(&row.row_key)),
                ("observed", row.observed.map_or(Cell::Null, Cell::Float)),
                ("detail", text(&row.detail)),
                ("source", optional(row.source.as_deref())),
            ]);
            failed.push(&row_for(failed_contract, &values));
        }
    }
    // Failing rows first: a reader who sees a run's results finds its rows.
    let failed = failed.finish(lake).await?;
    let results = results.finish(lake).await?;
    Ok((results.rows, failed.rows))
}

/// The cells of a row in the contract's column order.
fn row_for<'a>(
    contract: &crate::contract::Contract,
    values: &BTreeMap<&str, Cell<'a>>,
) -> Vec<Cell<'a>> {
    contract
        .columns
        .iter()
        .map(|c| values.get(c.name.as_str()).cloned().unwrap_or(Cell::Null))
        .collect()
}
