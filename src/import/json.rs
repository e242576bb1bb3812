//! JSON inputs: a JSON array of records, or one record per line (NDJSON).
//! Lines are parsed and mapped in parallel, then landed in input order.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::Value;

use crate::contract::Payload;
use crate::ingest::{map_object, Reject, RowMapper};
use crate::lake::Lake;

use super::sink::{Mapped, Sink};
use super::ImportError;

/// Lines mapped per parallel step: enough to keep every core busy, few
/// enough to bound memory.
const CHUNK_LINES: usize = 32 * 1024;

pub(super) async fn import(
    lake: &Lake,
    path: &Path,
    only: Option<&Payload>,
    sink: &mut Sink,
    bar: &ProgressBar,
) -> Result<(), ImportError> {
    let shown = path.display().to_string();
    let input_error = |message: String| ImportError::Input {
        path: shown.clone(),
        message,
    };
    sink.prepare(only).map_err(ImportError::Usage)?;
    let file = std::fs::File::open(path).map_err(|e| input_error(e.to_string()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    if first_byte(&mut reader).map_err(|e| input_error(e.to_string()))? == Some(b'[') {
        return import_array(&mut reader, sink, bar).map_err(input_error);
    }
    let mut line_no = 0i64;
    let mut chunk: Vec<(i64, Vec<u8>)> = Vec::with_capacity(CHUNK_LINES);
    loop {
        chunk.clear();
        while chunk.len() < CHUNK_LINES {
            let mut line = Vec::new();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| input_error(format!("line {}: {e}", line_no + 1)))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            bar.inc(n as u64);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            chunk.push((line_no, line));
        }
        if chunk.is_empty() {
            break;
        }
        let mappers = sink.mappers();
        let mapped: Vec<Mapped> = chunk
            .par_iter()
            .map(|(no, line)| map_line(mappers, line, *no))
            .collect();
        for ((no, line), outcome) in chunk.iter().zip(mapped) {
            let raw = String::from_utf8_lossy(line);
            sink.accept(*no, raw.trim_end(), outcome);
        }
        sink.flush_full(lake).await?;
    }
    Ok(())
}

fn first_byte(reader: &mut BufReader<std::fs::File>) -> std::io::Result<Option<u8>> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => return Ok(Some(buf[i])),
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// A JSON array is one document, so a syntax error in it fails the whole
/// input: there is no line to reject on its own.
fn import_array(
    reader: &mut BufReader<std::fs::File>,
    sink: &mut Sink,
    bar: &ProgressBar,
) -> Result<(), String> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| format!("not UTF-8 text: {e}"))?;
    bar.inc(text.len() as u64);
    let records: Vec<Value> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "malformed JSON array at line {}, column {}: {e}; fix the file, or write one record per line (NDJSON) so that only bad lines are rejected",
            e.line(),
            e.column()
        )
    })?;
    let mappers = sink.mappers();
    let mapped: Vec<Mapped> = records
        .par_iter()
        .enumerate()
        .map(|(i, v)| map_value(mappers, v, i as i64 + 1))
        .collect();
    for (i, (record, outcome)) in records.iter().zip(mapped).enumerate() {
        sink.accept(i as i64 + 1, &record.to_string(), outcome);
    }
    Ok(())
}

fn map_line(mappers: &[RowMapper], line: &[u8], record_no: i64) -> Mapped {
    let text =
        std::str::from_utf8(line).map_err(|e| Reject::record(format!("not UTF-8 text: {e}")))?;
    let value: Value = serde_json::from_str(text.trim_end())
        .map_err(|e| Reject::record(format!("malformed JSON: {e}")))?;
    map_value(mappers, &value, record_no)
}

fn map_value(mappers: &[RowMapper], value: &Value, record_no: i64) -> Mapped {
    let Value::Object(object) = value else {
        return Err(Reject::record(format!(
            "expected a JSON object per record, found {}",
            kind(value)
        )));
    };
    let index = if mappers.len() == 1 {
        0
    } else {
        mappers
            .iter()
            .position(|m| m.payload().matches(object))
            .ok_or_else(|| {
                Reject::record(format!(
                    "unrecognised record: expected the keys of one of {}",
                    mappers
                        .iter()
                        .map(|m| format!(
                            "{} ({})",
                            m.payload().name,
                            m.payload().detect.join(", ")
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?
    };
    Ok((index, map_object(&mappers[index], object, record_no)?))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
