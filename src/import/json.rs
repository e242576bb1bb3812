//! JSON inputs: a JSON array of records, or one record per line (NDJSON).
//! Lines are read in large blocks, scanned for the fields the payloads map
//! (see [`FieldScanner`]) and mapped in parallel straight into Arrow
//! builders, then landed in input order.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3;

use crate::contract::Payload;
use crate::ingest::{map_doc, Doc, Field, FieldScanner, Raw, Reject, RowMapper};
use crate::lake::Lake;

use super::sink::{Mapped, Piece, PieceBuilder, PieceRecord, Sink};
use super::ImportError;

/// Bytes read per step: enough to keep every core busy, few enough to bound
/// memory.
const BLOCK_BYTES: usize = 32 << 20;

/// Room kept in a block's buffer for the unfinished line a block ends with.
const CARRY_ROOM: usize = 1 << 20;

/// Bytes of lines one thread maps at a time. A block waits for its slowest
/// piece, so there are many per block (cores shared with other work finish
/// them unevenly); but each piece becomes one chunk of every partition's
/// rows, gathered when the partition is written, so not too many.
const PIECE_BYTES: usize = 8 << 20;

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
    // The input's size, until its first block tells how many records it
    // probably holds.
    let mut input_bytes = file.metadata().ok().map(|m| m.len());
    let mut reader = BufReader::with_capacity(1 << 20, file);
    // The input's bytes, hashed as they are read for the batch name.
    let mut hashed = Xxh3::new();
    let (first, blank_lines) =
        first_byte(&mut reader, &mut hashed).map_err(|e| input_error(e.to_string()))?;
    if first == Some(b'[') {
        return import_array(&mut reader, hashed, sink, bar).map_err(input_error);
    }
    let mappers = sink.shared_mappers();
    let plan = Arc::new(ScanPlan::new(&mappers));
    let mut line_no = blank_lines;
    let mut flow = PieceFlow::new();
    loop {
        // The next block is read while the workers map the ones before it;
        // a landed block's buffer takes it (a fresh buffer would fault its
        // pages in again).
        let (carry, spare) = (std::mem::take(&mut flow.carry), flow.spare.take());
        let (block, carry, eof) =
            read_block(&mut reader, &mut hashed, carry, spare.unwrap_or_default())
                .map_err(|e| input_error(format!("after line {line_no}: {e}")))?;
        flow.carry = carry;
        if eof {
            // Read to its end: the name is known before any file is written
            // from this last block.
            sink.input_read(std::mem::take(&mut hashed));
        }
        bar.inc(block.len() as u64);
        let lines_before = line_no;
        let pieces = split_pieces(&block, &mut line_no);
        if let Some(total) = input_bytes.take().filter(|_| !block.is_empty()) {
            let lines = (line_no - lines_before) as f64;
            sink.expect_records((lines * total as f64 / block.len() as f64) as usize);
        }
        flow.map_block(block, pieces, &mappers, &plan);
        // Landing waits only when more blocks are in flight than memory
        // allows; otherwise it takes what the workers have finished.
        flow.land(sink, if eof { 0 } else { BLOCKS_IN_FLIGHT });
        sink.flush_full(lake).await?;
        if eof {
            break;
        }
    }
    Ok(())
}

/// Blocks read and not landed while the next one is read: the workers map
/// it while the one before is landed and the next read, so that three
/// blocks' buffers are in memory, as many as with a barrier per block.
const BLOCKS_IN_FLIGHT: usize = 1;

/// NDJSON blocks on their way through the workers: pieces are mapped on
/// the rayon pool as soon as their block is read, and landed in input
/// order as they come back, so no core waits for a whole block to finish
/// (with a barrier per block, the two cores were busy 85% of the time).
struct PieceFlow {
    /// The start of the line the last block read ends with.
    carry: Vec<u8>,
    /// The buffer of a landed block, for the next one.
    spare: Option<Vec<u8>>,
    /// Blocks not yet landed, in input order, each with the number of the
    /// piece after its last.
    blocks: VecDeque<(Arc<Vec<u8>>, usize)>,
    /// Pieces handed to the workers so far.
    spawned: usize,
    /// The next piece to land.
    next: usize,
    /// Mapped pieces that came back before one they follow.
    waiting: BTreeMap<usize, Piece>,
    sender: Sender<MappedPiece>,
    receiver: Receiver<MappedPiece>,
}

