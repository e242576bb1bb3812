//! Trend detection: visual properties whose share among a platform's
//! top-quartile posts rose or fell between the previous and the current
//! window.
//!
//! The current window is the `window` days ending on the last day (the
//! latest `dt` of `labelled_posts` unless given), the previous one the
//! `window` days before it. For each platform with at least `min_samples`
//! top-quartile posts with features in both windows, and each property of
//! `sql/jobs/trend_properties.sql`, the shares `p1` (previous) and `p2`
//! (current) are compared with the pooled two-proportion z-test,
//! `z = (p2 - p1) / sqrt(p (1 - p) (1/n1 + 1/n2))`, two-sided. The
//! p-values of every tested platform and property are adjusted together
//! by Benjamini–Hochberg; a q-value at or below the false discovery rate
//! marks the property rising or falling.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;
use chrono::{Days, NaiveDate};
use datafusion::scalar::ScalarValue;
use serde::Serialize;
use serde_json::json;

use super::{job_batches, InsightError};
use crate::features::EXTRACTOR_VERSION;
use crate::lake::Lake;
use crate::query::Session;
use crate::stats::{benjamini_hochberg, two_proportion_z};

/// The table the trends land in.
pub const TRENDS_TABLE: &str = "metrics.trends";
/// Columns of `trend_properties` before the properties.
const KEY_COLUMNS: [&str; 4] = ["platform", "window_name", "posts", "top_posts"];

/// Which way a property's share went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Significantly more of the top posts have it now.
    Rising,
    /// Significantly fewer.
    Falling,
    /// No significant change.
    Steady,
}

impl Direction {
    /// The name stored in `metrics.trends`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Rising => "rising",
            Direction::Falling => "falling",
            Direction::Steady => "steady",
        }
    }
}

/// One platform and property, tested.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The platform.
    pub platform: String,
    /// The property.
    pub property: String,
    /// Top posts in the previous window.
    pub previous_top_posts: i64,
    /// Of those, with the property.
    pub previous_with: i64,
    /// Top posts in the current window.
    pub current_top_posts: i64,
    /// Of those, with the property.
    pub current_with: i64,
    /// `previous_with / previous_top_posts`.
    pub previous_share: f64,
    /// `current_with / current_top_posts`.
    pub current_share: f64,
    /// The z statistic; `None` when the pooled share is 0 or 1.
    pub z: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted p-value.
    pub q_value: f64,
    /// The verdict at the run's false discovery rate.
    pub direction: Direction,
}

/// A platform left out for lack of top posts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedPlatform {
    /// The platform.
    pub platform: String,
    /// Its top posts in the previous window.
    pub previous_top_posts: i64,
    /// And in the current one.
    pub current_top_posts: i64,
}

/// What a trends run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendReport {
    /// The run's name (`<last day>_<window>d`), its partition in `metrics.trends`.
    pub run: String,
    /// First day of the previous window.
    pub previous_start: NaiveDate,
    /// First day of the current window.
    pub current_start: NaiveDate,
    /// Last day of the current window.
    pub current_end: NaiveDate,
    /// The false discovery rate controlled.
    pub fdr: f64,
    /// Every tested platform and property, the significant ones first.
    pub trends: Vec<Trend>,
    /// Platforms with fewer than the minimum of top posts in a window.
    pub skipped: Vec<SkippedPlatform>,
    /// The file written, if any.
    pub written: Option<String>,
}

impl TrendReport {
    /// The rising and falling properties.
    pub fn significant(&self) -> impl Iterator<Item = &Trend> {
        self.trends
            .iter()
            .filter(|t| t.direction != Direction::Steady)
    }
}

/// A trends run over a lake.
#[derive(Debug, Clone)]
pub struct TrendJob {
    window_days: u32,
    min_samples: i64,
    last_day: Option<NaiveDate>,
    fdr: f64,
    write: bool,
}

impl Default for TrendJob {
    fn default() -> Self {
        TrendJob::new()
    }
}

/// Parses a window such as `30d` or `30` into days.
pub fn parse_window(text: &str) -> Result<u32, InsightError> {
    let digits = text.trim().trim_end_matches(['d', 'D']);
    match digits.parse::<u32>() {
        Ok(days) if days > 0 => Ok(days),
        _ => Err(InsightError::BadWindow {
            given: text.to_string(),
        }),
    }
}

impl TrendJob {
    /// 30-day windows, 50 top posts per window at least, FDR 5%, written.
    pub fn new() -> TrendJob {
        TrendJob {
            window_days: 30,
            min_samples: 50,
            last_day: None,
            fdr: 0.05,
            write: true,
        }
    }

