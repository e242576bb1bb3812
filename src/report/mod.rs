//! The HTML reports people look at, and the pieces they share.
//!
//! Reads: the lake's tables and views through the SQL of `sql/reports/`
//! (the quality report's queries, and the model report's `model_*.sql`),
//! and the champion registry `models/champions.json`. Writes nothing itself:
//! a report is one self-contained HTML string (inline SVG charts and CSS,
//! no script, no external resource) that the caller saves.
//!
//! [`html`] holds the page, sections, tables and the report-query runner;
//! [`charts`] the SVG charts (plotters). The quality report is built in
//! [`crate::quality::report`]; the model report in [`model`].
//!
//! To add a model-report section: a `model_<name>.sql` file in
//! `sql/reports/` (it sees `meta.report_run`, the run the report is about,
//! and `models.champions`, the registry), and a few lines in
//! [`ModelReport::render`] that chart or tabulate it.

pub mod charts;
pub mod html;
pub mod model;

use std::collections::BTreeMap;

pub use model::{ModelReport, ModelReportSummary};

use crate::contract::SQL_REPORTS;
use crate::lake::Lake;
use crate::query::{QueryError, Session, Settings};

/// The file-name prefix of the model report's queries in `sql/reports/`.
pub const MODEL_PREFIX: &str = "model_";

/// A query of `sql/reports/` failed.
#[derive(Debug, thiserror::Error)]
#[error("sql/reports/{report}.sql: {message}")]
pub struct ReportQueryError {
    /// The report query (its file stem).
    pub report: String,
    /// What failed.
    pub message: String,
}

/// The model report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The session could not be opened or a table registered.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A report query failed.
    #[error(transparent)]
    Report(#[from] ReportQueryError),
    /// The champion registry could not be read.
    #[error(transparent)]
    Registry(#[from] crate::train::publish::PublishError),
    /// The run asked for has no metrics in the lake.
    #[error("no training run {run:?} in metrics.model_metrics; the runs are: {known}")]
    UnknownRun {
        /// The run asked for.
        run: String,
        /// The runs there are, newest first.
        known: String,
    },
}

/// A session over `lake` with `settings`, or the lake's own settings.
pub async fn open_session(lake: &Lake, settings: Option<&Settings>) -> Result<Session, QueryError> {
    let settings = match settings {
        Some(s) => s.clone(),
        None => Session::lake_settings(lake, &[]).await?,
    };
    Session::open_with(lake, &settings).await
}

/// Runs the queries of `sql/reports/` whose file stem `wanted` accepts, by
/// stem.
pub async fn queries(
    session: &Session,
    wanted: impl Fn(&str) -> bool,
) -> Result<BTreeMap<&'static str, html::Rows>, ReportQueryError> {
    let mut out = BTreeMap::new();
    for (name, sql) in SQL_REPORTS.iter().filter(|(name, _)| wanted(name)) {
        out.insert(*name, html::run_query(session, name, sql).await?);
    }
    Ok(out)
}
