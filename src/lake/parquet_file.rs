//! How the lake encodes a Parquet file: zstd, statistics, the contract's
//! name in the footer.

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{
    EnabledStatistics, WriterProperties, DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT,
};
use parquet::schema::types::ColumnPath;

use crate::contract::Contract;

/// Rows per row group: large enough for good compression, small enough that
/// a reader pruning by statistics skips real work.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// zstd level 1, Arrow C++'s and pyarrow's default.
const ZSTD_LEVEL: i32 = 1;

/// Encodes `batch` as a complete Parquet file in memory.
///
/// Most lake files are small (one platform's posts of one day), and a
/// Parquet writer pays per column chunk: a codec with its own zstd contexts,
/// a dictionary page, page statistics. So a file that fits in one data page
/// gets neither dictionaries (zstd finds the same repeats in plain values)
/// nor a page index (its chunk statistics prune as well), and a column that
/// is null throughout is stored uncompressed (its few bytes of levels gain
/// nothing from a codec).
pub(super) fn encode(contract: &Contract, batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let small = batch.num_rows() <= DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT;
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    if small {
        builder = builder
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_dictionary_enabled(false);
    } else {
        builder = builder.set_statistics_enabled(EnabledStatistics::Page);
        // A key unique within an input has as many dictionary entries as
        // rows: the dictionary only costs time and space.
        for key in &contract.unique_in_input {
            builder = builder.set_column_dictionary_enabled(ColumnPath::from(key.as_str()), false);
        }
    }
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if column.null_count() == column.len() {
            builder = builder.set_column_compression(
                ColumnPath::from(field.name().as_str()),
                Compression::UNCOMPRESSED,
            );
        }
    }
    let properties = builder
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "creativeiq.table".to_string(),
            contract.name.clone(),
        )]))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(properties))?;
    writer.write(batch)?;
    writer.into_inner()
}
