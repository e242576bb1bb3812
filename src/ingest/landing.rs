//! Buffers rows per partition and writes them to the lake as Parquet files
//! whose names come from the input, so a re-run replaces files instead of
//! adding rows.
//!
//! Rows are kept column-wise in chunks ([`RowChunk`]) that worker threads
//! can build on their own; a partition only remembers which rows of which
//! chunks are its own, so landing a row is cheap and a partition is gathered
//! in one step when its file is written.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use crate::contract::{Contract, ContractError};
use crate::lake::{Lake, LakeError, WrittenFile};

use super::value::Cell;

/// A partition buffer is written out once it holds this many rows.
const ROWS_PER_FILE: usize = 1_000_000;

/// Files encoded at once: enough to keep every core busy, few enough that
/// the encoded bytes waiting for their PUT stay small.
const FILES_PER_WAVE: usize = 64;

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

/// The partition value of a cell, borrowed when it is text.
fn key_part<'c>(cell: &'c Cell<'_>) -> Cow<'c, str> {
    match cell {
        Cell::Str(s) => Cow::Borrowed(s),
        Cell::Null => Cow::Borrowed(""),
        other => Cow::Owned(other.to_key()),
    }
}

/// Rows of one table in Arrow builders, built apart from the [`Landing`]
/// (typically on a worker thread) and handed over with
/// [`Landing::add_chunk`].
pub struct RowChunk {
    contract: &'static Contract,
    builders: Vec<Builder>,
    keys: Vec<Vec<String>>,
    // The partition values joined in `scratch`, so that finding a row's
    // partition allocates nothing.
    key_index: HashMap<Box<[u8]>, u32>,
    scratch: Vec<u8>,
    partition_of: Vec<u32>,
}

impl RowChunk {
    /// An empty chunk for `contract`.
    pub fn new(contract: &'static Contract) -> RowChunk {
        RowChunk {
            contract,
            builders: contract
                .columns
                .iter()
                .filter(|c| !c.partition)
                .map(|c| Builder::new(c.data_type()))
                .collect(),
            keys: Vec::new(),
            key_index: HashMap::new(),
            scratch: Vec::new(),
            partition_of: Vec::new(),
        }
    }

    /// Adds one row (all contract columns, partition keys included) and
    /// returns its index in the chunk.
    pub fn push(&mut self, row: &[Cell]) -> u32 {
        self.scratch.clear();
        let mut builders = self.builders.iter_mut();
        for (column, cell) in self.contract.columns.iter().zip(row) {
            if column.partition {
                self.scratch.extend_from_slice(key_part(cell).as_bytes());
                self.scratch.push(0x1f);
            } else if let Some(builder) = builders.next() {
                builder.append(cell);
            }
        }
        let partition = match self.key_index.get(self.scratch.as_slice()) {
            Some(&k) => k,
            None => {
                self.keys.push(
                    self.contract
                        .columns
                        .iter()
                        .zip(row)
                        .filter(|(c, _)| c.partition)
                        .map(|(_, cell)| key_part(cell).into_owned())
                        .collect(),
                );
                let k = (self.keys.len() - 1) as u32;
                self.key_index.insert(self.scratch.as_slice().into(), k);
                k
            }
        };
        self.partition_of.push(partition);
        (self.partition_of.len() - 1) as u32
    }

    /// Rows in the chunk.
    pub fn len(&self) -> usize {
        self.partition_of.len()
    }

    /// Whether the chunk holds no rows.
    pub fn is_empty(&self) -> bool {
        self.partition_of.is_empty()
    }

    /// Finishes the rows into Arrow arrays, each partition's rows next to
    /// each other. The costly part of handing rows over, so it belongs on
    /// the thread that built them.
    pub fn finish(mut self) -> FinishedChunk {
        let columns: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let (columns, position) = group_by_partition(columns, &self.partition_of, self.keys.len());
        FinishedChunk {
            contract: self.contract,
            chunk: Chunk {
                columns,
                keys: self.keys,
                partition_of: self.partition_of,
                position,
            },
        }
    }
}

