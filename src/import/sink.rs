//! Where the adapters hand their records: the per-table landings, the
//! in-input duplicate check, the reject log and the counts.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::contract::{payloads, Payload};
use crate::ingest::{
    Cell, ChunkId, FinishedChunk, Landing, Reject, RejectLog, RejectOrigin, RowChunk, RowMapper,
};
use crate::lake::Lake;

use super::{ImportError, InputReport};

/// The rows one record maps to, or why it cannot land.
pub(super) type Mapped<'a> = Result<(usize, Vec<Vec<Cell<'a>>>), Reject>;

/// Records mapped together away from the sink (on a worker thread): each
/// record's outcome, and the rows of those that map, already in Arrow
/// arrays. [`Sink::accept_piece`] then only decides, in input order, which
/// rows land.
pub(super) struct Piece {
    records: Vec<PieceRecord>,
    chunks: Vec<Option<FinishedChunk>>,
}

/// A [`Piece`] being mapped.
pub(super) struct PieceBuilder {
    records: Vec<PieceRecord>,
    chunks: Vec<Option<RowChunk>>,
}

/// One record of a [`Piece`].
pub(super) struct PieceRecord {
    /// Its line or position in the input.
    pub(super) no: i64,
    /// Where its text is in the input the piece was read from.
    pub(super) raw: Range<usize>,
    outcome: Result<PieceRows, Reject>,
}

struct PieceRows {
    mapper: usize,
    first: u32,
    count: u32,
    key: Option<u128>,
}

impl PieceBuilder {
    pub(super) fn new(mappers: &[RowMapper]) -> PieceBuilder {
        PieceBuilder {
            records: Vec::new(),
            chunks: mappers.iter().map(|_| None).collect(),
        }
    }

    /// Adds the next record.
    pub(super) fn add(
        &mut self,
        mappers: &[RowMapper],
        no: i64,
        raw: Range<usize>,
        mapped: Mapped,
    ) {
        let outcome = mapped.map(|(mapper, rows)| {
            let chunk = self.chunks[mapper]
                .get_or_insert_with(|| RowChunk::new(mappers[mapper].contract()));
            let first = chunk.len() as u32;
            for row in &rows {
                chunk.push(row);
            }
            PieceRows {
                mapper,
                first,
                count: rows.len() as u32,
                key: rows.first().and_then(|row| mappers[mapper].key_hash(row)),
            }
        });
        self.records.push(PieceRecord { no, raw, outcome });
    }

    /// Finishes the rows into arrays, still on the worker.
    pub(super) fn finish(self) -> Piece {
        Piece {
            records: self.records,
            chunks: self
                .chunks
                .into_iter()
                .map(|c| c.map(RowChunk::finish))
                .collect(),
        }
    }
}

pub(super) struct Sink {
    input: String,
    source_name: String,
    stem: Stem,
    now_micros: i64,
    fallbacks: BTreeMap<String, String>,
    mappers: Arc<[RowMapper]>,
    landings: BTreeMap<String, Landing>,
    seen: DuplicateCheck,
    rejects: Option<RejectLog>,
    report: InputReport,
}

/// The input's batch name: a hash of its bytes and of the import's
/// options. The adapter hashes the bytes as it reads them; a file written
/// before the input is read to its end has the file hashed on its own.
struct Stem {
    path: PathBuf,
    options: String,
    name: Option<String>,
}

impl Sink {
    pub(super) fn new(
        input: &str,
        source_name: &str,
        path: &Path,
        options: String,
        now_micros: i64,
        fallbacks: &BTreeMap<String, String>,
    ) -> Sink {
        Sink {
            input: input.to_string(),
            source_name: source_name.to_string(),
            stem: Stem {
                path: path.to_path_buf(),
                options,
                name: None,
            },
            now_micros,
            fallbacks: fallbacks.clone(),
            mappers: Arc::from(Vec::new()),
            landings: BTreeMap::new(),
            seen: DuplicateCheck::default(),
            rejects: None,
            report: InputReport {
                input: input.to_string(),
                ..Default::default()
            },
        }
    }