    /// Days per window.
    pub fn with_window_days(mut self, days: u32) -> TrendJob {
        self.window_days = days.max(1);
        self
    }

    /// Top-quartile posts a platform needs in each window to be tested.
    pub fn with_min_samples(mut self, n: usize) -> TrendJob {
        self.min_samples = i64::try_from(n).unwrap_or(i64::MAX);
        self
    }

    /// The current window's last day (default: the latest labelled post's day).
    pub fn with_last_day(mut self, day: Option<NaiveDate>) -> TrendJob {
        self.last_day = day;
        self
    }

    /// The false discovery rate of the Benjamini–Hochberg procedure.
    pub fn with_fdr(mut self, fdr: f64) -> TrendJob {
        self.fdr = fdr;
        self
    }

    /// Whether to write `metrics.trends` (default yes).
    pub fn with_write(mut self, write: bool) -> TrendJob {
        self.write = write;
        self
    }

    /// Runs the tests and writes `metrics/trends/run=<run>/part-0.parquet`.
    pub async fn run(&self, lake: &Lake) -> Result<TrendReport, InsightError> {
        let session = Session::open(lake).await?;
        let last_day = match self.last_day {
            Some(day) => day,
            None => latest_day(&session).await?,
        };
        let days = u64::from(self.window_days);
        let current_start = last_day - Days::new(days - 1);
        let previous_start = current_start - Days::new(days);
        let end = last_day + Days::new(1);
        let iso = |d: NaiveDate| ScalarValue::from(d.format("%Y-%m-%d").to_string());
        let batches = job_batches(
            &session,
            "trend_properties",
            vec![
                iso(previous_start),
                iso(current_start),
                iso(end),
                ScalarValue::from(EXTRACTOR_VERSION),
            ],
        )
        .await?;
        let counts = read_counts(&batches)?;
        let mut trends = Vec::new();
        let mut skipped = Vec::new();
        for (platform, windows) in &counts {
            let empty = WindowCounts::default();
            let previous = windows.get("previous").unwrap_or(&empty);
            let current = windows.get("current").unwrap_or(&empty);
            if previous.top_posts < self.min_samples || current.top_posts < self.min_samples {
                skipped.push(SkippedPlatform {
                    platform: platform.clone(),
                    previous_top_posts: previous.top_posts,
                    current_top_posts: current.top_posts,
                });
                continue;
            }
            for (property, &current_with) in &current.with {
                let previous_with = previous.with.get(property).copied().unwrap_or(0);
                let (n1, n2) = (previous.top_posts as f64, current.top_posts as f64);
                let (p1, p2) = (previous_with as f64 / n1, current_with as f64 / n2);
                // Positive z: the share rose from the previous window.
                let test = two_proportion_z(current_with as f64, n2, previous_with as f64, n1);
                trends.push(Trend {
                    platform: platform.clone(),
                    property: property.clone(),
                    previous_top_posts: previous.top_posts,
                    previous_with,
                    current_top_posts: current.top_posts,
                    current_with,
                    previous_share: p1,
                    current_share: p2,
                    z: test.map(|(z, _)| z),
                    p_value: test.map_or(1.0, |(_, p)| p),
                    q_value: 1.0,
                    direction: Direction::Steady,
                });
            }
        }
        let p: Vec<f64> = trends.iter().map(|t| t.p_value).collect();
        for (trend, q) in trends.iter_mut().zip(benjamini_hochberg(&p)) {
            trend.q_value = q;
            if q <= self.fdr {
                trend.direction = match trend.z {
                    Some(z) if z > 0.0 => Direction::Rising,
                    Some(z) if z < 0.0 => Direction::Falling,
                    _ => Direction::Steady,
                };
            }
        }
        trends.sort_by(|a, b| {
            a.q_value
                .total_cmp(&b.q_value)
                .then_with(|| a.platform.cmp(&b.platform))
                .then_with(|| a.property.cmp(&b.property))
        });
        let mut report = TrendReport {
            run: format!("{last_day}_{}d", self.window_days),
            previous_start,
            current_start,
            current_end: last_day,
            fdr: self.fdr,
            trends,
            skipped,
            written: None,
        };
        if self.write {
            report.written = write_trends(lake, &report).await?;
        }
        Ok(report)
    }
}

/// Top posts of one platform and window, and how many have each property.
#[derive(Debug, Default)]
struct WindowCounts {
    top_posts: i64,
    with: BTreeMap<String, i64>,
}

