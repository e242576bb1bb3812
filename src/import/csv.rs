//! CSV inputs, read through a mapping that names which header feeds which
//! column. A header the mapping needs and the file lacks stops the import
//! before any record is read.

use std::collections::HashMap;
use std::path::Path;

use indicatif::ProgressBar;

use crate::contract::Payload;
use crate::ingest::{Field, Raw};
use crate::lake::Lake;

use super::sink::Sink;
use super::ImportError;

/// How often (in lines) full partitions are written out.
const FLUSH_EVERY: i64 = 64 * 1024;

pub(super) async fn import(
    lake: &Lake,
    path: &Path,
    mapping_path: &str,
    mapping: &Payload,
    sink: &mut Sink,
    bar: &ProgressBar,
) -> Result<(), ImportError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::Input {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    bar.inc(bytes.len() as u64);
    let mut hashed = xxhash_rust::xxh3::Xxh3::new();
    hashed.update(&bytes);
    sink.input_read(hashed);
    let delimiter = match mapping.delimiter {
        Some(d) if d.is_ascii() => d as u8,
        Some(d) => {
            return Err(ImportError::Mapping {
                path: mapping_path.to_string(),
                message: format!("delimiter {d:?} must be one ASCII character"),
            })
        }
        None if shown.to_lowercase().ends_with(".tsv") => b'\t',
        None => b',',
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Input {
            path: shown.clone(),
            message: format!("cannot read the header line: {e}"),
        })?
        .clone();
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    check_mapping(mapping_path, mapping, &columns, &headers, &shown)?;
    sink.prepare(Some(mapping))
        .map_err(|message| ImportError::Mapping {
            path: mapping_path.to_string(),
            message,
        })?;

    let mappers = sink.shared_mappers();
    let mut record = csv::StringRecord::new();
    let mut skipped = 0usize;
    loop {
        let start = reader.position().byte() as usize;
        let line = reader.position().line() as i64;
        let result = reader.read_record(&mut record);
        let end = (reader.position().byte() as usize).min(bytes.len());
        let raw = String::from_utf8_lossy(&bytes[start.min(end)..end]);
        let raw = raw.trim_end_matches(['\r', '\n']);
        match result {
            Ok(false) => break,
            Ok(true) if skipped < mapping.skip_rows => skipped += 1,
            Ok(true) => {
                let lookup = |field: Field<'_>| {
                    columns
                        .get(field.name)
                        .and_then(|&i| record.get(i))
                        .map(Raw::Text)
                };
                let mapper = &mappers[0];
                let mapped = mapper
                    .map_row(&lookup, None, line)
                    .map(|row| (0, vec![row]));
                sink.accept(line, raw, mapped);
            }
            Err(e) => {
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        len, expected_len, ..
                    } => format!("line has {len} fields, the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { err, .. } => format!("not UTF-8 text: {err}"),
                    _ => format!("malformed CSV: {e}"),
                };
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(ImportError::Input {
                        path: shown,
                        message: reason,
                    });
                }
                sink.reject_unreadable(line, reason, raw);
            }
        }
        if line % FLUSH_EVERY == 0 {
            sink.flush_full(lake).await?;
        }
    }
    Ok(())
}

fn check_mapping(
    mapping_path: &str,
    mapping: &Payload,
    columns: &HashMap<String, usize>,
    headers: &csv::StringRecord,
    input: &str,
) -> Result<(), ImportError> {
    for (column, source) in &mapping.fields {
        if !source.from.iter().any(|name| columns.contains_key(name)) {
            return Err(ImportError::Mapping {
                path: mapping_path.to_string(),
                message: format!(
                    "{column} reads {} which {input} does not have; its columns are: {}",
                    source
                        .from
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    headers
                        .iter()
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    Ok(())
}
