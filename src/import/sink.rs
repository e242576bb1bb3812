//! Where the adapters hand their records: the per-table landings, the
//! in-input duplicate check, the reject log and the counts.

use std::collections::{BTreeMap, HashMap};

use crate::contract::{payloads, Payload};
use crate::ingest::{Cell, Landing, Reject, RejectLog, RejectOrigin, RowMapper};
use crate::lake::{Lake, LakeError};

use super::InputReport;

/// The rows one record maps to, or why it cannot land.
pub(super) type Mapped = Result<(usize, Vec<Vec<Cell>>), Reject>;

pub(super) struct Sink {
    input: String,
    source_name: String,
    stem: String,
    now_micros: i64,
    fallbacks: BTreeMap<String, String>,
    mappers: Vec<RowMapper>,
    landings: BTreeMap<String, Landing>,
    seen: HashMap<u128, i64>,
    rejects: RejectLog,
    report: InputReport,
}

impl Sink {
    pub(super) fn new(
        input: &str,
        source_name: &str,
        stem: &str,
        now_micros: i64,
        fallbacks: &BTreeMap<String, String>,
    ) -> Sink {
        Sink {
            input: input.to_string(),
            source_name: source_name.to_string(),
            stem: stem.to_string(),
            now_micros,
            fallbacks: fallbacks.clone(),
            mappers: Vec::new(),
            landings: BTreeMap::new(),
            seen: HashMap::new(),
            rejects: RejectLog::new("import", stem, now_micros),
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

    /// Takes one record's outcome: lands its rows or logs its reject.
    pub(super) fn accept(&mut self, record_no: i64, raw: &str, mapped: Mapped) {
        self.report.read += 1;
        let (mapper_index, rows) = match mapped {
            Ok(ok) => ok,
            Err(reject) => return self.reject(record_no, None, &reject, raw),
        };
        let mapper = &self.mappers[mapper_index];
        if let Some(key) = rows.first().and_then(|row| mapper.key(row)) {
            let hash = xxhash_rust::xxh3::xxh3_128(key.join("\u{1f}").as_bytes());
            let table_hash = hash ^ xxhash_rust::xxh3::xxh3_128(mapper.contract().name.as_bytes());
            if let Some(first) = self.seen.get(&table_hash) {
                let reject = Reject::record(format!(
                    "duplicate {} ({}) in this input; first seen at record {first}",
                    mapper.contract().unique_in_input.join(", "),
                    key.join(", ")
                ));
                return self.reject(record_no, Some(mapper_index), &reject, raw);
            }
            self.seen.insert(table_hash, record_no);
        }
        let contract = mapper.contract();
        let landing = self
            .landings
            .entry(contract.name.clone())
            .or_insert_with(|| Landing::new(contract, self.stem.clone()));
        for row in &rows {
            landing.push(row);
        }
        self.report.landed += 1;
        self.report.rows += rows.len() as u64;
    }

    fn reject(&mut self, record_no: i64, mapper: Option<usize>, reject: &Reject, raw: &str) {
        let payload = mapper.map(|i| self.mappers[i].payload());
        let origin = RejectOrigin {
            input: &self.input,
            record: record_no,
            payload: payload.map(|p| p.name.as_str()),
            table: payload.map(|p| p.table.as_str()),
        };
        self.rejects.add(origin, reject, raw);
        self.report.rejected += 1;
    }

    /// Logs a record that could not even be read (bad bytes, malformed line).
    pub(super) fn reject_unreadable(&mut self, record_no: i64, reason: String, raw: &str) {
        self.report.read += 1;
        self.reject(record_no, None, &Reject::record(reason), raw);
    }

    /// Writes partitions that are full, keeping memory bounded on big inputs.
    pub(super) async fn flush_full(&mut self, lake: &Lake) -> Result<(), LakeError> {
        for landing in self.landings.values_mut() {
            landing.flush(lake, false).await?;
        }
        Ok(())
    }

    pub(super) async fn finish(mut self, lake: &Lake) -> Result<InputReport, LakeError> {
        for (_, landing) in std::mem::take(&mut self.landings) {
            let stats = landing.finish(lake).await?;
            self.report.files += stats.files.len();
        }
        debug_assert_eq!(self.rejects.count(), self.report.rejected);
        let stats = self.rejects.finish(lake).await?;
        self.report.files += stats.files.len();
        assert_eq!(
            self.report.read,
            self.report.landed + self.report.rejected,
            "every record is landed or rejected"
        );
        Ok(self.report)
    }
}
