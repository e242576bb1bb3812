//! One value on its way from a source record to an Arrow column: reading it
//! in the column's type, and the contract's checks on it.

use std::borrow::Cow;

use arrow::datatypes::DataType;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{Number, Value};

use crate::contract::Column;

use super::doc::Doc;

/// A source value: a JSON value, or the text of a CSV cell.
#[derive(Debug, Clone, Copy)]
pub enum Raw<'a> {
    /// From a JSON record.
    Json(&'a serde_json::Value),
    /// From a JSON record parsed in place.
    Doc(&'a Doc<'a>),
    /// From a text cell.
    Text(&'a str),
}

/// What [`convert`] sees of a source value, whichever way it was read.
#[derive(Clone, Copy)]
enum View<'a> {
    Null,
    Text(&'a str),
    Number(&'a Number),
    Bool(bool),
    List,
    Object,
}

impl<'a> View<'a> {
    fn of(raw: Raw<'a>) -> View<'a> {
        match raw {
            Raw::Text(s) => View::Text(s),
            Raw::Json(v) => match v {
                Value::Null => View::Null,
                Value::Bool(b) => View::Bool(*b),
                Value::Number(n) => View::Number(n),
                Value::String(s) => View::Text(s),
                Value::Array(_) => View::List,
                Value::Object(_) => View::Object,
            },
            Raw::Doc(d) => match d {
                Doc::Null => View::Null,
                Doc::Bool(b) => View::Bool(*b),
                Doc::Number(n) => View::Number(n),
                Doc::Str(s) => View::Text(s),
                Doc::List(_) => View::List,
                Doc::Object(_) => View::Object,
            },
        }
    }

    /// How an error message names the value.
    fn describe(self) -> String {
        match self {
            View::Null => "null".into(),
            View::Text(s) => format!("{s:?}"),
            View::Number(n) => n.to_string(),
            View::Bool(b) => b.to_string(),
            View::List => "a list".into(),
            View::Object => "an object".into(),
        }
    }
}

/// A value read in its column's type. Text borrows the record it was read
/// from where it can: a row's cells are copied into Arrow builders next,
/// so a copy of each of them would only cost time.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// No value.
    Null,
    /// Text.
    Str(Cow<'a, str>),
    /// A whole number (int32 and int64 columns).
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Microseconds since the Unix epoch, UTC.
    Time(i64),
}

impl Cell<'_> {
    /// Whether the cell holds nothing.
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The cell, borrowing its text from this one.
    pub fn borrowed(&self) -> Cell<'_> {
        match self {
            Cell::Null => Cell::Null,
            Cell::Str(s) => Cell::Str(Cow::Borrowed(s)),
            Cell::Int(v) => Cell::Int(*v),
            Cell::Float(v) => Cell::Float(*v),
            Cell::Bool(v) => Cell::Bool(*v),
            Cell::Time(v) => Cell::Time(*v),
        }
    }

    /// The cell, owning its text.
    pub fn into_owned(self) -> Cell<'static> {
        match self {
            Cell::Null => Cell::Null,
            Cell::Str(s) => Cell::Str(Cow::Owned(s.into_owned())),
            Cell::Int(v) => Cell::Int(v),
            Cell::Float(v) => Cell::Float(v),
            Cell::Bool(v) => Cell::Bool(v),
            Cell::Time(v) => Cell::Time(v),
        }
    }

    /// The cell as text, for keys and partition values.
    pub fn to_key(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => s.to_string(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(v) => v.to_string(),
            Cell::Bool(v) => v.to_string(),
            Cell::Time(us) => format_time(*us),
        }
    }
}

/// Formats microseconds since the epoch as RFC 3339 UTC.
pub fn format_time(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| format!("{micros}us"))
}

/// The UTC day (YYYY-MM-DD) of a time in microseconds.
pub fn day_of(micros: i64) -> String {
    use chrono::Datelike;
    let Some(t) = DateTime::from_timestamp_micros(micros) else {
        return String::new();
    };
    // Every landed row derives its partition from this: digits written one
    // by one skip the formatting machinery.
    match t.year() {
        0..=9999 => {
            let (y, m, d) = (t.year() as u32, t.month(), t.day());
            let digits = [
                y / 1000,
                y / 100 % 10,
                y / 10 % 10,
                y % 10,
                10,
                m / 10,
                m % 10,
                10,
                d / 10,
                d % 10,
            ];
            digits
                .iter()
                .map(|&n| {
                    if n == 10 {
                        '-'
                    } else {
                        char::from(b'0' + n as u8)
                    }
                })
                .collect()
        }
        _ => t.format("%Y-%m-%d").to_string(),
    }
}

