//! Printing query results as a table, CSV or JSON lines.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// How `creativeiq sql` prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Json,
}

/// Writes `batches` to `out` in `format`.
pub fn write_batches(
    out: &mut dyn Write,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<(), arrow::error::ArrowError> {
    match format {
        OutputFormat::Table => {
            let table = arrow::util::pretty::pretty_format_batches(batches)?;
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for batch in batches {
                writer.write(&nested_as_json(batch)?)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::LineDelimitedWriter::new(out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
    }
    Ok(())
}

/// CSV has no nested values: a list, struct or map column (a design's
/// palette) prints as its JSON text in one cell.
fn nested_as_json(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| f.data_type().is_nested()) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.capacity());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if !field.data_type().is_nested() {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
            continue;
        }
        let single = RecordBatch::try_new(
            Arc::new(Schema::new(vec![field.as_ref().clone()])),
            vec![column.clone()],
        )?;
        let mut lines = Vec::new();
        let mut writer = arrow::json::LineDelimitedWriter::new(&mut lines);
        writer.write(&single)?;
        writer.finish()?;
        let texts = lines
            .split(|b| *b == b'\n')
            .take(batch.num_rows())
            .map(|line| {
                let mut object: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_slice(line)
                        .map_err(|e| ArrowError::JsonError(e.to_string()))?;
                Ok(object.remove(field.name()).map(|v| v.to_string()))
            })
            .collect::<Result<StringArray, ArrowError>>()?;
        fields.push(Field::new(field.name(), DataType::Utf8, true));
        columns.push(Arc::new(texts));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}
