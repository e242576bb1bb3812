//! JSON inputs: a JSON array of records, or one record per line (NDJSON).
//! Lines are read in large blocks, parsed and mapped in parallel straight
//! into Arrow builders, then landed in input order.

use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::Path;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::Value;

use crate::contract::Payload;
use crate::ingest::{map_doc, Doc, Reject, RowMapper};
use crate::lake::Lake;

use super::sink::{Mapped, Piece, PieceRecord, Sink};
use super::ImportError;

/// Bytes read per step: enough to keep every core busy, few enough to bound
/// memory.
const BLOCK_BYTES: usize = 32 << 20;

/// Bytes of lines one thread maps at a time. A block waits for its slowest
/// piece, so there are many per block (cores shared with other work finish
/// them unevenly); but each piece becomes one chunk of every partition's
/// rows, gathered when the partition is written, so not too many.
const PIECE_BYTES: usize = 4 << 20;

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
    let mappers = sink.shared_mappers();
    let mut line_no = 0i64;
    let mut next = read_block(&mut reader, Vec::new());
    // The sink lands one block while the next is mapped and the one after
    // is read, so that no core waits for another.
    let mut mapped_before: Option<(Vec<u8>, Vec<Piece>)> = None;
    loop {
        let (block, carry, eof) =
            next.map_err(|e| input_error(format!("after line {line_no}: {e}")))?;
        bar.inc(block.len() as u64);
        let pieces = split_pieces(&block, &mut line_no);
        let previous = mapped_before.take();
        let (mapped, following) = rayon::join(
            || {
                pieces
                    .into_par_iter()
                    .map(|(range, first_line)| map_lines(&mappers, &block, range, first_line))
                    .collect::<Vec<Piece>>()
            },
            || {
                if let Some((text, pieces)) = previous {
                    accept_block(sink, &text, pieces);
                }
                match eof {
                    true => Ok((Vec::new(), Vec::new(), true)),
                    false => read_block(&mut reader, carry),
                }
            },
        );
        sink.flush_full(lake).await?;
        mapped_before = Some((block, mapped));
        next = following;
        if eof {
            break;
        }
    }
    if let Some((text, pieces)) = mapped_before {
        accept_block(sink, &text, pieces);
    }
    Ok(())
}

/// Splits a block into pieces of whole lines, each with the number of the
/// line before it; `line_no` moves past the block.
fn split_pieces(block: &[u8], line_no: &mut i64) -> Vec<(Range<usize>, i64)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < block.len() {
        let mut end = (start + PIECE_BYTES).min(block.len());
        if let Some(nl) = memchr::memchr(b'\n', &block[end - 1..]) {
            end += nl;
        } else {
            end = block.len();
        }
        pieces.push((start..end, *line_no));
        *line_no += memchr::memchr_iter(b'\n', &block[start..end]).count() as i64;
        start = end;
    }
    if !block.is_empty() && block.last() != Some(&b'\n') {
        *line_no += 1;
    }
    pieces
}

/// Lands a block's mapped pieces in input order.
fn accept_block(sink: &mut Sink, text: &[u8], pieces: Vec<Piece>) {
    let key_of = |mappers: &[RowMapper], record: &PieceRecord| {
        map_line(mappers, &text[record.raw.clone()], record.no)
            .ok()
            .and_then(|(i, rows)| rows.first().and_then(|row| mappers[i].key(row)))
            .unwrap_or_default()
    };
    for piece in pieces {
        sink.accept_piece(piece, text, &key_of);
    }
}

/// The next block of whole lines (the rest of the input at its end), and
/// the start of the line that follows it. `carry` is the start of this
/// block's first line.
fn read_block(
    reader: &mut BufReader<std::fs::File>,
    mut carry: Vec<u8>,
) -> std::io::Result<(Vec<u8>, Vec<u8>, bool)> {
    loop {
        let mut block = carry;
        let wanted = BLOCK_BYTES.max(block.len());
        // Room for the whole block at once: growing by doubling would copy
        // it and touch fresh pages several times over.
        block.reserve_exact(wanted);
        let read = reader.take(wanted as u64).read_to_end(&mut block)?;
        let eof = read < wanted;
        match memchr::memrchr(b'\n', &block) {
            _ if eof => return Ok((block, Vec::new(), true)),
            Some(end) => {
                let mut rest = Vec::with_capacity(BLOCK_BYTES + (block.len() - end));
                rest.extend_from_slice(&block[end + 1..]);
                block.truncate(end + 1);
                return Ok((block, rest, false));
            }
            // A line longer than a block: read on.
            None => carry = block,
        }
    }
}

/// Maps the lines in `range` of `text`; the first is line `after + 1`.
fn map_lines(mappers: &[RowMapper], text: &[u8], range: Range<usize>, after: i64) -> Piece {
    let mut piece = Piece::new(mappers);
    let mut line_no = after;
    let mut start = range.start;
    while start < range.end {
        let end = memchr::memchr(b'\n', &text[start..range.end]).map_or(range.end, |i| start + i);
        line_no += 1;
        let line = &text[start..end];
        if !line.iter().all(u8::is_ascii_whitespace) {
            let mapped = map_line(mappers, line, line_no);
            piece.add(mappers, line_no, start..end, mapped);
        }
        start = end + 1;
    }
    piece
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
    let doc: Doc = serde_json::from_str(text.trim_end())
        .map_err(|e| Reject::record(format!("malformed JSON: {e}")))?;
    map_doc_record(mappers, &doc, record_no)
}

fn map_value(mappers: &[RowMapper], value: &Value, record_no: i64) -> Mapped {
    map_doc_record(mappers, &Doc::from_value(value), record_no)
}

fn map_doc_record(mappers: &[RowMapper], record: &Doc<'_>, record_no: i64) -> Mapped {
    if !record.is_object() {
        return Err(Reject::record(format!(
            "expected a JSON object per record, found {}",
            kind(record)
        )));
    }
    let index = if mappers.len() == 1 {
        0
    } else {
        mappers
            .iter()
            .position(|m| m.payload().matches_keys(|k| record.get(k).is_some()))
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
    Ok((index, map_doc(&mappers[index], record, record_no)?))
}

fn kind(value: &Doc<'_>) -> &'static str {
    match value {
        Doc::Null => "null",
        Doc::Bool(_) => "a boolean",
        Doc::Number(_) => "a number",
        Doc::Str(_) => "a string",
        Doc::List(_) => "a list",
        Doc::Object(_) => "an object",
    }
}