/// Reorders a chunk's rows so that each partition's rows are contiguous, in
/// their order; returns the columns and each row's new position. A file is
/// gathered from one partition's rows of every chunk: contiguous, they are
/// read a cache line at a time instead of one miss per row and column.
fn group_by_partition(
    columns: Vec<ArrayRef>,
    partition_of: &[u32],
    partitions: usize,
) -> (Vec<ArrayRef>, Vec<u32>) {
    let mut next = vec![0u32; partitions + 1];
    for &p in partition_of {
        next[p as usize + 1] += 1;
    }
    for p in 1..next.len() {
        next[p] += next[p - 1];
    }
    let mut position = Vec::with_capacity(partition_of.len());
    let mut order = vec![0u32; partition_of.len()];
    for (row, &p) in partition_of.iter().enumerate() {
        let at = next[p as usize];
        next[p as usize] += 1;
        position.push(at);
        order[at as usize] = row as u32;
    }
    if order.iter().enumerate().all(|(i, &row)| i as u32 == row) {
        return (columns, position);
    }
    let order = arrow::array::UInt32Array::from(order);
    let columns = columns
        .iter()
        .map(|c| arrow::compute::take(c, &order, None).expect("positions are within the chunk"))
        .collect();
    (columns, position)
}

struct Chunk {
    columns: Vec<ArrayRef>,
    keys: Vec<Vec<String>>,
    partition_of: Vec<u32>,
    // Where each row (in the order pushed) is in `columns`.
    position: Vec<u32>,
}

/// Rows of a [`RowChunk`] in Arrow arrays, ready for [`Landing::add_chunk`].
pub struct FinishedChunk {
    contract: &'static Contract,
    chunk: Chunk,
}

/// Where a chunk's rows go, and how many of them still wait to be written.
struct ChunkSlot {
    chunk: Option<Chunk>,
    partitions: Vec<usize>,
    pending: usize,
}

struct Partition {
    key: Vec<String>,
    rows: Vec<(u32, u32)>,
    files: usize,
}

impl Partition {
    /// Whether it holds enough rows to be written out before the end.
    fn is_full(&self) -> bool {
        self.rows.len() >= ROWS_PER_FILE
    }
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
    // Rows pushed one at a time gather here until the next flush.
    open: Option<(usize, RowChunk)>,
    chunks: Vec<ChunkSlot>,
    partition_index: HashMap<Vec<String>, usize>,
    partitions: Vec<Partition>,
    stats: LandingStats,
}

/// A chunk handed to a [`Landing`]; its rows land with [`Landing::land`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkId(usize);

impl Landing {
    /// A landing for `contract`; `stem` starts every file name and must be
    /// derived from the input (its content hash), never from the clock.
    pub fn new(contract: &'static Contract, stem: impl Into<String>) -> Landing {
        Landing {
            contract,
            stem: stem.into(),
            open: None,
            chunks: Vec::new(),
            partition_index: HashMap::new(),
            partitions: Vec::new(),
            stats: LandingStats::default(),
        }
    }