/// Reads `raw` as a value of `column`'s type. `timestamp_format` is an
/// extra chrono format for times that are neither RFC 3339 nor ISO.
pub fn convert<'a>(
    raw: Raw<'a>,
    column: &Column,
    timestamp_format: Option<&str>,
) -> Result<Cell<'a>, String> {
    let view = View::of(raw);
    let text = match view {
        View::Null => return Ok(Cell::Null),
        View::Text(t) if t.trim().is_empty() => return Ok(Cell::Null),
        View::Text(t) => Some(t),
        _ => None,
    };
    match column.data_type() {
        DataType::Utf8 => match (view, text) {
            (_, Some(t)) => Ok(Cell::Str(Cow::Borrowed(t))),
            (View::Number(n), _) => Ok(Cell::Str(n.to_string().into())),
            (View::Bool(b), _) => Ok(Cell::Str(b.to_string().into())),
            (v, _) => Err(format!("expected text, found {}", v.describe())),
        },
        DataType::Int32 | DataType::Int64 => {
            let value = match (view, text) {
                (_, Some(t)) => parse_whole(t)?,
                (View::Number(n), _) => whole_from_number(n)?,
                (v, _) => return Err(format!("expected a whole number, found {}", v.describe())),
            };
            if column.data_type() == &DataType::Int32 && i32::try_from(value).is_err() {
                return Err(format!("{value} does not fit a 32-bit whole number"));
            }
            Ok(Cell::Int(value))
        }
        DataType::Float64 | DataType::Float32 => {
            let value = match (view, text) {
                (_, Some(t)) => t
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("expected a number, found {t:?}"))?,
                (View::Number(n), _) => n.as_f64().ok_or("number out of range")?,
                (v, _) => return Err(format!("expected a number, found {}", v.describe())),
            };
            if value.is_nan() {
                return Err("is NaN (not a number)".to_string());
            }
            if value.is_infinite() {
                return Err("is infinite".to_string());
            }
            Ok(Cell::Float(value))
        }
        DataType::Boolean => match (view, text) {
            (View::Bool(b), _) => Ok(Cell::Bool(b)),
            (_, Some(t)) => parse_bool(t).map(Cell::Bool),
            (View::Number(n), _) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(Cell::Bool(n.as_i64() == Some(1)))
            }
            (v, _) => Err(format!("expected true or false, found {}", v.describe())),
        },
        DataType::Timestamp(_, _) => match (view, text) {
            (_, Some(t)) => parse_time(t, timestamp_format).map(Cell::Time),
            (View::Number(n), _) => {
                let secs = n.as_f64().ok_or("number out of range")?;
                // Epoch milliseconds are common in exports; seconds would
                // put them thousands of years ahead.
                let micros = if secs.abs() > 1e11 {
                    secs * 1e3
                } else {
                    secs * 1e6
                };
                Ok(Cell::Time(micros as i64))
            }
            (v, _) => Err(format!("expected a time, found {}", v.describe())),
        },
        other => Err(format!("columns of type {other} cannot be imported")),
    }
}

/// Applies the contract's value checks to a converted cell, normalising
/// enumerated text (case and aliases) on the way.
pub fn check<'a>(cell: Cell<'a>, column: &Column, now_micros: i64) -> Result<Cell<'a>, String> {
    match cell {
        Cell::Str(s) if column.one_of.is_some() => {
            let allowed = column.one_of.as_deref().unwrap_or_default();
            // Most values are already in their normal form: keep them as
            // they are instead of lowering a copy.
            let normal_already = s
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && !b.is_ascii_whitespace())
                && !column.aliases.contains_key(s.as_ref())
                && allowed.iter().any(|a| *a == s);
            if normal_already {
                return Ok(Cell::Str(s));
            }
            let lowered = s.trim().to_lowercase();
            let normal = column.aliases.get(&lowered).cloned().unwrap_or(lowered);
            if allowed.contains(&normal) {
                Ok(Cell::Str(normal.into()))
            } else {
                Err(format!(
                    "unknown {} {s:?}; expected one of {}",
                    column.name,
                    allowed.join(", ")
                ))
            }
        }
        Cell::Int(v) => {
            in_range(v as f64, column)?;
            Ok(Cell::Int(v))
        }
        Cell::Float(v) => {
            in_range(v, column)?;
            Ok(Cell::Float(v))
        }
        // Five minutes of slack for clocks that disagree a little.
        Cell::Time(us) if column.not_future && us > now_micros + 300_000_000 => Err(format!(
            "{} is in the future (now is {})",
            format_time(us),
            format_time(now_micros)
        )),
        other => Ok(other),
    }
}

fn in_range(v: f64, column: &Column) -> Result<(), String> {
    if let Some(min) = column.min {
        if v < min {
            return Err(if min == 0.0 {
                format!("is negative ({v})")
            } else {
                format!("{v} is below the minimum {min}")
            });
        }
    }
    if let Some(max) = column.max {
        if v > max {
            return Err(format!("{v} is above the maximum {max}"));
        }
    }
    Ok(())
}

fn whole_from_number(n: &Number) -> Result<i64, String> {
    if let Some(v) = n.as_i64() {
        return Ok(v);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(format!("expected a whole number, found {n}")),
    }
}

