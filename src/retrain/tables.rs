//! The rows the retrain job writes, and their batches in the contracts'
//! schemas (`schemas/tables/metrics_{retrain_runs,drift,accuracy,importance_shift}.toml`).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

use super::RetrainError;
use crate::contract;
use crate::lake::Lake;

/// One row of `metrics.retrain_runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrainRunRow {
    /// `all` or the platform.
    pub scope: String,
    /// The retrain run.
    pub run_id: String,
    /// promote, keep or blocked.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// The challenger's kind.
    pub challenger_kind: Option<String>,
    /// The champion's run.
    pub champion_run: Option<String>,
    /// The champion's kind.
    pub champion_kind: Option<String>,
    /// Rows compared.
    pub n: usize,
    /// Challenger R², RMSE, MAE.
    pub challenger: [Option<f64>; 3],
    /// Champion R², RMSE, MAE.
    pub champion: [Option<f64>; 3],
    /// Relative MSE reduction.
    pub mse_improvement: Option<f64>,
    /// The test's z.
    pub statistic: Option<f64>,
    /// Its p-value.
    pub p_value: Option<f64>,
    /// The rule's alpha.
    pub alpha: f64,
    /// The rule's margin.
    pub margin: f64,
    /// Earliest training publication time.
    pub train_from: Option<DateTime<Utc>>,
    /// The week's end.
    pub data_until: DateTime<Utc>,
    /// When decided.
    pub decided_at: DateTime<Utc>,
}

/// One row of `metrics.drift`.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftRow {
    /// `all` or the platform.
    pub scope: String,
    /// The feature, `score` or `abs_error`.
    pub quantity: String,
    /// feature, score or error.
    pub kind: &'static str,
    /// The index.
    pub psi: Option<f64>,
    /// Reference rows.
    pub reference_rows: usize,
    /// This week's rows.
    pub current_rows: usize,
    /// The champion whose data is the reference.
    pub champion_run: String,
    /// Above the threshold.
    pub flagged: bool,
}

/// One row of `metrics.accuracy`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyRow {
    /// `all` or the platform.
    pub scope: String,
    /// The champion's run.
    pub champion_run: String,
    /// Its kind.
    pub champion_kind: String,
    /// Posts scored.
    pub n: usize,
    /// R², RMSE, MAE on the week.
    pub metrics: [Option<f64>; 3],
    /// R² on its holdout when trained.
    pub reference_r2: Option<f64>,
    /// reference_r2 - r2.
    pub r2_drop: Option<f64>,
    /// Above the threshold.
    pub flagged: bool,
}

/// One row of `metrics.importance_shift`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportanceShiftRow {
    /// `all` or the platform.
    pub scope: String,
    /// The feature.
    pub feature: String,
    /// Importance and rank in the champion.
    pub champion: Option<(f64, i32)>,
    /// Importance and rank in the challenger.
    pub challenger: Option<(f64, i32)>,
}

fn text<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn maybe_text<S: AsRef<str>>(values: impl IntoIterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

/// NaN (an undefined metric) is stored as null.
fn optional(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(
        values.into_iter().map(|v| v.filter(|v| !v.is_nan())),
    ))
}

fn count(values: impl IntoIterator<Item = usize>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(
        values.into_iter().map(|v| v as i64),
    ))
}

fn flags(values: impl IntoIterator<Item = bool>) -> ArrayRef {
    Arc::new(BooleanArray::from_iter(values.into_iter().map(Some)))
}

fn times(values: impl IntoIterator<Item = Option<DateTime<Utc>>>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from_iter(
            values.into_iter().map(|t| t.map(|t| t.timestamp_micros())),
        )
        .with_timezone("UTC"),
    )
}

fn ranks(values: impl IntoIterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(Int32Array::from_iter(values))
}

/// Writes `columns` as the week's file of `table` (replacing an earlier one).
async fn write(
    lake: &Lake,
    table: &'static str,
    week: &str,
    columns: Vec<ArrayRef>,
) -> Result<(), RetrainError> {
    let failed = |message: String| RetrainError::Table { table, message };
    let contract = contract::table(table).map_err(|e| failed(e.to_string()))?;
    let batch =
        RecordBatch::try_new(contract.file_schema(), columns).map_err(|e| failed(e.to_string()))?;
    lake.write_table_file(contract, &[week.to_string()], "part-0", &batch)
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok(())
}

