//! Reading a [`Dataset`] from Arrow record batches: a Parquet or CSV file
//! exported by another tool, or (once they land) the rows of the training
//! view joined with `features.design`.
//!
//! The columns it reads by name: `post_id` (text), `platform` (text),
//! `published_at` (a timestamp, or RFC 3339 text), `performance_score`
//! (number, 0..100) and optionally `sample_weight` (number). Every other
//! numeric or boolean column is a feature; a null is a missing value. Text
//! columns other than these are ignored and listed in the log.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};

use super::dataset::{Dataset, Matrix, RowInfo};
use super::TrainError;

/// The columns that identify a row rather than describe it.
const KEY_COLUMNS: &[&str] = &[
    "post_id",
    "platform",
    "published_at",
    "performance_score",
    "sample_weight",
];

/// Reads a Parquet (`.parquet`) or CSV (`.csv`) training file.
pub fn read_file(path: &Path) -> Result<Dataset, TrainError> {
    let io = |source| TrainError::Io {
        path: path.display().to_string(),
        source,
    };
    let bad = |m: String| TrainError::BadDataset(format!("{}: {m}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let batches: Vec<RecordBatch> = match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => {
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.build())
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
        Some("csv") => {
            let format = arrow::csv::reader::Format::default().with_header(true);
            let (schema, _) = format
                .infer_schema(std::fs::File::open(path).map_err(io)?, Some(10_000))
                .map_err(|e| bad(e.to_string()))?;
            arrow::csv::ReaderBuilder::new(Arc::new(schema))
                .with_format(format)
                .build(file)
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
        _ => return Err(bad("give a .parquet or .csv file".into())),
    };
    from_batches(&batches).map_err(|e| match e {
        TrainError::BadDataset(m) => bad(m),
        other => other,
    })
}

/// A dataset from record batches with the columns named in the module doc.
pub fn from_batches(batches: &[RecordBatch]) -> Result<Dataset, TrainError> {
    let bad = |m: String| TrainError::BadDataset(m);
    let Some(first) = batches.first() else {
        return Err(bad("no rows".into()));
    };
    let schema = first.schema();
    for key in &KEY_COLUMNS[..4] {
        if schema.index_of(key).is_err() {
            return Err(bad(format!("no {key} column")));
        }
    }
    let weighted = schema.index_of("sample_weight").is_ok();
    let features: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| !KEY_COLUMNS.contains(&f.name().as_str()))
        .filter(|f| f.data_type().is_numeric() || f.data_type() == &DataType::Boolean)
        .map(|f| f.name().clone())
        .collect();
    let ignored: Vec<&String> = schema
        .fields()
        .iter()
        .map(|f| f.name())
        .filter(|n| !KEY_COLUMNS.contains(&n.as_str()) && !features.contains(n))
        .collect();
    if !ignored.is_empty() {
        tracing::info!(?ignored, "columns that are not numbers are not features");
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut values = Vec::with_capacity(rows * features.len());
    let mut info = Vec::with_capacity(rows);
    for batch in batches {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| bad(format!("a batch has no {name} column")))
        };
        let texts = |name: &str| -> Result<Vec<Option<String>>, TrainError> {
            let c =
                cast(&column(name)?, &DataType::Utf8).map_err(|e| bad(format!("{name}: {e}")))?;
            Ok(c.as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect())
        };
        let numbers = |c: &ArrayRef, name: &str| -> Result<Vec<Option<f64>>, TrainError> {
            let c = cast(c, &DataType::Float64).map_err(|e| bad(format!("{name}: {e}")))?;
            Ok(c.as_primitive::<arrow::datatypes::Float64Type>()
                .iter()
                .collect())
        };
        let ids = texts("post_id")?;
        let platforms = texts("platform")?;
        let times = timestamps(&column("published_at")?)?;
        let targets = numbers(&column("performance_score")?, "performance_score")?;
        let weights = if weighted {
            numbers(&column("sample_weight")?, "sample_weight")?
        } else {
            vec![Some(1.0); batch.num_rows()]
        };
        let feature_columns: Vec<Vec<Option<f64>>> = features
            .iter()
            .map(|f| numbers(&column(f)?, f))
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let id = ids[i]
                .clone()
                .ok_or_else(|| bad(format!("row {} has no post_id", info.len() + 1)))?;
            let missing = |what: &str| bad(format!("post {id} has no {what}"));
            info.push(RowInfo {
                platform: platforms[i].clone().ok_or_else(|| missing("platform"))?,
                published_at: times[i].ok_or_else(|| missing("published_at"))?,
                target: targets[i].ok_or_else(|| missing("performance_score"))?,
                weight: weights[i].ok_or_else(|| missing("sample_weight"))?,
                post_id: id,
            });
            values.extend(feature_columns.iter().map(|c| c[i].unwrap_or(f64::NAN)));
        }
    }
    let matrix = Matrix::new(rows, features.len(), values)?;
    Dataset::new(features, matrix, info, weighted)
}

/// Publication times from a timestamp column or RFC 3339 text.
fn timestamps(column: &ArrayRef) -> Result<Vec<Option<DateTime<Utc>>>, TrainError> {
    let micros = match column.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(column, &DataType::Utf8)
                .map_err(|e| TrainError::BadDataset(format!("published_at: {e}")))?;
            return text
                .as_string::<i32>()
                .iter()
                .map(|v| {
                    v.map(|s| {
                        DateTime::parse_from_rfc3339(s)
                            .map(|t| t.with_timezone(&Utc))
                            .map_err(|e| TrainError::BadDataset(format!("published_at {s:?}: {e}")))
                    })
                    .transpose()
                })
                .collect();
        }
        _ => cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None)).map_err(|e| {
            TrainError::BadDataset(format!(
                "published_at must be a timestamp or RFC 3339 text: {e}"
            ))
        })?,
    };
    let micros = micros.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
    Ok((0..micros.len())
        .map(|i| {
            (!micros.is_null(i))
                .then(|| DateTime::from_timestamp_micros(micros.value(i)))
                .flatten()
        })
        .collect())
}