/// A piece's number and its mapping, or the panic of the worker that
/// mapped it.
type MappedPiece = (usize, std::thread::Result<Piece>);

impl PieceFlow {
    fn new() -> PieceFlow {
        let (sender, receiver) = std::sync::mpsc::channel();
        PieceFlow {
            carry: Vec::new(),
            spare: None,
            blocks: VecDeque::new(),
            spawned: 0,
            next: 0,
            waiting: BTreeMap::new(),
            sender,
            receiver,
        }
    }

    /// Hands every piece of `block` to the rayon pool.
    fn map_block(
        &mut self,
        block: Vec<u8>,
        pieces: Vec<(Range<usize>, i64)>,
        mappers: &Arc<[RowMapper]>,
        plan: &Arc<Option<ScanPlan>>,
    ) {
        let block = Arc::new(block);
        for (range, first_line) in pieces {
            let (sender, mappers, plan) = (self.sender.clone(), mappers.clone(), plan.clone());
            let text = block.clone();
            let number = self.spawned;
            self.spawned += 1;
            rayon::spawn(move || {
                let piece = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    map_lines(&mappers, (*plan).as_ref(), &text, range, first_line)
                }));
                // Let go of the block before it is landed, so that its buffer
                // can take the next one.
                drop(text);
                // Fails only when the import has stopped on an input error
                // and no longer waits for its pieces.
                let _ = sender.send((number, piece));
            });
        }
        self.blocks.push_back((block, self.spawned));
    }

    /// Lands mapped pieces in input order until at most `in_flight` blocks
    /// are left unlanded, then what else has come back.
    fn land(&mut self, sink: &mut Sink, in_flight: usize) {
        loop {
            let Some(&(_, end)) = self.blocks.front() else {
                return;
            };
            if self.next == end {
                // Landed to its end (or empty: the end of an input that
                // fills its last block exactly).
                let (text, _) = self.blocks.pop_front().expect("checked above");
                self.spare = Arc::try_unwrap(text).ok();
                continue;
            }
            let piece = match self.waiting.remove(&self.next) {
                Some(piece) => piece,
                None => {
                    let (number, piece) = if self.blocks.len() > in_flight {
                        (self.receiver.recv()).expect("the flow holds a sender")
                    } else {
                        match self.receiver.try_recv() {
                            Ok(mapped) => mapped,
                            Err(_) => return,
                        }
                    };
                    let piece = piece.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    if number != self.next {
                        self.waiting.insert(number, piece);
                        continue;
                    }
                    piece
                }
            };
            let text = &self.blocks.front().expect("checked above").0;
            accept_piece(sink, text, piece);
            self.next += 1;
        }
    }
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

/// Lands a mapped piece of the block `text`.
fn accept_piece(sink: &mut Sink, text: &[u8], piece: Piece) {
    let key_of = |mappers: &[RowMapper], record: &PieceRecord| {
        map_line(mappers, &text[record.raw.clone()], record.no)
            .ok()
            .and_then(|(i, rows)| rows.first().and_then(|row| mappers[i].key(row)))
            .unwrap_or_default()
    };
    sink.accept_piece(piece, text, &key_of);
}

/// The next block of whole lines (the rest of the input at its end), and
/// the start of the line that follows it. `carry` is the start of this
/// block's first line; `buffer` is reused for the block. The bytes read are
/// added to `hashed`.
fn read_block(
    reader: &mut BufReader<std::fs::File>,
    hashed: &mut Xxh3,
    carry: Vec<u8>,
    mut buffer: Vec<u8>,
) -> std::io::Result<(Vec<u8>, Vec<u8>, bool)> {
    buffer.clear();
    buffer.extend_from_slice(&carry);
    let mut block = buffer;
    loop {
        let wanted = BLOCK_BYTES.max(block.len());
        // Room for the whole block at once (growing by doubling would copy
        // it and touch fresh pages several times over), and for the start
        // of a line carried into the next block that reuses the buffer.
        block.reserve_exact(wanted + CARRY_ROOM);
        let before = block.len();
        let read = reader.take(wanted as u64).read_to_end(&mut block)?;
        hashed.update(&block[before..]);
        let eof = read < wanted;
        match memchr::memrchr(b'\n', &block) {
            _ if eof => return Ok((block, Vec::new(), true)),
            Some(end) => {
                let rest = block[end + 1..].to_vec();
                block.truncate(end + 1);
                return Ok((block, rest, false));
            }
            // A line longer than a block: read on.
            None => continue,
        }
    }
}

