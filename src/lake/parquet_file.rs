//! How the lake encodes a Parquet file: zstd, page statistics, the contract's
//! name in the footer.

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::contract::Contract;

/// Rows per row group: large enough for good compression, small enough that
/// a reader pruning by statistics skips real work.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// Encodes `batch` as a complete Parquet file in memory.
pub(super) fn encode(contract: &Contract, batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "creativeiq.table".to_string(),
            contract.name.clone(),
        )]))
        .build();
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(properties))?;
    writer.write(batch)?;
    writer.into_inner()
}
