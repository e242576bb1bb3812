//! Buffers rows per partition in Arrow builders and writes them to the lake
//! as Parquet files whose names come from the input, so a re-run replaces
//! files instead of adding rows.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;

use crate::contract::Contract;
use crate::lake::{Lake, LakeError, WrittenFile};

use super::value::Cell;

/// A partition buffer is written out once it holds this many rows.
const ROWS_PER_FILE: usize = 1_000_000;

enum Builder {
    Utf8(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float64(Float64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMicrosecondBuilder, Option<Arc<str>>),
}

impl Builder {
    fn new(data_type: &DataType) -> Builder {
        match data_type {
            DataType::Int32 => Builder::Int32(Int32Builder::new()),
            DataType::Int64 => Builder::Int64(Int64Builder::new()),
            DataType::Float64 => Builder::Float64(Float64Builder::new()),
            DataType::Boolean => Builder::Bool(BooleanBuilder::new()),
            DataType::Timestamp(_, tz) => Builder::Time(
                TimestampMicrosecondBuilder::new().with_timezone_opt(tz.clone()),
                tz.clone(),
            ),
            // Contracts of ingested tables hold only the types above and
            // text; anything else is refused when the value is converted.
            _ => Builder::Utf8(StringBuilder::new()),
        }
    }

    fn append(&mut self, cell: &Cell) {
        match (self, cell) {
            (Builder::Utf8(b), Cell::Str(s)) => b.append_value(s),
            (Builder::Int32(b), Cell::Int(v)) => b.append_value(*v as i32),
            (Builder::Int64(b), Cell::Int(v)) => b.append_value(*v),
            (Builder::Float64(b), Cell::Float(v)) => b.append_value(*v),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Builder::Time(b, _), Cell::Time(v)) => b.append_value(*v),
            (Builder::Utf8(b), _) => b.append_null(),
            (Builder::Int32(b), _) => b.append_null(),
            (Builder::Int64(b), _) => b.append_null(),
            (Builder::Float64(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
            (Builder::Time(b, _), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Utf8(b) => Arc::new(b.finish()),
            Builder::Int32(b) => Arc::new(b.finish()),
            Builder::Int64(b) => Arc::new(b.finish()),
            Builder::Float64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Time(b, tz) => {
                let array = b.finish();
                Arc::new(array.with_timezone_opt(tz.clone()))
            }
        }
    }
}

struct Partition {
    builders: Vec<Builder>,
    rows: usize,
    files: usize,
}

/// What a landing wrote.
#[derive(Debug, Clone, Default)]
pub struct LandingStats {
    /// Rows written.
    pub rows: usize,
    /// Files written, with their paths.
    pub files: Vec<WrittenFile>,
}

/// Rows of one table on their way to the lake.
pub struct Landing {
    contract: &'static Contract,
    stem: String,
    file_columns: Vec<usize>,
    partition_columns: Vec<usize>,
    partitions: BTreeMap<Vec<String>, Partition>,
    stats: LandingStats,
}

impl Landing {
    /// A landing for `contract`; `stem` starts every file name and must be
    /// derived from the input (its content hash), never from the clock.
    pub fn new(contract: &'static Contract, stem: impl Into<String>) -> Landing {
        let file_columns = (0..contract.columns.len())
            .filter(|&i| !contract.columns[i].partition)
            .collect();
        let partition_columns = (0..contract.columns.len())
            .filter(|&i| contract.columns[i].partition)
            .collect();
        Landing {
            contract,
            stem: stem.into(),
            file_columns,
            partition_columns,
            partitions: BTreeMap::new(),
            stats: LandingStats::default(),
        }
    }

    /// Adds one row (all contract columns, partition keys included).
    pub fn push(&mut self, row: &[Cell]) {
        let key: Vec<String> = self
            .partition_columns
            .iter()
            .map(|&i| row[i].to_key())
            .collect();
        let contract = self.contract;
        let file_columns = &self.file_columns;
        let partition = self.partitions.entry(key).or_insert_with(|| Partition {
            builders: file_columns
                .iter()
                .map(|&i| Builder::new(contract.columns[i].data_type()))
                .collect(),
            rows: 0,
            files: 0,
        });
        for (builder, &i) in partition.builders.iter_mut().zip(&self.file_columns) {
            builder.append(&row[i]);
        }
        partition.rows += 1;
    }

    /// Rows buffered and not yet written.
    pub fn buffered_rows(&self) -> usize {
        self.partitions.values().map(|p| p.rows).sum()
    }

    /// Writes the partitions that are full, or all of them with `all`.
    pub async fn flush(&mut self, lake: &Lake, all: bool) -> Result<(), LakeError> {
        let schema = self.contract.file_schema();
        for (key, partition) in self.partitions.iter_mut() {
            if partition.rows == 0 || (!all && partition.rows < ROWS_PER_FILE) {
                continue;
            }
            let columns: Vec<ArrayRef> =
                partition.builders.iter_mut().map(Builder::finish).collect();
            let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| {
                LakeError::Contract(crate::contract::ContractError::Broken {
                    table: self.contract.name.clone(),
                    message: e.to_string(),
                })
            })?;
            let name = format!("{}-{:04}", self.stem, partition.files);
            let written = lake
                .write_table_file(self.contract, key, &name, &batch)
                .await?;
            self.stats.rows += written.rows;
            self.stats.files.push(written);
            partition.files += 1;
            partition.rows = 0;
        }
        Ok(())
    }

    /// Writes everything left and returns what was written.
    pub async fn finish(mut self, lake: &Lake) -> Result<LandingStats, LakeError> {
        self.flush(lake, true).await?;
        Ok(self.stats)
    }
}