/// Maps the lines in `range` of `text`; the first is line `after + 1`.
fn map_lines(
    mappers: &[RowMapper],
    plan: Option<&ScanPlan>,
    text: &[u8],
    range: Range<usize>,
    after: i64,
) -> Piece {
    let mut piece = PieceBuilder::new(mappers);
    let mut values = Vec::new();
    let mut line_no = after;
    let mut start = range.start;
    while start < range.end {
        let end = memchr::memchr(b'\n', &text[start..range.end]).map_or(range.end, |i| start + i);
        line_no += 1;
        let line = &text[start..end];
        if !line.iter().all(u8::is_ascii_whitespace) {
            let scanned = match (plan, std::str::from_utf8(line)) {
                (Some(plan), Ok(line)) => plan.map(mappers, line, line_no, &mut values),
                _ => None,
            };
            let mapped = scanned.unwrap_or_else(|| map_line(mappers, line, line_no));
            piece.add(mappers, line_no, start..end, mapped);
        }
        start = end + 1;
    }
    piece.finish()
}

/// How records are mapped without parsing them in full: one
/// [`FieldScanner`] for the detection keys of every mapper and the fields
/// of those that do not explode records into variants, and where each
/// mapper finds its fields in the scanner's output.
struct ScanPlan {
    scanner: FieldScanner,
    // Per mapper: the slot of each of its fields, or none for a mapper that
    // explodes records into variants (those are parsed in full).
    fields: Vec<Option<Vec<usize>>>,
    detect: Vec<Vec<usize>>,
}

impl ScanPlan {
    /// `None` when a payload's detection key is not a plain key (detection
    /// looks keys up literally, the scanner by dotted path), or when every
    /// payload explodes (their records are parsed in full anyway).
    fn new(mappers: &[RowMapper]) -> Option<ScanPlan> {
        let detect_keys = || mappers.iter().flat_map(|m| m.payload().detect.iter());
        if detect_keys().any(|k| k.contains('.'))
            || mappers.iter().all(|m| m.payload().explode.is_some())
        {
            return None;
        }
        let scanner = FieldScanner::new(
            mappers
                .iter()
                .filter(|m| m.payload().explode.is_none())
                .flat_map(|m| m.fields().iter())
                .chain(detect_keys())
                .map(String::as_str),
        );
        let slot = |path: &str| scanner.slot(path).expect("the scanner has every path");
        let fields = mappers
            .iter()
            .map(|m| {
                let plain = m.payload().explode.is_none();
                plain.then(|| m.fields().iter().map(|f| slot(f)).collect())
            })
            .collect();
        let detect = mappers
            .iter()
            .map(|m| m.payload().detect.iter().map(|k| slot(k)).collect())
            .collect();
        Some(ScanPlan {
            scanner,
            fields,
            detect,
        })
    }

    /// Maps one record as [`map_line`] would, or `None` where it has to be
    /// parsed in full (to map it, or to say why it cannot be).
    fn map<'t: 'v, 'v>(
        &self,
        mappers: &'v [RowMapper],
        line: &'t str,
        record_no: i64,
        values: &'v mut Vec<Option<Doc<'t>>>,
    ) -> Option<Mapped<'v>> {
        if !self.scanner.scan(line, values) {
            return None;
        }
        let values: &'v [Option<Doc<'t>>] = values;
        let index = match mappers.len() {
            1 => 0,
            _ => self.detect.iter().position(|keys| {
                !keys.is_empty() && keys.iter().all(|&slot| values[slot].is_some())
            })?,
        };
        let slots = self.fields[index].as_ref()?;
        let lookup = |field: Field<'_>| values[slots[field.index]].as_ref().map(Raw::Doc);
        Some(
            mappers[index]
                .map_row(&lookup, None, record_no)
                .map(|row| (index, vec![row])),
        )
    }
}

/// The input's first byte that is not white space, and the lines passed to
/// find it (whole buffers of white space are consumed, and hashed).
fn first_byte(
    reader: &mut BufReader<std::fs::File>,
    hashed: &mut Xxh3,
) -> std::io::Result<(Option<u8>, i64)> {
    let mut lines = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((None, lines));
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => return Ok((Some(buf[i]), lines)),
            None => {
                let n = buf.len();
                lines += memchr::memchr_iter(b'\n', buf).count() as i64;
                hashed.update(buf);
                reader.consume(n);
            }
        }
    }
}

