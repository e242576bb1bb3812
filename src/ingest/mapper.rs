//! Maps one source record onto rows of a table, following a payload contract.

use std::collections::BTreeMap;

use crate::contract::{Contract, Derive, Payload};

use super::value::{check, convert, day_of, Cell, Raw};
use super::{SOURCE_COLUMN, SOURCE_RECORD_COLUMN};

/// Why one record could not be landed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What is wrong, in words a person acts on.
    pub reason: String,
}

impl Reject {
    /// A reject about one field.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Reject {
            field: Some(field.into()),
            reason: reason.into(),
        }
    }

    /// A reject about the whole record.
    pub fn record(reason: impl Into<String>) -> Self {
        Reject {
            field: None,
            reason: reason.into(),
        }
    }
}

/// A source field a mapper reads: its name (a dotted JSON path or a CSV
/// header) and its place in [`RowMapper::fields`], for readers that find
/// fields by position instead of by name.
#[derive(Debug, Clone, Copy)]
pub struct Field<'m> {
    /// The field's name.
    pub name: &'m str,
    /// Its index in [`RowMapper::fields`].
    pub index: usize,
}

/// Turns records of one payload into rows of its table.
#[derive(Debug)]
pub struct RowMapper {
    contract: &'static Contract,
    payload: Payload,
    // Every field any column reads, once; per column, the indexes of the
    // fields it tries in order.
    fields: Vec<String>,
    sources: Vec<Vec<usize>>,
    fallbacks: Vec<Option<Cell<'static>>>,
    explode_column: Option<usize>,
    // Derived columns, resolved once instead of for every row.
    derived: Vec<(usize, Derived)>,
    unique: Vec<usize>,
    source_column: Option<usize>,
    record_column: Option<usize>,
    table_hash: u128,
    source_name: String,
    now_micros: i64,
}

#[derive(Debug)]
enum Derived {
    Today(String),
    Day(usize),
}

