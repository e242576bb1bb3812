//! Data quality: the checks of `sql/checks/`, run over the lake's views, and
//! the quality report.
//!
//! Reads: the lake's tables through the views of `sql/views/` (above all
//! `posts_checked`, where every post gets the first validation rule it
//! breaks), and its own history in `quality/check_results`.
//! Writes: `quality/check_results` (one row per check per run, with the
//! run's 0..100 quality score) and `quality/failed_rows` (the failing rows
//! with their table, key and source, capped per check), partitioned by the
//! run's day; runs append, so the history stays. [`report`] renders an HTML
//! report from the SQL of `sql/reports/` with the page and chart pieces of
//! [`crate::report`].
//!
//! To add a check, drop a file into `sql/checks/`: a header with a title,
//! a description, `-- severity: error|warning` and `-- param NAME: VALUE`
//! lines, and one query returning the failing rows as `table_name, row_key,
//! observed, detail, source` (see [`check`]). Nothing else changes.

pub mod check;
pub mod report;
mod run;

pub use check::{checks, Check, CheckDefinitionError, Severity};
pub use report::{QualityReport, ReportSummary};
pub use run::{quality_score, CheckOutcome, CheckStatus, FailedRow, Validation, ValidationReport};

/// A validation run or a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    /// A check file is wrong, or a parameter override names nothing.
    #[error(transparent)]
    Definition(#[from] CheckDefinitionError),
    /// No check has this name.
    #[error("no check named {name:?}; the checks are {known}")]
    UnknownCheck {
        /// The name asked for.
        name: String,
        /// The checks there are.
        known: String,
    },
    /// The session could not be opened or a query failed.
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
    /// Writing the results failed.
    #[error(transparent)]
    Lake(#[from] crate::lake::LakeError),
    /// A contract is missing.
    #[error(transparent)]
    Contract(#[from] crate::contract::ContractError),
    /// A report query failed.
    #[error(transparent)]
    Report(#[from] crate::report::ReportQueryError),
    /// Writing the report file failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Writes the SQL a validation runs, for another engine (DuckDB, Spark):
/// `views/` (the meta tables, the views in order, and the views a run
/// computes once, with the columns it keeps of them, see
/// [`Session::materialize`](crate::query::Session::materialize)) and
/// `checks/` (each check with its thresholds and reference day filled in).
/// Plans the checks over `lake`'s tables, reads no data. Returns the number
/// of files written.
pub async fn dump_sql(
    validation: &Validation,
    settings: &crate::query::Settings,
    lake: &crate::lake::Lake,
    dir: &std::path::Path,
) -> Result<usize, QualityError> {
    let session = crate::query::Session::open_with(lake, settings).await?;
    let shared = validation.shared_columns(&session).await?;
    let write = |path: std::path::PathBuf, text: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| QualityError::Write {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&path, text).map_err(|source| QualityError::Write {
            path: path.display().to_string(),
            source,
        })
    };
    let mut written = 0;
    for (file, sql) in crate::query::portable_sql(settings) {
        write(dir.join("views").join(file), &sql)?;
        written += 1;
    }
    for (i, (view, columns)) in shared.iter().enumerate() {
        let Some(columns) = columns else { continue };
        write(
            dir.join("views").join(format!("99_materialize_{i}.sql")),
            &crate::query::portable_materialize_sql(view, columns),
        )?;
        written += 1;
    }
    let as_of = validation.as_of().format("%Y-%m-%d").to_string();
    for check in validation.checks()? {
        write(
            dir.join("checks").join(format!("{}.sql", check.name)),
            &check.resolved_sql(&as_of)?,
        )?;
        written += 1;
    }
    Ok(written)
}
