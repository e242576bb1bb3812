//! Payload contracts: how the fields of a source record (a JSON object or a
//! CSV row) map onto the columns of a lake table.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ContractError;

/// Where a column's value comes from: one or more source fields, the first
/// present one wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSource {
    /// A dotted path in a JSON record (`engagement_metrics.likes`, or
    /// `@variant.impressions` inside an exploded variant), or a CSV header.
    #[serde(deserialize_with = "one_or_many")]
    pub from: Vec<String>,
}

/// Splits one record into several rows, one per variant of an A/B test:
/// either named sub-objects (`variants`), or every element of a list
/// (`list`, each element's `key` naming its variant), for tools whose
/// experiments have any number of arms.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explode {
    /// The column that receives the variant's key.
    pub column: String,
    /// Variant key to the record field holding that variant.
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
    /// The record field holding a list of variant objects.
    #[serde(default)]
    pub list: Option<String>,
    /// With `list`: the field of each element that holds its variant key.
    #[serde(default)]
    pub key: Option<String>,
}

/// A payload contract: a built-in JSON format or a user's CSV mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The payload's name, recorded with rejects.
    pub name: String,
    /// The target table (`raw.posts`).
    pub table: String,
    /// What the payload is.
    #[serde(default)]
    pub description: String,
    /// Keys whose presence in a JSON record identifies this payload.
    #[serde(default)]
    pub detect: Vec<String>,
    /// Target column to its source fields.
    pub fields: BTreeMap<String, FieldSource>,
    /// Target column to a fixed value.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// One row per variant, for A/B tests.
    #[serde(default)]
    pub explode: Option<Explode>,
    /// CSV: lines after the header that are not records.
    #[serde(default)]
    pub skip_rows: usize,
    /// CSV: the field delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// A chrono format for timestamps that are not RFC 3339 or ISO dates.
    #[serde(default)]
    pub timestamp_format: Option<String>,
}

impl Payload {
    /// Parses a payload or mapping file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ContractError> {
        let payload: Payload = toml::from_str(text).map_err(|e| ContractError::Invalid {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let contract = super::table(&payload.table).map_err(|e| ContractError::Invalid {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        if let Some(explode) = &payload.explode {
            let shape_ok = match (&explode.list, &explode.key) {
                (Some(_), Some(_)) => explode.variants.is_empty(),
                (None, None) => !explode.variants.is_empty(),
                _ => false,
            };
            if !shape_ok {
                return Err(ContractError::Invalid {
                    file: file.to_string(),
                    message: "explode takes either `variants` (key to field) or `list` with `key`"
                        .into(),
                });
            }
        }
        let targets = payload
            .fields
            .keys()
            .chain(payload.constants.keys())
            .chain(payload.explode.iter().map(|e| &e.column));
        for column in targets {
            if contract.column(column).is_none() {
                return Err(ContractError::Invalid {
                    file: file.to_string(),
                    message: format!(
                        "{column:?} is not a column of {}; its columns are: {}",
                        contract.name,
                        contract
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        Ok(payload)
    }

    /// Whether a JSON object looks like this payload.
    pub fn matches(&self, record: &serde_json::Map<String, serde_json::Value>) -> bool {
        self.matches_keys(|k| record.contains_key(k))
    }

    /// [`Payload::matches`] for any record that can say which keys it has.
    pub fn matches_keys(&self, has_key: impl Fn(&str) -> bool) -> bool {
        !self.detect.is_empty() && self.detect.iter().all(|k| has_key(k))
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}
