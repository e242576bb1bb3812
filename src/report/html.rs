//! The pieces every HTML report is made of: the rows of a report query,
//! sections, inline charts, tables, and the page around them (one
//! self-contained file: inline SVG and CSS, no script, no external
//! resource).

use std::fmt::Write as _;

use arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};

use crate::query::Session;

use super::ReportQueryError;

/// One row of a report query, as JSON values by column name.
pub type Row = Map<String, Value>;

/// The rows of one report query, columns in order.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// The query's columns, in order.
    pub columns: Vec<String>,
    /// Its rows.
    pub rows: Vec<Row>,
}

impl Rows {
    /// A column's value as text ("" for null or missing).
    pub fn text(row: &Row, column: &str) -> String {
        match row.get(column) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }
    }

    /// A column's value as a number (None for null, missing or not a number).
    pub fn number(row: &Row, column: &str) -> Option<f64> {
        match row.get(column) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
    }

    /// Whether a boolean column is true.
    pub fn flag(row: &Row, column: &str) -> bool {
        matches!(row.get(column), Some(Value::Bool(true)))
    }
}

/// Runs one query of `sql/reports/` and returns its rows.
pub async fn run_query(session: &Session, name: &str, sql: &str) -> Result<Rows, ReportQueryError> {
    let error = |message: String| ReportQueryError {
        report: name.to_string(),
        message,
    };
    let frame = session.query(sql).await.map_err(|e| error(e.to_string()))?;
    let columns = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = frame.collect().await.map_err(|e| error(e.to_string()))?;
    Ok(Rows {
        columns,
        rows: to_json_rows(&batches).map_err(error)?,
    })
}

fn to_json_rows(batches: &[RecordBatch]) -> Result<Vec<Row>, String> {
    let mut buffer = Vec::new();
    {
        let mut writer = arrow::json::LineDelimitedWriter::new(&mut buffer);
        for batch in batches {
            writer.write(batch).map_err(|e| e.to_string())?;
        }
        writer.finish().map_err(|e| e.to_string())?;
    }
    String::from_utf8_lossy(&buffer)
        .lines()
        .map(|line| serde_json::from_str(line).map_err(|e| e.to_string()))
        .collect()
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1100px;color:#222}\
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ddd}\
.meta{color:#666}nav a{margin-right:12px}.score{font-size:18px}\
table{border-collapse:collapse;font-size:13px;margin:8px 0}\
td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.pass,td.true{color:#2ca02c;font-weight:bold}\
td.fail,td.error{color:#d62728;font-weight:bold}.chart svg{max-width:100%;height:auto}";

/// The whole page: a title, the lake it describes, a navigation bar of
/// (anchor, label) and the body of sections.
pub fn page(title: &str, lake: &str, nav: &[(&str, &str)], body: &str) -> String {
    let links: Vec<String> = nav
        .iter()
        .map(|(anchor, label)| format!("<a href=\"#{anchor}\">{}</a>", esc(label)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p class=\"meta\">Lake {} &middot; written {}</p>\n<nav>{}</nav>\n{body}</body>\n</html>\n",
        esc(lake),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        links.join(" "),
        title = esc(title),
    )
}

/// A section heading with its anchor.
pub fn section(body: &mut String, title: &str, anchor: &str) {
    let _ = writeln!(body, "<h2 id=\"{anchor}\">{}</h2>", esc(title));
}

/// A paragraph of HTML (the caller escapes what it interpolates).
pub fn paragraph(body: &mut String, html: &str) {
    let _ = writeln!(body, "<p>{html}</p>");
}

/// An inline chart, or a line saying why it could not be drawn.
pub fn chart(body: &mut String, drawn: Result<String, String>) {
    match drawn {
        Ok(svg) => {
            let _ = writeln!(body, "<div class=\"chart\">{svg}</div>");
        }
        Err(e) => {
            tracing::warn!(error = %e, "a chart could not be drawn");
            let _ = writeln!(body, "<p>This chart could not be drawn: {}</p>", esc(&e));
        }
    }
}

/// A table of `columns` (those the query has) of `rows`; the cells of
/// `class_from` also get their value as a CSS class (pass, fail, true).
pub fn table(body: &mut String, rows: &Rows, columns: &[&str], class_from: Option<&str>) {
    if rows.rows.is_empty() {
        body.push_str("<p>None.</p>\n");
        return;
    }
    let columns: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| rows.columns.iter().any(|have| have == c))
        .collect();
    body.push_str("<table>\n<tr>");
    for c in &columns {
        let _ = write!(body, "<th>{}</th>", esc(c));
    }
    body.push_str("</tr>\n");
    for row in &rows.rows {
        body.push_str("<tr>");
        for c in &columns {
            let text = match row.get(*c) {
                Some(Value::Number(n)) if n.is_f64() => {
                    let v = n.as_f64().unwrap_or_default();
                    if v != 0.0 && v.abs() < 1e-3 {
                        format!("{v:.2e}")
                    } else {
                        format!("{v:.4}")
                    }
                }
                _ => Rows::text(row, c),
            };
            match class_from {
                Some(k) if k == *c => {
                    let _ = write!(body, "<td class=\"{0}\">{0}</td>", esc(&text));
                }
                _ => {
                    let _ = write!(body, "<td>{}</td>", esc(&text));
                }
            }
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</table>\n");
}

/// Escapes text for HTML.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_their_cells_and_keep_only_known_columns() {
        let mut row = Row::new();
        row.insert("name".into(), Value::String("<b>&".into()));
        row.insert("score".into(), serde_json::json!(0.5));
        let rows = Rows {
            columns: vec!["name".into(), "score".into()],
            rows: vec![row],
        };
        let mut body = String::new();
        table(&mut body, &rows, &["name", "score", "absent"], Some("name"));
        assert!(body.contains("<td class=\"&lt;b&gt;&amp;\">&lt;b&gt;&amp;</td>"));
        assert!(body.contains("<td>0.5000</td>") && !body.contains("absent"));
        let html = page("T <1>", "lake/", &[("a", "A")], &body);
        assert!(html.contains("<title>T &lt;1&gt;</title>") && html.contains("href=\"#a\""));
    }
}