    /// The table the rows are for.
    pub fn contract(&self) -> &'static Contract {
        self.contract
    }

    /// Names the files written from now on (see [`Landing::new`]), for a
    /// landing created before its input was read to its end.
    pub fn set_stem(&mut self, stem: &str) {
        stem.clone_into(&mut self.stem);
    }

    /// Whether a partition holds enough rows to be written out.
    pub fn has_full_partition(&self) -> bool {
        self.partitions.iter().any(Partition::is_full)
    }

    /// Adds one row (all contract columns, partition keys included).
    pub fn push(&mut self, row: &[Cell]) {
        if self.open.is_none() {
            let id = self.new_slot(None);
            self.open = Some((id, RowChunk::new(self.contract)));
        }
        let (id, chunk) = self.open.as_mut().expect("opened above");
        let id = *id;
        let r = chunk.push(row);
        let local = chunk.partition_of[r as usize] as usize;
        if local == self.chunks[id].partitions.len() {
            let key = chunk.keys[local].clone();
            let p = self.partition_for(&key);
            self.chunks[id].partitions.push(p);
        }
        self.land(ChunkId(id), r);
    }

    /// Takes a chunk built elsewhere. None of its rows land until they are
    /// passed to [`Landing::land`], which must happen before the next flush.
    pub fn add_chunk(&mut self, chunk: FinishedChunk) -> ChunkId {
        assert!(
            std::ptr::eq(chunk.contract, self.contract),
            "a chunk of {} handed to the landing of {}",
            chunk.contract.name,
            self.contract.name
        );
        let chunk = chunk.chunk;
        let partitions = chunk
            .keys
            .iter()
            .map(|key| self.partition_for(key))
            .collect();
        let id = self.new_slot(Some(chunk));
        self.chunks[id].partitions = partitions;
        ChunkId(id)
    }

    /// Lands row `row` of a chunk.
    pub fn land(&mut self, chunk: ChunkId, row: u32) {
        let slot = &mut self.chunks[chunk.0];
        let local = match (&slot.chunk, &self.open) {
            (Some(c), _) => c.partition_of[row as usize],
            (None, Some((id, open))) if *id == chunk.0 => open.partition_of[row as usize],
            _ => panic!("row {row} of a chunk that was already written"),
        };
        slot.pending += 1;
        let p = slot.partitions[local as usize];
        self.partitions[p].rows.push((chunk.0 as u32, row));
    }

    fn new_slot(&mut self, chunk: Option<Chunk>) -> usize {
        self.chunks.push(ChunkSlot {
            chunk,
            partitions: Vec::new(),
            pending: 0,
        });
        self.chunks.len() - 1
    }

    fn partition_for(&mut self, key: &[String]) -> usize {
        if let Some(&p) = self.partition_index.get(key) {
            return p;
        }
        self.partitions.push(Partition {
            key: key.to_vec(),
            rows: Vec::new(),
            files: 0,
        });
        self.partition_index
            .insert(key.to_vec(), self.partitions.len() - 1);
        self.partitions.len() - 1
    }

    /// Rows buffered and not yet written.
    pub fn buffered_rows(&self) -> usize {
        self.partitions.iter().map(|p| p.rows.len()).sum()
    }

    /// Writes the partitions that are full, or all of them with `all`.
    pub async fn flush(&mut self, lake: &Lake, all: bool) -> Result<(), LakeError> {
        self.seal_open();
        let mut due: Vec<usize> = (0..self.partitions.len())
            .filter(|&p| {
                let partition = &self.partitions[p];
                !partition.rows.is_empty() && (all || partition.is_full())
            })
            .collect();
        // Written in key order, so the files list the same on every run.
        due.sort_by(|&a, &b| self.partitions[a].key.cmp(&self.partitions[b].key));
        // A wave's PUTs run while the next wave is encoded; at most two
        // waves of encoded files wait in memory. One after another: many
        // concurrent file creations cost the filesystem more than they save.
        let mut writing: Option<tokio::task::JoinHandle<Result<Vec<WrittenFile>, LakeError>>> =
            None;
        debug_assert!(
            due.is_empty() || !self.stem.is_empty(),
            "a landing writes only once its files are named"
        );
        for wave in due.chunks(FILES_PER_WAVE) {
            let encoded: Vec<_> = wave
                .par_iter()
                .map(|&p| {
                    let partition = &self.partitions[p];
                    let batch = self.gather(partition)?;
                    let name = format!("{}-{:04}", self.stem, partition.files);
                    lake.encode_table_file(self.contract, &partition.key, &name, &batch)
                })
                .collect();
            let mut files = Vec::with_capacity(encoded.len());
            for (&p, file) in wave.iter().zip(encoded) {
                files.push(file?);
                let partition = &mut self.partitions[p];
                partition.files += 1;
                for (chunk, _) in std::mem::take(&mut partition.rows) {
                    self.chunks[chunk as usize].pending -= 1;
                }
            }
            let lake = lake.clone();
            let started = tokio::spawn(async move {
                let mut written = Vec::with_capacity(files.len());
                for file in files {
                    written.push(lake.put_table_file(file).await?);
                }
                Ok(written)
            });
            if let Some(handle) = writing.replace(started) {
                self.wrote(handle.await)?;
            }
        }
        if let Some(handle) = writing {
            self.wrote(handle.await)?;
        }
        // Every row of a chunk is landed before a flush, so a chunk with
        // nothing pending is not needed any more.
        for slot in self.chunks.iter_mut().filter(|s| s.pending == 0) {
            slot.chunk = None;
        }
        Ok(())
    }

    fn wrote(
        &mut self,
        put: Result<Result<Vec<WrittenFile>, LakeError>, tokio::task::JoinError>,
    ) -> Result<(), LakeError> {
        let written = put.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        for file in written {
            self.stats.rows += file.rows;
            self.stats.files.push(file);
        }
        Ok(())
    }

    fn seal_open(&mut self) {
        if let Some((id, open)) = self.open.take() {
            self.chunks[id].chunk = Some(open.finish().chunk);
        }
    }

    /// The rows of `partition` as one batch, in the order they landed.
    fn gather(&self, partition: &Partition) -> Result<RecordBatch, LakeError> {
        let broken = |message: String| {
            LakeError::Contract(ContractError::Broken {
                table: self.contract.name.clone(),
                message,
            })
        };
        let mut local = vec![usize::MAX; self.chunks.len()];
        let mut sources: Vec<&Chunk> = Vec::new();
        let indices: Vec<(usize, usize)> = partition
            .rows
            .iter()
            .map(|&(chunk, row)| {
                let slot = &mut local[chunk as usize];
                if *slot == usize::MAX {
                    sources.push(
                        self.chunks[chunk as usize]
                            .chunk
                            .as_ref()
                            .expect("a chunk with pending rows is kept"),
                    );
                    *slot = sources.len() - 1;
                }
                (*slot, sources[*slot].position[row as usize] as usize)
            })
            .collect();
        let schema = self.contract.file_schema();
        let columns = (0..schema.fields().len())
            .map(|c| {
                let values: Vec<&dyn Array> =
                    sources.iter().map(|s| s.columns[c].as_ref()).collect();
                // Exports leave many columns empty; those need no gathering.
                if values.iter().all(|v| v.null_count() == v.len()) {
                    return Ok(arrow::array::new_null_array(
                        values[0].data_type(),
                        indices.len(),
                    ));
                }
                arrow::compute::interleave(&values, &indices).map_err(|e| broken(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(schema, columns).map_err(|e| broken(e.to_string()))
    }

    /// Writes everything left and returns what was written.
    pub async fn finish(mut self, lake: &Lake) -> Result<LandingStats, LakeError> {
        self.flush(lake, true).await?;
        Ok(self.stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::table;

    fn row<'a>(contract: &Contract, platform: &'a str, post: &'a str) -> Vec<Cell<'a>> {
        contract
            .columns
            .iter()
            .map(|c| match c.name.as_str() {
                "platform" => Cell::Str(platform.into()),
                "dt" => Cell::Str("2024-01-15".into()),
                "post_id" => Cell::Str(post.into()),
                "published_at" | "collected_at" => Cell::Time(1_705_000_000_000_000),
                "source" => Cell::Str("test".into()),
                "source_record" => Cell::Int(1),
                _ => Cell::Null,
            })
            .collect()
    }

    #[test]
    fn chunks_and_pushed_rows_share_partitions_in_landing_order() {
        let contract = table("raw.posts").unwrap();
        let mut landing = Landing::new(contract, "t");
        landing.push(&row(contract, "x", "p1"));
        let mut chunk = RowChunk::new(contract);
        // Partitions interleaved, so that finishing the chunk regroups them.
        let a = chunk.push(&row(contract, "x", "p2"));
        let b = chunk.push(&row(contract, "instagram", "p3"));
        let skipped = chunk.push(&row(contract, "x", "dup"));
        let c = chunk.push(&row(contract, "x", "p2b"));
        assert_eq!(chunk.len(), 4);
        let id = landing.add_chunk(chunk.finish());
        landing.land(id, b);
        landing.land(id, a);
        landing.land(id, c);
        landing.push(&row(contract, "x", "p4"));
        assert_eq!(landing.buffered_rows(), 5);
        assert_ne!(skipped, a);

        landing.seal_open();
        let key = vec!["x".to_string(), "2024-01-15".to_string()];
        let x = &landing.partitions[landing.partition_index[&key]];
        let batch = landing.gather(x).unwrap();
        let posts = batch
            .column_by_name("post_id")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        let posts: Vec<_> = posts.iter().flatten().collect();
        assert_eq!(posts, ["p1", "p2", "p2b", "p4"]);
        let key = vec!["instagram".to_string(), "2024-01-15".to_string()];
        let instagram = &landing.partitions[landing.partition_index[&key]];
        let batch = landing.gather(instagram).unwrap();
        let posts = batch.column_by_name("post_id").unwrap();
        let posts = posts
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(posts.iter().flatten().collect::<Vec<_>>(), ["p3"]);
    }
}