/// A JSON array is one document, so a syntax error in it fails the whole
/// input: there is no line to reject on its own.
fn import_array(
    reader: &mut BufReader<std::fs::File>,
    mut hashed: Xxh3,
    sink: &mut Sink,
    bar: &ProgressBar,
) -> Result<(), String> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| format!("not UTF-8 text: {e}"))?;
    hashed.update(text.as_bytes());
    sink.input_read(hashed);
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

fn map_line(mappers: &[RowMapper], line: &[u8], record_no: i64) -> Mapped<'static> {
    let text =
        std::str::from_utf8(line).map_err(|e| Reject::record(format!("not UTF-8 text: {e}")))?;
    let doc: Doc = serde_json::from_str(text.trim_end())
        .map_err(|e| Reject::record(format!("malformed JSON: {e}")))?;
    map_doc_record(mappers, &doc, record_no)
}

fn map_value(mappers: &[RowMapper], value: &Value, record_no: i64) -> Mapped<'static> {
    map_doc_record(mappers, &Doc::from_value(value), record_no)
}

fn map_doc_record(mappers: &[RowMapper], record: &Doc<'_>, record_no: i64) -> Mapped<'static> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Pieces land in input order however the workers finish them: a big
    /// first piece comes back after the small ones behind it, and the
    /// duplicate check still keeps the earlier record and rejects the
    /// later one, the malformed line gets its own number, and the rows of a
    /// partition are in input order.
    #[tokio::test]
    async fn pieces_land_in_input_order_whatever_order_they_are_mapped_in() {
        let (dir, lake) = crate::import::tests::temp_lake().await;
        let now = chrono::Utc::now().timestamp_micros();
        let path = dir.path().join("posts.ndjson");
        let mut sink = Sink::new(
            "posts.ndjson",
            "import:t",
            &path,
            String::new(),
            now,
            &BTreeMap::new(),
        );
        sink.prepare(None).unwrap();
        let mappers = sink.shared_mappers();
        let plan = Arc::new(ScanPlan::new(&mappers));
        let line = |no: usize| match no {
            // Line 350 repeats the id of line 7.
            350 => post(7),
            150 => "{not json".to_string(),
            _ => post(no),
        };
        let mut flow = PieceFlow::new();
        let mut line_no = 0usize;
        // A block of 300 lines in one piece, then blocks of 25 one-line
        // pieces.
        for block_lines in [300, 25, 25, 25, 25] {
            let (mut text, mut pieces) = (Vec::new(), Vec::new());
            let one_piece = block_lines == 300;
            for i in 0..block_lines {
                let start = text.len();
                text.extend_from_slice(line(line_no + i + 1).as_bytes());
                text.push(b'\n');
                if !one_piece {
                    pieces.push((start..text.len(), (line_no + i) as i64));
                }
            }
            if one_piece {
                pieces.push((0..text.len(), line_no as i64));
            }
            line_no += block_lines;
            flow.map_block(text, pieces, &mappers, &plan);
            flow.land(&mut sink, BLOCKS_IN_FLIGHT);
        }
        // An input that fills its last block exactly ends with an empty one.
        flow.map_block(Vec::new(), Vec::new(), &mappers, &plan);
        flow.land(&mut sink, 0);
        sink.input_read(Xxh3::new());
        let report = sink.finish(&lake).await.unwrap();
        assert_eq!((report.read, report.landed, report.rejected), (400, 398, 2));
        let rejects = read_table(&dir.path().join("lake/raw/rejects"));
        let records: Vec<i64> = int_column(&rejects, "record");
        assert_eq!(records, [150, 350]);
        let reason = rejects[0]
            .column_by_name("reason")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap()
            .value(1)
            .to_string();
        assert!(reason.contains("first seen at record 7"), "{reason}");
        let posts = read_table(&dir.path().join("lake/raw/posts"));
        let landed = int_column(&posts, "source_record");
        let expected: Vec<i64> = (1..=400).filter(|&n| n != 150 && n != 350).collect();
        assert_eq!(landed, expected);

        fn post(no: usize) -> String {
            format!(
                r#"{{"id": "p{no}", "platform": "x", "posting_time": "2024-03-01T10:00:00Z", "engagement_metrics": {{"likes": {no}}}}}"#
            )
        }
    }

    /// Every batch of the Parquet files under `dir`.
    fn read_table(dir: &Path) -> Vec<arrow::record_batch::RecordBatch> {
        crate::import::tests::walk(dir)
            .into_iter()
            .filter(|path| path.extension().is_some_and(|e| e == "parquet"))
            .flat_map(|path| {
                let file = std::fs::File::open(&path).unwrap();
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap()
                    .build()
                    .unwrap()
                    .map(Result::unwrap)
            })
            .collect()
    }

    fn int_column(batches: &[arrow::record_batch::RecordBatch], name: &str) -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| {
                let column = b.column_by_name(name).unwrap();
                let values = column
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
                    .unwrap();
                values.values().to_vec()
            })
            .collect()
    }

    /// The fast path maps every record exactly as the full parse does, and
    /// is what maps plain records.
    #[test]
    fn scanned_records_map_as_parsed_ones() {
        let now = chrono::Utc::now().timestamp_micros();
        let mappers: Vec<RowMapper> = crate::contract::payloads()
            .iter()
            .filter(|p| !p.detect.is_empty())
            .map(|p| RowMapper::new(p, &BTreeMap::new(), "import:t", now).unwrap())
            .collect();
        assert!(mappers.len() > 1, "records are recognised among payloads");
        let plan = ScanPlan::new(&mappers).expect("plain detection keys");
        let post = r#""id": "p1", "platform": "instagram", "image_url": "https://x/1.jpg", "posting_time": "2024-03-01T10:00:00Z""#;
        let scanned_lines = [
            format!(r#"{{{post}, "engagement_metrics": {{"likes": 10, "comments": 2, "reach": 900}}, "audience_size": 1200}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{"likes": 1.0, "engagement_rate": 0.031, "clicks": 3}}, "caption": "caf\u00e9 \"new\"\nline", "extra": [{{"deep": [1, 2]}}]}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{"likes": -3}}}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{"likes": "12"}}, "paid": true}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{"likes": [1]}}}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{"likes": {{"n": 1}}}}}}"#),
            format!(r#"{{{post}, "engagement_metrics": 5}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{}}, "audience_size": 12345678901234567890}}"#),
            r#"{"id": "p2", "platform": "Myspace", "posting_time": "2024-03-01T10:00:00Z", "engagement_metrics": {}}"#.to_string(),
            r#"{"id": "p3", "platform": "x", "posting_time": "2999-01-01T00:00:00Z", "engagement_metrics": {}}"#.to_string(),
            r#"{"platform": "x", "posting_time": "2024-03-01", "engagement_metrics": {}}"#.to_string(),
            r#"{"id": "p4", "platform": " LinkedIn ", "posting_time": 1709287200, "engagement_metrics": {"likes": 0}}"#.to_string(),
            r#"{"image_url": "https://x/2.jpg", "expert_scores": {"overall_quality": 8.5, "layout": 7}}"#.to_string(),
            r#"{"image_url": "https://x/3.jpg", "expert_scores": {"overall_quality": "high"}}"#.to_string(),
        ];
        let declined_lines = [
            format!(r#"{{{post}, "engagement_metrics": {{"likes": 1}}, "engagement_metrics": {{"likes": 2}}}}"#),
            format!(r#"{{{post}, "engagement_metrics": {{"likes": 1,}}}}"#),
            r#"{"test_id": "t1", "variant_a": {"impressions": 100, "clicks": 5}, "variant_b": {"impressions": 90, "clicks": 9}}"#.to_string(),
            r#"{"id": "p5"}"#.to_string(),
            r#"["not", "an", "object"]"#.to_string(),
            r#"{"id": "p6", "engagement_metrics": {"likes": 01}}"#.to_string(),
        ];
        let mut values = Vec::new();
        for (i, line) in scanned_lines.iter().enumerate() {
            let no = i as i64 + 1;
            let scanned = plan.map(&mappers, line, no, &mut values);
            let scanned = scanned.unwrap_or_else(|| panic!("not scanned: {line}"));
            assert_eq!(scanned, map_line(&mappers, line.as_bytes(), no), "{line}");
        }
        for line in &declined_lines {
            assert!(plan.map(&mappers, line, 1, &mut values).is_none(), "{line}");
        }
    }
}
