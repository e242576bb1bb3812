//! The settings the SQL views read (`sql/settings.toml`), registered as the
//! one-row table `meta.settings` with one typed column per setting.
//!
//! Values come from the embedded defaults, then the lake's own
//! `settings.toml` (a team's choice for its lake), then `--set NAME=VALUE`
//! (one command's choice); each is checked against the default's type and
//! `one_of`.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use serde::Deserialize;

use crate::contract::SQL_SETTINGS;

/// The lake path of a lake's own settings file.
pub const LAKE_SETTINGS_FILE: &str = "settings.toml";

/// A setting is unknown or has a value it cannot take.
#[derive(Debug, thiserror::Error)]
#[error("setting {name} (from {origin}): {message}")]
pub struct SettingsError {
    /// The setting.
    pub name: String,
    /// Where the value came from: `--set`, the lake's settings.toml, sql/settings.toml.
    pub origin: String,
    /// What is wrong, with the allowed values.
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declared {
    value: toml::Value,
    #[serde(default)]
    one_of: Option<Vec<String>>,
    #[serde(default)]
    description: String,
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// Text.
    Text(String),
    /// A float.
    Float(f64),
    /// A whole number.
    Int(i64),
    /// A flag.
    Bool(bool),
}

impl std::fmt::Display for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Text(s) => write!(f, "{s}"),
            SettingValue::Float(v) => write!(f, "{v}"),
            SettingValue::Int(v) => write!(f, "{v}"),
            SettingValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

/// The settings of one session.
#[derive(Debug, Clone)]
pub struct Settings {
    declared: BTreeMap<String, Declared>,
    values: BTreeMap<String, SettingValue>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::defaults()
    }
}

impl Settings {
    /// The defaults of `sql/settings.toml`.
    pub fn defaults() -> Settings {
        let text = SQL_SETTINGS
            .iter()
            .find(|(stem, _)| *stem == "settings")
            .map(|(_, text)| *text)
            .expect("sql/settings.toml is embedded at build time");
        // Compiled in and covered by a unit test: a bad file is a build defect.
        let declared: BTreeMap<String, Declared> =
            toml::from_str(text).unwrap_or_else(|e| panic!("sql/settings.toml: {e}"));
        let mut settings = Settings {
            declared: declared.clone(),
            values: BTreeMap::new(),
        };
        for (name, d) in &declared {
            let value = settings
                .convert(name, &d.value, "sql/settings.toml")
                .unwrap_or_else(|e| panic!("{e}"));
            settings.values.insert(name.clone(), value);
        }
        settings
    }

