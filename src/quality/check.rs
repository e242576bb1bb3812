//! One data-quality check: a file of `sql/checks/` whose header says what it
//! checks, how severe a failure is and its thresholds, and whose query
//! returns the failing rows.
//!
//! ```sql
//! -- Minimum samples: enough valid posts to train on.     (title: first line)
//! -- Fails for ...                                         (description)
//! --
//! -- severity: error                                       (error | warning)
//! -- param min_overall: 100                                (used as $min_overall)
//! SELECT table_name, row_key, observed, detail, source FROM ...
//! ```
//!
//! Every `$name` in the query is replaced by the parameter's value before
//! the query is planned (numbers as written, text quoted), so the query is
//! plain SQL that any engine runs; `$as_of` is the run's reference day.

use std::collections::BTreeMap;
use std::fmt;

/// How bad a failing check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Severity {
    /// Worth a look; the data can still be used.
    Warning,
    /// The data must not be trained on until it is fixed.
    Error,
}

impl Severity {
    /// The name stored in `quality.check_results.severity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The check's weight in the quality score.
    pub fn weight(self) -> f64 {
        match self {
            Severity::Warning => 1.0,
            Severity::Error => 3.0,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of the parameter every check may use: the run's reference day.
pub const AS_OF: &str = "as_of";

/// The columns a check's query returns, in this order.
pub const CHECK_COLUMNS: [&str; 5] = ["table_name", "row_key", "observed", "detail", "source"];

/// A check file's header or query is wrong.
#[derive(Debug, thiserror::Error)]
#[error("sql/checks/{check}.sql: {message}")]
pub struct CheckDefinitionError {
    /// The check.
    pub check: String,
    /// What is wrong.
    pub message: String,
}

/// One check of `sql/checks/`.
#[derive(Debug, Clone)]
pub struct Check {
    /// The file stem: `min_samples`.
    pub name: String,
    /// The header's first line.
    pub title: String,
    /// The rest of the header's prose.
    pub description: String,
    /// How bad a failure is.
    pub severity: Severity,
    /// The thresholds, as written in the header.
    pub params: BTreeMap<String, String>,
    sql: String,
}

impl Check {
    /// Reads a check file.
    pub fn parse(name: &str, text: &str) -> Result<Check, CheckDefinitionError> {
        let error = |message: String| CheckDefinitionError {
            check: name.to_string(),
            message,
        };
        let mut prose = Vec::new();
        let mut severity = None;
        let mut params = BTreeMap::new();
        for line in text.lines() {
            let Some(comment) = line.trim_start().strip_prefix("--") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let comment = comment.trim();
            if let Some(value) = comment.strip_prefix("severity:") {
                severity = Some(match value.trim() {
                    "error" => Severity::Error,
                    "warning" => Severity::Warning,
                    other => {
                        return Err(error(format!("severity {other:?} is not error or warning")))
                    }
                });
            } else if let Some(param) = comment.strip_prefix("param ") {
                let (key, value) = param
                    .split_once(':')
                    .ok_or_else(|| error(format!("{comment:?}: write `-- param NAME: VALUE`")))?;
                let key = key.trim();
                if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(error(format!("parameter name {key:?} is not a word")));
                }
                params.insert(key.to_string(), value.trim().to_string());
            } else {
                prose.push(comment.to_string());
            }
        }
        let severity = severity.ok_or_else(|| {
            error("the header has no `-- severity: error|warning` line".to_string())
        })?;
        let title = prose.first().cloned().unwrap_or_default();
        let description = prose
            .iter()
            .skip(1)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
            .trim()
            .to_string();
        let check = Check {
            name: name.to_string(),
            title,
            description,
            severity,
            params,
            sql: text.to_string(),
        };
        // Catch a parameter the header does not declare now, not at run time.
        check.resolved_sql("2000-01-01")?;
        Ok(check)
    }

    /// Sets a parameter (a `validate --param check.name=value`).
    pub fn set_param(&mut self, key: &str, value: &str) -> Result<(), CheckDefinitionError> {
        if !self.params.contains_key(key) {
            return Err(CheckDefinitionError {
                check: self.name.clone(),
                message: format!(
                    "has no parameter {key}; it has {}",
                    if self.params.is_empty() {
                        "none".to_string()
                    } else {
                        self.params.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ),
            });
        }
        let is_number = |v: &str| v.parse::<f64>().is_ok_and(f64::is_finite);
        if is_number(&self.params[key]) && !is_number(value) {
            return Err(CheckDefinitionError {
                check: self.name.clone(),
                message: format!(
                    "parameter {key} is a number (the default is {}), not {value:?}",
                    self.params[key]
                ),
            });
        }
        self.params.insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// The thresholds as one line: `min_overall=100, min_per_platform=20`.
    pub fn threshold(&self) -> String {
        if self.params.is_empty() {
            return "no failing row".to_string();
        }
        self.params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The query with every `$name` replaced by its value.
    pub fn resolved_sql(&self, as_of: &str) -> Result<String, CheckDefinitionError> {
        let mut out = String::with_capacity(self.sql.len());
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let key = &after[..len];
            let value = if key == AS_OF {
                sql_literal(as_of)
            } else {
                let value = self.params.get(key).ok_or_else(|| CheckDefinitionError {
                    check: self.name.clone(),
                    message: format!(
                        "the query uses ${key}, which the header does not declare (`-- param {key}: VALUE`)"
                    ),
                })?;
                sql_literal(value)
            };
            out.push_str(&value);
            rest = &after[len..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// A number stays as written; anything else becomes a quoted SQL string.
fn sql_literal(value: &str) -> String {
    if value.parse::<f64>().is_ok_and(f64::is_finite) {
        value.to_string()
    } else {
        format!("'{}'", value.trim_matches('"').replace('\'', "''"))
    }
}

/// Every check of `sql/checks/`, in file-name order.
pub fn checks() -> Result<Vec<Check>, CheckDefinitionError> {
    crate::contract::SQL_CHECKS
        .iter()
        .map(|(name, text)| Check::parse(name, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_check_has_a_header_and_resolves() {
        let all = checks().unwrap();
        assert!(all.len() >= 9);
        for check in &all {
            assert!(!check.title.is_empty(), "{}", check.name);
            assert!(!check.description.is_empty(), "{}", check.name);
            assert!(!check.resolved_sql("2024-01-01").unwrap().contains('$'));
        }
        let min = all.iter().find(|c| c.name == "min_samples").unwrap();
        assert_eq!(min.severity, Severity::Error);
        assert_eq!(min.threshold(), "min_overall=100, min_per_platform=20");
    }

    #[test]
    fn parameters_are_substituted_and_undeclared_ones_refused() {
        let check = Check::parse(
            "x",
            "-- Title\n-- More.\n--\n-- severity: warning\n-- param limit: 5\n-- param word: it's\nSELECT $limit, $word, $as_of, $limitless",
        )
        .unwrap_err();
        assert!(check.to_string().contains("$limitless"), "{check}");
        let mut check = Check::parse(
            "x",
            "-- Title\n-- severity: warning\n-- param limit: 5\n-- param word: it's\nSELECT $limit, $word, $as_of",
        )
        .unwrap();
        assert_eq!(
            check.resolved_sql("2024-02-03").unwrap().lines().last(),
            Some("SELECT 5, 'it''s', '2024-02-03'")
        );
        check.set_param("limit", "7").unwrap();
        assert!(check.resolved_sql("d").unwrap().contains("SELECT 7,"));
        assert!(check.set_param("nope", "1").is_err());
        let err = check.set_param("limit", "lots").unwrap_err().to_string();
        assert!(err.contains("is a number"), "{err}");
        let err = Check::parse("y", "-- Title\nSELECT 1").unwrap_err();
        assert!(err.to_string().contains("severity"), "{err}");
    }
}
