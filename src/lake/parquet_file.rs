//! How the lake encodes a Parquet file: zstd, page statistics, the contract's
//! name in the footer.

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
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
/// a dictionary page. So a file that fits in one data page gets no
/// dictionaries (zstd finds the same repeats in plain values), its integer
/// and timestamp columns are delta-encoded (counts and times of one day
/// take a few bits each, where plain values hand zstd eight bytes, and
/// zstd was a sixth of an import's time), and a column that is null
/// throughout is stored uncompressed (its few bytes of levels gain nothing
/// from a codec).
pub(super) fn encode(contract: &Contract, batch: &RecordBatch) -> Result<Vec<u8>, ParquetError> {
    let small = batch.num_rows() <= DEFAULT_DATA_PAGE_ROW_COUNT_LIMIT;
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    if small {
        builder = builder.set_dictionary_enabled(false);
        for field in batch.schema().fields() {
            if matches!(
                field.data_type(),
                DataType::Int32 | DataType::Int64 | DataType::Timestamp(_, _)
            ) {
                builder = builder.set_column_encoding(
                    ColumnPath::from(field.name().as_str()),
                    Encoding::DELTA_BINARY_PACKED,
                );
            }
        }
    } else {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        new_null_array, ArrayRef, Int64Array, StringArray, TimestampMicrosecondArray,
    };
    use bytes::Bytes;
    use parquet::basic::Encoding;
    use parquet::file::reader::FileReader;
    use parquet::file::serialized_reader::{ReadOptionsBuilder, SerializedFileReader};

    use super::*;

    /// A raw.posts file of `rows` rows: ids unique, `source` one value,
    /// `caption` null throughout.
    fn posts(rows: usize) -> (Vec<u8>, &'static Contract) {
        let contract = crate::contract::table("raw.posts").unwrap();
        let schema = contract.file_schema();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| -> ArrayRef {
                match f.name().as_str() {
                    "post_id" => Arc::new(StringArray::from_iter_values(
                        (0..rows).map(|i| format!("p{i}")),
                    )),
                    "source" => Arc::new(StringArray::from_iter_values(
                        (0..rows).map(|_| "export.ndjson"),
                    )),
                    "source_record" => Arc::new(Int64Array::from_iter_values(0..rows as i64)),
                    "likes" => Arc::new(Int64Array::from_iter_values(
                        (0..rows as i64).map(|i| i % 7),
                    )),
                    "published_at" | "collected_at" => Arc::new(
                        TimestampMicrosecondArray::from_iter_values(
                            (0..rows as i64).map(|i| i * 1_000_000),
                        )
                        .with_timezone_opt(match f.data_type() {
                            arrow::datatypes::DataType::Timestamp(_, tz) => tz.clone(),
                            _ => None,
                        }),
                    ),
                    _ => new_null_array(f.data_type(), rows),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(schema, columns).unwrap();
        (encode(contract, &batch).unwrap(), contract)
    }

    #[test]
    fn small_files_skip_dictionaries_and_null_columns_skip_the_codec() {
        for (rows, small) in [(400, true), (30_000, false)] {
            let (bytes, contract) = posts(rows);
            let options = ReadOptionsBuilder::new().with_page_index().build();
            let reader =
                SerializedFileReader::new_with_options(Bytes::from(bytes), options).unwrap();
            let meta = reader.metadata();
            let kv = meta.file_metadata().key_value_metadata().unwrap();
            assert!(kv
                .iter()
                .any(|k| k.value.as_deref() == Some(contract.name.as_str())));
            assert!(meta.column_index().is_some(), "page statistics");
            let group = meta.row_group(0);
            let column = |name: &str| {
                group
                    .columns()
                    .iter()
                    .find(|c| c.column_path().string() == name)
                    .unwrap()
            };
            assert_eq!(column("caption").compression(), Compression::UNCOMPRESSED);
            assert!(matches!(
                column("likes").compression(),
                Compression::ZSTD(_)
            ));
            let dictionary = |name: &str| {
                column(name)
                    .encodings()
                    .any(|e| e == Encoding::RLE_DICTIONARY)
            };
            assert_eq!(dictionary("likes"), !small, "{rows} rows");
            for int_column in ["likes", "source_record", "published_at"] {
                let delta = column(int_column)
                    .encodings()
                    .any(|e| e == Encoding::DELTA_BINARY_PACKED);
                assert_eq!(delta, small, "{int_column}, {rows} rows");
            }
            assert!(
                !dictionary("post_id"),
                "a unique key never gets a dictionary"
            );
            assert_eq!(meta.file_metadata().num_rows(), rows as i64);
        }
    }
}