    /// Applies a `settings.toml` of plain `name = value` lines.
    pub fn apply_toml(&mut self, text: &str, origin: &str) -> Result<(), SettingsError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| SettingsError {
            name: "*".into(),
            origin: origin.into(),
            message: e.to_string(),
        })?;
        for (name, value) in &table {
            let value = self.convert(name, value, origin)?;
            self.values.insert(name.clone(), value);
        }
        Ok(())
    }

    /// Applies one `NAME=VALUE` (the `--set` flag).
    pub fn set(&mut self, assignment: &str) -> Result<(), SettingsError> {
        let (name, text) = assignment.split_once('=').ok_or_else(|| SettingsError {
            name: assignment.into(),
            origin: "--set".into(),
            message: "write NAME=VALUE, e.g. --set balance_strategy=downsample".into(),
        })?;
        let (name, text) = (name.trim(), text.trim());
        let value = match self.declared.get(name).map(|d| &d.value) {
            Some(toml::Value::String(_)) | None => toml::Value::String(text.to_string()),
            Some(_) => toml::from_str::<toml::Table>(&format!("v = {text}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(text.to_string())),
        };
        let value = self.convert(name, &value, "--set")?;
        self.values.insert(name.to_string(), value);
        Ok(())
    }

    fn convert(
        &self,
        name: &str,
        value: &toml::Value,
        origin: &str,
    ) -> Result<SettingValue, SettingsError> {
        let error = |message: String| SettingsError {
            name: name.to_string(),
            origin: origin.to_string(),
            message,
        };
        let declared = self.declared.get(name).ok_or_else(|| {
            error(format!(
                "unknown setting; the settings are {}",
                self.declared.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let converted = match (&declared.value, value) {
            (toml::Value::String(_), toml::Value::String(s)) => SettingValue::Text(s.clone()),
            (toml::Value::Float(_), toml::Value::Float(v)) => SettingValue::Float(*v),
            (toml::Value::Float(_), toml::Value::Integer(v)) => SettingValue::Float(*v as f64),
            (toml::Value::Integer(_), toml::Value::Integer(v)) => SettingValue::Int(*v),
            (toml::Value::Boolean(_), toml::Value::Boolean(v)) => SettingValue::Bool(*v),
            (want, got) => {
                return Err(error(format!(
                    "{got} is a {}, the setting takes a {}",
                    got.type_str(),
                    want.type_str()
                )))
            }
        };
        if let (Some(allowed), SettingValue::Text(s)) = (&declared.one_of, &converted) {
            if !allowed.contains(s) {
                return Err(error(format!("{s:?} is not one of {}", allowed.join(", "))));
            }
        }
        if let SettingValue::Float(v) = converted {
            if !v.is_finite() {
                return Err(error(format!("{v} is not a finite number")));
            }
        }
        Ok(converted)
    }

    /// The value of a setting.
    pub fn get(&self, name: &str) -> Option<&SettingValue> {
        self.values.get(name)
    }

    /// Every setting and its value, by name.
    pub fn values(&self) -> impl Iterator<Item = (&str, &SettingValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Every setting with its value and description, for help and reports.
    pub fn describe(&self) -> Vec<(String, String, String)> {
        self.values
            .iter()
            .map(|(name, value)| {
                let description = self
                    .declared
                    .get(name)
                    .map(|d| d.description.clone())
                    .unwrap_or_default();
                (name.clone(), value.to_string(), description)
            })
            .collect()
    }

    /// The one-row `meta.settings` batch.
    pub fn to_batch(&self) -> RecordBatch {
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (name, value) in &self.values {
            let (data_type, array): (DataType, ArrayRef) = match value {
                SettingValue::Text(s) => (
                    DataType::Utf8,
                    Arc::new(StringArray::from(vec![s.as_str()])),
                ),
                SettingValue::Float(v) => {
                    (DataType::Float64, Arc::new(Float64Array::from(vec![*v])))
                }
                SettingValue::Int(v) => (DataType::Int64, Arc::new(Int64Array::from(vec![*v]))),
                SettingValue::Bool(v) => {
                    (DataType::Boolean, Arc::new(BooleanArray::from(vec![*v])))
                }
            };
            fields.push(Field::new(name, data_type, false));
            columns.push(array);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .expect("one value per declared setting")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_overrides_are_checked() {
        let mut settings = Settings::defaults();
        assert_eq!(
            settings.get("balance_strategy"),
            Some(&SettingValue::Text("weight".into()))
        );
        settings.set("balance_strategy=downsample").unwrap();
        settings.set("balance_max_ratio=2").unwrap();
        assert_eq!(
            settings.get("balance_max_ratio"),
            Some(&SettingValue::Float(2.0))
        );
        let err = settings
            .set("balance_strategy=random")
            .unwrap_err()
            .to_string();
        assert!(err.contains("none, weight, downsample"), "{err}");
        let err = settings.set("ab_alpha=lots").unwrap_err().to_string();
        assert!(err.contains("ab_alpha") && err.contains("float"), "{err}");
        let err = settings.set("nope=1").unwrap_err().to_string();
        assert!(err.contains("unknown setting"), "{err}");
        settings
            .apply_toml("ab_alpha = 0.01\n", "lake settings.toml")
            .unwrap();
        let batch = settings.to_batch();
        assert_eq!(batch.num_rows(), 1);
        assert!(batch.schema().field_with_name("ab_alpha").is_ok());
    }
}
