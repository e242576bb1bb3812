//! The small type language of the contracts: `utf8`, `int64`, `timestamp`,
//! `list<T>`, `struct<a:T,b:T>` and a few more, mapped to Arrow types.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, TimeUnit};

/// The timezone every lake timestamp carries.
pub const UTC: &str = "UTC";

/// Parses a contract type name into its Arrow type.
pub fn parse_type(text: &str) -> Result<DataType, String> {
    let text = text.trim();
    if let Some(inner) = strip_wrapper(text, "list") {
        let item = parse_type(inner)?;
        return Ok(DataType::List(Arc::new(Field::new("item", item, true))));
    }
    if let Some(inner) = strip_wrapper(text, "struct") {
        let mut fields = Vec::new();
        for part in split_top_level(inner) {
            let (name, ty) = part
                .split_once(':')
                .ok_or_else(|| format!("struct field {part:?} must be name:type"))?;
            fields.push(Field::new(name.trim(), parse_type(ty)?, true));
        }
        return Ok(DataType::Struct(Fields::from(fields)));
    }
    Ok(match text {
        "utf8" | "string" => DataType::Utf8,
        "int32" => DataType::Int32,
        "int64" => DataType::Int64,
        "float32" => DataType::Float32,
        "float64" | "double" => DataType::Float64,
        "boolean" | "bool" => DataType::Boolean,
        "date32" | "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
        "binary" => DataType::Binary,
        other => return Err(format!("unknown type {other:?}")),
    })
}

fn strip_wrapper<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.strip_prefix(name)?
        .trim_start()
        .strip_prefix('<')?
        .strip_suffix('>')
}

/// Splits `a:int64, b:list<utf8>` at the commas that are not nested.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, ch) in text.char_indices() {
        match ch {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_parse() {
        let t = parse_type("list<struct<hex:utf8, share:float64>>").unwrap();
        let DataType::List(item) = t else {
            panic!("{t:?}")
        };
        let DataType::Struct(fields) = item.data_type() else {
            panic!()
        };
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].data_type(), &DataType::Float64);
        assert!(parse_type("list<>").is_err());
        assert!(parse_type("decimal").is_err());
    }
}