/// platform -> window name -> counts.
fn read_counts(
    batches: &[RecordBatch],
) -> Result<BTreeMap<String, BTreeMap<String, WindowCounts>>, InsightError> {
    let bad = |message: String| InsightError::Rows {
        job: "trend_properties",
        message,
    };
    let mut out: BTreeMap<String, BTreeMap<String, WindowCounts>> = BTreeMap::new();
    for batch in batches {
        let schema = batch.schema();
        let text = |name: &str| -> Result<Vec<String>, InsightError> {
            let column = batch
                .column_by_name(name)
                .ok_or_else(|| bad(format!("no {name} column")))?;
            let column = cast(column, &DataType::Utf8).map_err(|e| bad(e.to_string()))?;
            Ok(column
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect())
        };
        let number = |i: usize| -> Result<Vec<i64>, InsightError> {
            let column = cast(batch.column(i), &DataType::Int64).map_err(|e| bad(e.to_string()))?;
            let column = column.as_primitive::<Int64Type>();
            Ok((0..column.len())
                .map(|r| {
                    if column.is_null(r) {
                        0
                    } else {
                        column.value(r)
                    }
                })
                .collect())
        };
        let platforms = text(KEY_COLUMNS[0])?;
        let windows = text(KEY_COLUMNS[1])?;
        let top_index = schema
            .index_of(KEY_COLUMNS[3])
            .map_err(|_| bad("no top_posts column".into()))?;
        let top = number(top_index)?;
        let properties: Vec<(String, Vec<i64>)> = (top_index + 1..schema.fields().len())
            .map(|i| Ok((schema.field(i).name().clone(), number(i)?)))
            .collect::<Result<_, InsightError>>()?;
        for row in 0..batch.num_rows() {
            let counts = out
                .entry(platforms[row].clone())
                .or_default()
                .entry(windows[row].clone())
                .or_default();
            counts.top_posts = top[row];
            for (name, values) in &properties {
                counts.with.insert(name.clone(), values[row]);
            }
        }
    }
    Ok(out)
}

/// The latest day of `labelled_posts`.
async fn latest_day(session: &Session) -> Result<NaiveDate, InsightError> {
    let batches = job_batches(session, "trend_last_day", Vec::new()).await?;
    let bad = |message: String| InsightError::Rows {
        job: "trend_last_day",
        message,
    };
    let day = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .map(|b| cast(b.column(0), &DataType::Utf8))
        .transpose()
        .map_err(|e| bad(e.to_string()))?
        .and_then(|c| {
            let c = c.as_string::<i32>();
            (!c.is_null(0)).then(|| c.value(0).to_string())
        })
        .ok_or_else(|| {
            bad("no labelled posts in the lake: import or collect posts first".into())
        })?;
    NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| bad(format!("dt {day:?}: {e}")))
}

/// Writes the report's rows (or removes the run's file when there are none).
async fn write_trends(lake: &Lake, report: &TrendReport) -> Result<Option<String>, InsightError> {
    let contract = crate::contract::table(TRENDS_TABLE).map_err(|e| InsightError::Table {
        table: TRENDS_TABLE,
        message: e.to_string(),
    })?;
    if report.trends.is_empty() {
        let path = format!("{}/run={}/part-0.parquet", contract.path(), report.run);
        lake.delete(&path).await?;
        return Ok(None);
    }
    let rows: Vec<serde_json::Value> = report
        .trends
        .iter()
        .map(|t| {
            json!({
                "platform": t.platform,
                "property": t.property,
                "previous_start": report.previous_start.to_string(),
                "current_start": report.current_start.to_string(),
                "current_end": report.current_end.to_string(),
                "previous_top_posts": t.previous_top_posts,
                "previous_with": t.previous_with,
                "current_top_posts": t.current_top_posts,
                "current_with": t.current_with,
                "previous_share": t.previous_share,
                "current_share": t.current_share,
                "z": t.z,
                "p_value": t.p_value,
                "q_value": t.q_value,
                "direction": t.direction.name(),
                "fdr": report.fdr,
            })
        })
        .collect();
    let table_error = |message: String| InsightError::Table {
        table: TRENDS_TABLE,
        message,
    };
    let mut decoder = arrow::json::ReaderBuilder::new(contract.file_schema())
        .build_decoder()
        .map_err(|e| table_error(e.to_string()))?;
    decoder
        .serialize(&rows)
        .map_err(|e| table_error(e.to_string()))?;
    let batch = decoder
        .flush()
        .map_err(|e| table_error(e.to_string()))?
        .ok_or_else(|| table_error("no rows".into()))?;
    let written = lake
        .write_table_file(
            contract,
            std::slice::from_ref(&report.run),
            "part-0",
            &batch,
        )
        .await?;
    Ok(Some(written.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_as_days() {
        assert_eq!(parse_window("30d").unwrap(), 30);
        assert_eq!(parse_window("7").unwrap(), 7);
        assert!(parse_window("0d").is_err());
        assert!(parse_window("a month").is_err());
    }
}