/// Writes the week's `metrics.retrain_runs`.
pub async fn write_runs(
    lake: &Lake,
    week: &str,
    rows: &[RetrainRunRow],
) -> Result<(), RetrainError> {
    let metric = |side: fn(&RetrainRunRow) -> [Option<f64>; 3], i: usize| {
        optional(rows.iter().map(move |r| side(r)[i]))
    };
    let challenger = |r: &RetrainRunRow| r.challenger;
    let champion = |r: &RetrainRunRow| r.champion;
    let columns = vec![
        text(rows.iter().map(|r| &r.scope)),
        text(rows.iter().map(|r| &r.run_id)),
        text(rows.iter().map(|r| &r.decision)),
        text(rows.iter().map(|r| &r.reason)),
        maybe_text(rows.iter().map(|r| r.challenger_kind.as_ref())),
        maybe_text(rows.iter().map(|r| r.champion_run.as_ref())),
        maybe_text(rows.iter().map(|r| r.champion_kind.as_ref())),
        count(rows.iter().map(|r| r.n)),
        metric(challenger, 0),
        metric(challenger, 1),
        metric(challenger, 2),
        metric(champion, 0),
        metric(champion, 1),
        metric(champion, 2),
        optional(rows.iter().map(|r| r.mse_improvement)),
        text(rows.iter().map(|_| "wilcoxon_signed_rank")),
        optional(rows.iter().map(|r| r.statistic)),
        optional(rows.iter().map(|r| r.p_value)),
        optional(rows.iter().map(|r| Some(r.alpha))),
        optional(rows.iter().map(|r| Some(r.margin))),
        times(rows.iter().map(|r| r.train_from)),
        times(rows.iter().map(|r| Some(r.data_until))),
        times(rows.iter().map(|r| Some(r.decided_at))),
    ];
    write(lake, "metrics.retrain_runs", week, columns).await
}

/// Writes the week's `metrics.drift`.
pub async fn write_drift(lake: &Lake, week: &str, rows: &[DriftRow]) -> Result<(), RetrainError> {
    let columns = vec![
        text(rows.iter().map(|r| &r.scope)),
        text(rows.iter().map(|r| &r.quantity)),
        text(rows.iter().map(|r| r.kind)),
        optional(rows.iter().map(|r| r.psi)),
        count(rows.iter().map(|r| r.reference_rows)),
        count(rows.iter().map(|r| r.current_rows)),
        text(rows.iter().map(|r| &r.champion_run)),
        flags(rows.iter().map(|r| r.flagged)),
    ];
    write(lake, "metrics.drift", week, columns).await
}

/// Writes the week's `metrics.accuracy`.
pub async fn write_accuracy(
    lake: &Lake,
    week: &str,
    rows: &[AccuracyRow],
) -> Result<(), RetrainError> {
    let columns = vec![
        text(rows.iter().map(|r| &r.scope)),
        text(rows.iter().map(|r| &r.champion_run)),
        text(rows.iter().map(|r| &r.champion_kind)),
        count(rows.iter().map(|r| r.n)),
        optional(rows.iter().map(|r| r.metrics[0])),
        optional(rows.iter().map(|r| r.metrics[1])),
        optional(rows.iter().map(|r| r.metrics[2])),
        optional(rows.iter().map(|r| r.reference_r2)),
        optional(rows.iter().map(|r| r.r2_drop)),
        flags(rows.iter().map(|r| r.flagged)),
    ];
    write(lake, "metrics.accuracy", week, columns).await
}

/// Writes the week's `metrics.importance_shift`.
pub async fn write_importance(
    lake: &Lake,
    week: &str,
    rows: &[ImportanceShiftRow],
) -> Result<(), RetrainError> {
    let columns = vec![
        text(rows.iter().map(|r| &r.scope)),
        text(rows.iter().map(|r| &r.feature)),
        optional(rows.iter().map(|r| r.champion.map(|c| c.0))),
        ranks(rows.iter().map(|r| r.champion.map(|c| c.1))),
        optional(rows.iter().map(|r| r.challenger.map(|c| c.0))),
        ranks(rows.iter().map(|r| r.challenger.map(|c| c.1))),
        ranks(rows.iter().map(|r| match (r.champion, r.challenger) {
            (Some(a), Some(b)) => Some(a.1 - b.1),
            _ => None,
        })),
    ];
    write(lake, "metrics.importance_shift", week, columns).await
}