    /// Mappers for `only` or for every built-in payload; their indexes are
    /// what [`Mapped`] refers to.
    pub(super) fn prepare(&mut self, only: Option<&Payload>) -> Result<&[RowMapper], String> {
        let chosen: Vec<&Payload> = match only {
            Some(p) => vec![p],
            // Only payloads that say how to recognise them; the collectors'
            // API payloads are read by name.
            None => payloads().iter().filter(|p| !p.detect.is_empty()).collect(),
        };
        self.mappers = chosen
            .into_iter()
            .map(|p| {
                RowMapper::new(
                    p,
                    &self.relevant_fallbacks(p),
                    &self.source_name,
                    self.now_micros,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(&self.mappers)
    }

    fn relevant_fallbacks(&self, payload: &Payload) -> BTreeMap<String, String> {
        let contract = crate::contract::table(&payload.table).ok();
        self.fallbacks
            .iter()
            .filter(|(k, _)| contract.is_some_and(|c| c.column(k).is_some()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub(super) fn mappers(&self) -> &[RowMapper] {
        &self.mappers
    }

    /// The mappers, to map records while the sink takes others.
    pub(super) fn shared_mappers(&self) -> Arc<[RowMapper]> {
        self.mappers.clone()
    }

    /// Tells how many records the input probably holds (from its size and
    /// its first block), so that the duplicate check's table is sized
    /// once: grown by doubling, it is copied and its fresh pages faulted in
    /// again at every step, which cost an import of 1,000,000 posts 5% of
    /// its time.
    pub(super) fn expect_records(&mut self, records: usize) {
        // A first block of short records may promise too many; past this,
        // growing by doubling costs little beside the records themselves.
        self.seen.expected = records.min(1 << 24);
    }

    /// Takes one record's outcome: lands its rows or logs its reject.
    pub(super) fn accept(&mut self, record_no: i64, raw: &str, mapped: Mapped) {
        self.report.read += 1;
        let (mapper_index, rows) = match mapped {
            Ok(ok) => ok,
            Err(reject) => return self.reject(record_no, None, &reject, raw),
        };
        let mapper = &self.mappers[mapper_index];
        if let Some(hash) = rows.first().and_then(|row| mapper.key_hash(row)) {
            let key = || mapper.key(&rows[0]).unwrap_or_default();
            if let Err(reject) = self.seen.check(mapper, hash, record_no, key) {
                return self.reject(record_no, Some(mapper_index), &reject, raw);
            }
        }
        let landing = self.landing(mapper_index);
        for row in &rows {
            landing.push(row);
        }
        self.report.landed += 1;
        self.report.rows += rows.len() as u64;
    }

    /// Takes a piece's outcomes in input order, as [`Sink::accept`] does
    /// one record's. `text` is the input the records' `raw` ranges point
    /// into; `key_of` gives a record's unique key again, for the rare
    /// duplicate's reason.
    pub(super) fn accept_piece(
        &mut self,
        piece: Piece,
        text: &[u8],
        key_of: &dyn Fn(&[RowMapper], &PieceRecord) -> Vec<String>,
    ) {
        let chunks: Vec<Option<ChunkId>> = piece
            .chunks
            .into_iter()
            .enumerate()
            .map(|(mapper, chunk)| chunk.map(|c| self.landing(mapper).add_chunk(c)))
            .collect();
        for record in &piece.records {
            self.report.read += 1;
            let raw = || String::from_utf8_lossy(&text[record.raw.clone()]);
            let rows = match &record.outcome {
                Ok(rows) => rows,
                Err(reject) => {
                    self.reject(record.no, None, reject, raw().trim_end());
                    continue;
                }
            };
            if let Some(hash) = rows.key {
                let mapper = &self.mappers[rows.mapper];
                let key = || key_of(&self.mappers, record);
                if let Err(reject) = self.seen.check(mapper, hash, record.no, key) {
                    self.reject(record.no, Some(rows.mapper), &reject, raw().trim_end());
                    continue;
                }
            }
            let chunk = chunks[rows.mapper].expect("a mapped record has its chunk");
            let landing = self.landing(rows.mapper);
            for row in rows.first..rows.first + rows.count {
                landing.land(chunk, row);
            }
            self.report.landed += 1;
            self.report.rows += u64::from(rows.count);
        }
    }

    fn landing(&mut self, mapper_index: usize) -> &mut Landing {
        let contract = self.mappers[mapper_index].contract();
        if !self.landings.contains_key(&contract.name) {
            // Named when it is written: see `Stem`.
            let landing = Landing::new(contract, String::new());
            self.landings.insert(contract.name.clone(), landing);
        }
        self.landings
            .get_mut(&contract.name)
            .expect("inserted above")
    }

    /// Takes the hash of every byte of the input, once the adapter has
    /// read them all. A name already given to files written before the end
    /// of the input stays: every file of one import has the same name.
    pub(super) fn input_read(&mut self, bytes: xxhash_rust::xxh3::Xxh3) {
        if self.stem.name.is_none() {
            self.stem.name = Some(super::stem_name(bytes, &self.stem.options));
        }
    }

    /// The batch name, given to every landing and the reject log before
    /// they write.
    fn name_outputs(&mut self) -> Result<(), ImportError> {
        let stem = match &self.stem.name {
            Some(name) => name.clone(),
            None => {
                let name = super::stem_of(&self.stem.path, &self.stem.options).map_err(|e| {
                    ImportError::Input {
                        path: self.input.clone(),
                        message: e.to_string(),
                    }
                })?;
                self.stem.name = Some(name.clone());
                name
            }
        };
        for landing in self.landings.values_mut() {
            landing.set_stem(&stem);
        }
        if let Some(rejects) = &mut self.rejects {
            rejects.set_stem(&stem);
        }
        Ok(())
    }

    fn reject(&mut self, record_no: i64, mapper: Option<usize>, reject: &Reject, raw: &str) {
        if self.rejects.is_none() {
            self.rejects = Some(RejectLog::new("import", "", self.now_micros));
        }
        let payload = mapper.map(|i| self.mappers[i].payload());
        let origin = RejectOrigin {
            input: &self.input,
            record: record_no,
            payload: payload.map(|p| p.name.as_str()),
            table: payload.map(|p| p.table.as_str()),
        };
        let rejects = self.rejects.as_mut().expect("created above");
        rejects.add(origin, reject, raw);
        self.report.rejected += 1;
    }

    /// Logs a record that could not even be read (bad bytes, malformed line).
    pub(super) fn reject_unreadable(&mut self, record_no: i64, reason: String, raw: &str) {
        self.report.read += 1;
        self.reject(record_no, None, &Reject::record(reason), raw);
    }

    /// Writes partitions that are full, keeping memory bounded on big inputs.
    /// (A flush that writes nothing still lets go of the chunks no row of
    /// which is waiting.)
    pub(super) async fn flush_full(&mut self, lake: &Lake) -> Result<(), ImportError> {
        if self.landings.values().any(Landing::has_full_partition) {
            self.name_outputs()?;
        }
        for landing in self.landings.values_mut() {
            landing.flush(lake, false).await?;
        }
        Ok(())
    }

    pub(super) async fn finish(mut self, lake: &Lake) -> Result<InputReport, ImportError> {
        self.name_outputs()?;
        for (_, landing) in std::mem::take(&mut self.landings) {
            let stats = landing.finish(lake).await?;
            self.report.files += stats.files.len();
        }
        if let Some(rejects) = self.rejects.take() {
            debug_assert_eq!(rejects.count(), self.report.rejected);
            let stats = rejects.finish(lake).await?;
            self.report.files += stats.files.len();
        }
        assert_eq!(
            self.report.read,
            self.report.landed + self.report.rejected,
            "every record is landed or rejected"
        );
        Ok(self.report)
    }
}

/// The unique keys of the input's records so far (as hashes), each with the
/// record that had it first.
#[derive(Default)]
struct DuplicateCheck {
    first_seen: HashMap<u128, i64, BuildHasherDefault<KeyHasher>>,
    // Records the input is expected to hold: the table is sized once, at
    // its first key.
    expected: usize,
}

impl DuplicateCheck {
    /// Refuses a record whose unique key an earlier record of the input has.
    fn check(
        &mut self,
        mapper: &RowMapper,
        hash: u128,
        record_no: i64,
        key: impl FnOnce() -> Vec<String>,
    ) -> Result<(), Reject> {
        if self.first_seen.is_empty() {
            self.first_seen.reserve(self.expected);
        }
        match self.first_seen.entry(hash) {
            Entry::Occupied(first) => Err(Reject::record(format!(
                "duplicate {} ({}) in this input; first seen at record {}",
                mapper.contract().unique_in_input.join(", "),
                key().join(", "),
                first.get()
            ))),
            Entry::Vacant(slot) => {
                slot.insert(record_no);
                Ok(())
            }
        }
    }
}

/// The keys of the duplicate check are xxh3 hashes already: hashing them
/// again would only cost time.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}