/// Whole numbers as exports write them: `1250`, `1,250`, `1250.0`.
fn parse_whole(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Ok(v);
    }
    let grouped = t.contains(',')
        && t.split(',')
            .skip(1)
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if grouped {
        if let Ok(v) = t.replace(',', "").parse::<i64>() {
            return Ok(v);
        }
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_nan() => Err("is NaN (not a number)".to_string()),
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(format!("expected a whole number, found {text:?}")),
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        _ => Err(format!("expected true or false, found {text:?}")),
    }
}

/// Reads a time: RFC 3339, an ISO date-time without zone (taken as UTC), an
/// ISO date, or the mapping's own format.
pub fn parse_time(text: &str, format: Option<&str>) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(t) {
        return Ok(time.with_timezone(&Utc).timestamp_micros());
    }
    // The Graph API writes offsets without a colon: 2024-01-15T14:30:00+0000.
    if let Ok(time) = DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z") {
        return Ok(time.with_timezone(&Utc).timestamp_micros());
    }
    let mut formats = vec![
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ];
    if let Some(f) = format {
        formats.insert(0, f);
        if let Ok(time) = DateTime::parse_from_str(t, f) {
            return Ok(time.with_timezone(&Utc).timestamp_micros());
        }
    }
    for f in formats {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(Utc.from_utc_datetime(&naive).timestamp_micros());
        }
    }
    let date_formats = format.into_iter().chain(["%Y-%m-%d"]);
    for f in date_formats {
        if let Ok(date) = NaiveDate::parse_from_str(t, f) {
            let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
            return Ok(Utc.from_utc_datetime(&midnight).timestamp_micros());
        }
    }
    Err(format!(
        "cannot read {text:?} as a time; expected RFC 3339 such as 2024-01-15T14:30:00Z{}",
        if format.is_some() {
            " or the mapping's timestamp_format"
        } else {
            " (a CSV mapping can set timestamp_format)"
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::table;

    fn col(name: &str) -> &'static Column {
        table("raw.posts").unwrap().column(name).unwrap()
    }

    #[test]
    fn numbers_read_from_json_and_text() {
        let likes = col("likes");
        let j = serde_json::json!(1250);
        assert_eq!(convert(Raw::Json(&j), likes, None), Ok(Cell::Int(1250)));
        assert_eq!(
            convert(Raw::Text("1,250"), likes, None),
            Ok(Cell::Int(1250))
        );
        assert_eq!(convert(Raw::Text("12.0"), likes, None), Ok(Cell::Int(12)));
        assert!(convert(Raw::Text("abc"), likes, None)
            .unwrap_err()
            .contains("whole number"));
        assert!(convert(Raw::Text("NaN"), likes, None)
            .unwrap_err()
            .contains("NaN"));
        assert_eq!(convert(Raw::Text(" "), likes, None), Ok(Cell::Null));
        let rate = col("engagement_rate_reported");
        assert!(convert(Raw::Text("nan"), rate, None)
            .unwrap_err()
            .contains("NaN"));
    }

    #[test]
    fn checks_normalise_and_refuse() {
        let now = parse_time("2025-01-01T00:00:00Z", None).unwrap();
        let platform = col("platform");
        assert_eq!(
            check(Cell::Str("Twitter".into()), platform, now),
            Ok(Cell::Str("x".into()))
        );
        assert!(check(Cell::Str("myspace".into()), platform, now)
            .unwrap_err()
            .contains("expected one of"));
        assert!(check(Cell::Int(-3), col("likes"), now)
            .unwrap_err()
            .contains("negative"));
        let later = parse_time("2030-01-01", None).unwrap();
        assert!(check(Cell::Time(later), col("published_at"), now)
            .unwrap_err()
            .contains("future"));
    }

    #[test]
    fn times_in_common_shapes() {
        let t = parse_time("2024-01-15T14:30:00Z", None).unwrap();
        assert_eq!(parse_time("2024-01-15 14:30:00", None).unwrap(), t);
        assert_eq!(parse_time("2024-01-15T15:30:00+01:00", None).unwrap(), t);
        assert_eq!(parse_time("2024-01-15T14:30:00+0000", None).unwrap(), t);
        assert_eq!(
            parse_time("01/15/2024 02:30:00 PM", Some("%m/%d/%Y %I:%M:%S %p")).unwrap(),
            t
        );
        assert_eq!(day_of(t), "2024-01-15");
        let autumn = parse_time("2024-11-05T23:59:59Z", None).unwrap();
        assert_eq!(day_of(autumn), "2024-11-05");
        let last = parse_time("9999-12-31T12:00:00Z", None).unwrap();
        assert_eq!(day_of(last), "9999-12-31");
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(-62_135_596_800_000_000), "0001-01-01");
        assert_eq!(day_of(253_402_300_800_000_000), "+10000-01-01");
        assert!(parse_time("yesterday", None).is_err());
    }
}
