//! The landing engine shared by `import` and `collect`: it turns source
//! records into rows that keep a table's contract, or into rejects that say
//! why, and writes both to the lake.
//!
//! Reads: records handed to it by an adapter (a JSON object, a CSV row, an
//! API item) through a field lookup. Writes: table partitions, and
//! `raw/rejects`. For every record it is given, exactly one of the two
//! happens, so landed + rejected = read always holds.

mod doc;
pub mod images;
mod landing;
mod mapper;
mod record;
mod rejects;
mod scan;
mod value;

pub use doc::Doc;
pub use landing::{ChunkId, FinishedChunk, Landing, LandingStats, RowChunk};
pub use mapper::{Field, Reject, RowMapper};
pub use record::{map_doc, map_object};
pub use rejects::{RejectLog, RejectOrigin};
pub use scan::FieldScanner;
pub use value::{day_of, format_time, parse_time, Cell, Raw};

/// The name of the lineage column holding where a row came from.
pub const SOURCE_COLUMN: &str = "source";
/// The name of the lineage column holding the record's position in its source.
pub const SOURCE_RECORD_COLUMN: &str = "source_record";
