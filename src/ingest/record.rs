//! Mapping one JSON record onto rows through its payload contract, the same
//! for imported files and collected API items.

use serde_json::{Map, Value};

use super::doc::Doc;
use super::mapper::{Reject, RowMapper};
use super::value::{Cell, Raw};

/// The rows of one JSON object: one row, or one per variant when the payload
/// explodes (A/B tests).
pub fn map_object(
    mapper: &RowMapper,
    object: &Map<String, Value>,
    record_no: i64,
) -> Result<Vec<Vec<Cell<'static>>>, Reject> {
    map_doc(mapper, &Doc::from_map(object), record_no)
}

/// [`map_object`] for a record parsed in place; `object` is a
/// [`Doc::Object`].
pub fn map_doc(
    mapper: &RowMapper,
    object: &Doc<'_>,
    record_no: i64,
) -> Result<Vec<Vec<Cell<'static>>>, Reject> {
    let owned = |row: Vec<Cell<'_>>| row.into_iter().map(Cell::into_owned).collect();
    match &mapper.payload().explode {
        None => Ok(vec![owned(mapper.map_row(
            &|f| lookup(object, None, f.name),
            None,
            record_no,
        )?)]),
        Some(explode) if explode.list.is_some() => {
            let list = explode.list.as_deref().unwrap_or_default();
            let key = explode.key.as_deref().unwrap_or_default();
            let variants = object
                .get(list)
                .and_then(Doc::as_list)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Reject::field(list, format!("no variants: {list} is missing or empty"))
                })?;
            let mut rows = Vec::with_capacity(variants.len());
            let mut keys = std::collections::BTreeSet::new();
            for (i, variant) in variants.iter().enumerate() {
                let name = match variant.get(key) {
                    Some(Doc::Str(s)) if !s.is_empty() => s.to_string(),
                    Some(Doc::Number(n)) => n.to_string(),
                    _ => {
                        return Err(Reject::field(
                            list,
                            format!("variant {} of {list} has no {key}", i + 1),
                        ))
                    }
                };
                if !keys.insert(name.clone()) {
                    return Err(Reject::field(
                        list,
                        format!("variant {name:?} appears twice in {list}"),
                    ));
                }
                rows.push(owned(mapper.map_row(
                    &|f| lookup(object, Some(variant), f.name),
                    Some(&name),
                    record_no,
                )?));
            }
            Ok(rows)
        }
        Some(explode) => {
            let mut rows = Vec::with_capacity(explode.variants.len());
            for (key, field) in &explode.variants {
                let variant = object
                    .get(field)
                    .filter(|v| v.is_object())
                    .ok_or_else(|| Reject::field(field, format!("missing variant {field}")))?;
                rows.push(owned(mapper.map_row(
                    &|f| lookup(object, Some(variant), f.name),
                    Some(key),
                    record_no,
                )?));
            }
            Ok(rows)
        }
    }
}

/// Finds `a.b.c` in a record, or `@variant.x` in the exploded variant.
fn lookup<'v>(record: &'v Doc<'v>, variant: Option<&'v Doc<'v>>, path: &str) -> Option<Raw<'v>> {
    // Paths are split by byte: every field of every record comes here.
    let (mut current, mut rest) = match path.strip_prefix("@variant.") {
        Some(rest) => (variant?, rest),
        None => (record, path),
    };
    loop {
        match rest.bytes().position(|b| b == b'.') {
            Some(dot) => {
                current = current.get(&rest[..dot])?;
                rest = &rest[dot + 1..];
            }
            None => return current.get(rest).map(Raw::Doc),
        }
    }
}