impl RowMapper {
    /// Prepares a mapper. `fallbacks` are values for columns the record
    /// leaves empty (e.g. `--platform`), on top of the payload's constants;
    /// `source_name` fills the `source` lineage column.
    pub fn new(
        payload: &Payload,
        fallbacks: &BTreeMap<String, String>,
        source_name: &str,
        now_micros: i64,
    ) -> Result<Self, String> {
        let contract = crate::contract::table(&payload.table).map_err(|e| e.to_string())?;
        let mut fields: Vec<String> = Vec::new();
        let mut sources = vec![Vec::new(); contract.columns.len()];
        for (column, source) in &payload.fields {
            let i = contract
                .index_of(column)
                .ok_or_else(|| format!("{column} is not a column of {}", contract.name))?;
            for name in &source.from {
                let index = fields.iter().position(|f| f == name).unwrap_or_else(|| {
                    fields.push(name.clone());
                    fields.len() - 1
                });
                sources[i].push(index);
            }
        }
        let mut constants = vec![None; contract.columns.len()];
        for (column, text) in payload.constants.iter().chain(fallbacks) {
            let i = contract
                .index_of(column)
                .ok_or_else(|| format!("{column} is not a column of {}", contract.name))?;
            let c = &contract.columns[i];
            let cell = convert(Raw::Text(text), c, payload.timestamp_format.as_deref())
                .and_then(|cell| check(cell, c, now_micros))
                .map(Cell::into_owned)
                .map_err(|e| format!("{column} = {text:?}: {e}"))?;
            constants[i] = Some(cell);
        }
        let explode_column = match &payload.explode {
            Some(e) => Some(
                contract
                    .index_of(&e.column)
                    .ok_or_else(|| format!("{} is not a column of {}", e.column, contract.name))?,
            ),
            None => None,
        };
        let derived = contract
            .columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let derived = match contract.derive_of(c)? {
                    Derive::Today => Derived::Today(day_of(now_micros)),
                    Derive::Day(source) => {
                        Derived::Day(contract.index_of(&source).expect("checked when loaded"))
                    }
                };
                Some((i, derived))
            })
            .collect();
        let unique = contract
            .unique_in_input
            .iter()
            .map(|c| contract.index_of(c).expect("checked when loaded"))
            .collect();
        Ok(RowMapper {
            contract,
            payload: payload.clone(),
            fields,
            sources,
            fallbacks: constants,
            explode_column,
            derived,
            unique,
            source_column: contract.index_of(SOURCE_COLUMN),
            record_column: contract.index_of(SOURCE_RECORD_COLUMN),
            table_hash: xxhash_rust::xxh3::xxh3_128(contract.name.as_bytes()),
            source_name: source_name.to_string(),
            now_micros,
        })
    }

    /// The table the rows are for.
    pub fn contract(&self) -> &'static Contract {
        self.contract
    }

    /// The payload being read.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The source fields the mapper reads, each once.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    /// Maps one record. `lookup` finds a source field in it; `variant` is
    /// the exploded variant's key.
    pub fn map_row<'v>(
        &'v self,
        lookup: &impl Fn(Field<'_>) -> Option<Raw<'v>>,
        variant: Option<&'v str>,
        record_no: i64,
    ) -> Result<Vec<Cell<'v>>, Reject> {
        let columns = &self.contract.columns;
        let mut row = Vec::with_capacity(columns.len());
        for (i, column) in columns.iter().enumerate() {
            if column.derive.is_some() {
                row.push(Cell::Null);
                continue;
            }
            let mut cell = if Some(i) == self.explode_column {
                Cell::Str(variant.unwrap_or_default().into())
            } else if Some(i) == self.source_column {
                Cell::Str(self.source_name.as_str().into())
            } else if Some(i) == self.record_column {
                Cell::Int(record_no)
            } else {
                self.read_field(i, lookup)?
            };
            if cell.is_null() {
                if let Some(fallback) = &self.fallbacks[i] {
                    cell = fallback.borrowed();
                } else if column.default.is_some() {
                    cell = Cell::Time(self.now_micros);
                }
            }
            if cell.is_null() && !column.nullable {
                return Err(Reject::field(&column.name, self.missing_reason(i)));
            }
            row.push(cell);
        }
        for (i, derived) in &self.derived {
            row[*i] = match derived {
                Derived::Today(day) => Cell::Str(day.as_str().into()),
                Derived::Day(j) => match row[*j] {
                    Cell::Time(us) => Cell::Str(day_of(us).into()),
                    _ => {
                        let source = &columns[*j].name;
                        return Err(Reject::field(
                            source,
                            format!("{} needs {source}", columns[*i].name),
                        ));
                    }
                },
            };
        }
        Ok(row)
    }

    fn read_field<'v>(
        &self,
        i: usize,
        lookup: &impl Fn(Field<'_>) -> Option<Raw<'v>>,
    ) -> Result<Cell<'v>, Reject> {
        let column = &self.contract.columns[i];
        for &index in &self.sources[i] {
            let name = self.fields[index].as_str();
            let Some(raw) = lookup(Field { name, index }) else {
                continue;
            };
            let cell = convert(raw, column, self.payload.timestamp_format.as_deref())
                .and_then(|cell| check(cell, column, self.now_micros))
                .map_err(|reason| Reject::field(name, format!("{name}: {reason}")))?;
            if !cell.is_null() {
                return Ok(cell);
            }
        }
        Ok(Cell::Null)
    }

    fn missing_reason(&self, i: usize) -> String {
        let column = &self.contract.columns[i];
        let looked = self.sources[i]
            .iter()
            .map(|&f| self.fields[f].as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let hint = if column.name == "platform" {
            "; the record names no platform: pass --platform"
        } else {
            ""
        };
        if looked.is_empty() {
            format!("missing required field {}{hint}", column.name)
        } else {
            format!(
                "missing required field {} (looked for {looked}){hint}",
                column.name
            )
        }
    }

    /// The record's key for the contract's `unique_in_input` columns.
    pub fn key(&self, row: &[Cell<'_>]) -> Option<Vec<String>> {
        if self.unique.is_empty() {
            return None;
        }
        Some(self.unique.iter().map(|&i| row[i].to_key()).collect())
    }

    /// A hash of [`RowMapper::key`] and the table, for finding duplicates
    /// without keeping every key's text.
    pub fn key_hash(&self, row: &[Cell<'_>]) -> Option<u128> {
        if self.unique.is_empty() {
            return None;
        }
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for (n, &i) in self.unique.iter().enumerate() {
            if n > 0 {
                hasher.update("\u{1f}".as_bytes());
            }
            match &row[i] {
                Cell::Str(s) => hasher.update(s.as_bytes()),
                other => hasher.update(other.to_key().as_bytes()),
            }
        }
        Some(hasher.digest128() ^ self.table_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_is_the_hash_of_the_joined_key() {
        let payload = crate::contract::payloads()
            .iter()
            .find(|p| p.name == "seed_post")
            .unwrap();
        let mapper = RowMapper::new(payload, &BTreeMap::new(), "t", 0).unwrap();
        let mut row = vec![Cell::Null; mapper.contract().columns.len()];
        row[mapper.contract().index_of("platform").unwrap()] = Cell::Str("x".into());
        row[mapper.contract().index_of("post_id").unwrap()] = Cell::Str("p1".into());
        let key = mapper.key(&row).unwrap();
        let joined = xxhash_rust::xxh3::xxh3_128(key.join("\u{1f}").as_bytes());
        assert_eq!(
            mapper.key_hash(&row),
            Some(joined ^ xxhash_rust::xxh3::xxh3_128(b"raw.posts"))
        );
    }
}
