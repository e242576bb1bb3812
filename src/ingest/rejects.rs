//! The reject log: every record that could not be landed, with its reason and
//! the record exactly as read, in `raw/rejects`.

use crate::contract::{table, Contract};
use crate::lake::{Lake, LakeError};

use super::landing::{Landing, LandingStats};
use super::mapper::Reject;
use super::value::{day_of, Cell};

/// Where one rejected record came from.
#[derive(Debug, Clone, Copy)]
pub struct RejectOrigin<'a> {
    /// The file or endpoint.
    pub input: &'a str,
    /// Line or item number.
    pub record: i64,
    /// The payload format, when known.
    pub payload: Option<&'a str>,
    /// The table the record was meant for, when known.
    pub table: Option<&'a str>,
}

/// Collects rejects for one ingest run.
pub struct RejectLog {
    contract: &'static Contract,
    landing: Landing,
    source: String,
    now_micros: i64,
    count: u64,
}

impl RejectLog {
    /// A log whose rows land under `raw/rejects/source=<source>/`.
    pub fn new(source: &str, stem: &str, now_micros: i64) -> RejectLog {
        let contract = table("raw.rejects").expect("raw.rejects is a built-in contract");
        RejectLog {
            contract,
            landing: Landing::new(contract, format!("{stem}-rejects")),
            source: source.to_string(),
            now_micros,
            count: 0,
        }
    }

    /// Names the log's files, for a log created before its input was read
    /// to its end.
    pub fn set_stem(&mut self, stem: &str) {
        self.landing.set_stem(&format!("{stem}-rejects"));
    }

    /// Records one reject.
    pub fn add(&mut self, origin: RejectOrigin<'_>, reject: &Reject, raw: &str) {
        let text = |v: Option<&str>| v.map_or(Cell::Null, |s| Cell::Str(s.to_string().into()));
        let row: Vec<Cell> = self
            .contract
            .columns
            .iter()
            .map(|c| match c.name.as_str() {
                "source" => Cell::Str(self.source.clone().into()),
                "dt" => Cell::Str(day_of(self.now_micros).into()),
                "input" => Cell::Str(origin.input.to_string().into()),
                "record" => Cell::Int(origin.record),
                "payload" => text(origin.payload),
                "target_table" => text(origin.table),
                "field" => text(reject.field.as_deref()),
                "reason" => Cell::Str(reject.reason.clone().into()),
                "raw" => Cell::Str(raw.to_string().into()),
                "rejected_at" => Cell::Time(self.now_micros),
                _ => Cell::Null,
            })
            .collect();
        self.landing.push(&row);
        self.count += 1;
    }

    /// Rejects recorded so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes the rejects.
    pub async fn finish(self, lake: &Lake) -> Result<LandingStats, LakeError> {
        self.landing.finish(lake).await
    }
}
