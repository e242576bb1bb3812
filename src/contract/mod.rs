//! Table and payload contracts: the one description of every lake table and
//! every raw record format, read from the TOML files in `schemas/`.
//!
//! Reads: the files under `schemas/`, embedded at build time.
//! Gives: [`Contract`] (a table's columns, Arrow schema, partitions and value
//! checks) and [`Payload`] (how a source record's fields map onto a table).
//! To add a table, add `schemas/tables/<name>.toml`; nothing else changes.

mod payload;
mod types;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use serde::Deserialize;

pub use payload::{FieldSource, Payload};
pub use types::parse_type;

// Checks and reports are embedded with the views; the stages that run them
// pick them up from here.
#[allow(dead_code)]
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}
pub(crate) use embedded::{SQL_CHECKS, SQL_JOBS, SQL_REPORTS, SQL_SETTINGS, SQL_VIEWS};

/// The SQL of a job in `sql/jobs/`, by file stem.
pub(crate) fn job_sql(name: &str) -> &'static str {
    SQL_JOBS
        .iter()
        .find(|(stem, _)| *stem == name)
        .map(|(_, sql)| *sql)
        .unwrap_or_else(|| panic!("sql/jobs/{name}.sql is embedded at build time"))
}

/// A contract could not be read, or a batch does not keep it.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// A contract file is not valid TOML or names an unknown type.
    #[error("contract {file}: {message}")]
    Invalid {
        /// The contract's file name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// No table has this name.
    #[error("no table named {name:?}; known tables: {known}")]
    UnknownTable {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// A batch about to be written does not match its table's contract.
    #[error("batch for {table} breaks its contract: {message}")]
    Broken {
        /// The table.
        table: String,
        /// What does not match.
        message: String,
    },
}

/// One column of a table contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Column name, as in SQL and Parquet.
    pub name: String,
    /// The type as written in the contract (see `schemas/README.md`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Whether nulls are allowed.
    #[serde(default = "yes")]
    pub nullable: bool,
    /// A Hive partition key (a `key=value/` folder), not stored in the files.
    #[serde(default)]
    pub partition: bool,
    /// How a partition value is computed from another column: `day(col)` or `today()`.
    #[serde(default)]
    pub derive: Option<String>,
    /// The allowed values, for text columns.
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    /// Other spellings that mean an allowed value.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    /// Smallest allowed value, for numbers.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest allowed value, for numbers.
    #[serde(default)]
    pub max: Option<f64>,
    /// For timestamps: not later than the moment the row lands.
    #[serde(default)]
    pub not_future: bool,
    /// The value when the source gives none: only `now()`, the moment of landing.
    #[serde(default)]
    pub default: Option<String>,
    /// What the column means.
    #[serde(default)]
    pub description: String,
    #[serde(skip)]
    data_type: Option<DataType>,
}

fn yes() -> bool {
    true
}

impl Column {
    /// The column's Arrow type.
    pub fn data_type(&self) -> &DataType {
        self.data_type
            .as_ref()
            .expect("resolved when the contract is loaded")
    }

    /// The Arrow field of this column.
    pub fn field(&self) -> Field {
        Field::new(&self.name, self.data_type().clone(), self.nullable)
    }
}

/// How a derived column gets its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derive {
    /// The UTC day (YYYY-MM-DD) of a timestamp column.
    Day(String),
    /// The UTC day the row lands.
    Today,
}

/// The contract of one lake table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// The SQL name, `<area>.<table>`; the lake path is `<area>/<table>`.
    pub name: String,
    /// What a row is.
    pub description: String,
    /// Columns whose combination may appear once in one input.
    #[serde(default)]
    pub unique_in_input: Vec<String>,
    /// All columns, partition keys included, in order.
    pub columns: Vec<Column>,
    #[serde(skip)]
    file_schema: Option<SchemaRef>,
}

impl Contract {
    fn parse(file: &str, text: &str) -> Result<Self, ContractError> {
        let invalid = |message: String| ContractError::Invalid {
            file: file.to_string(),
            message,
        };
        let mut contract: Contract = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if contract.name.split('.').count() != 2 {
            return Err(invalid(format!(
                "name {:?} must be <area>.<table>",
                contract.name
            )));
        }
        for column in &mut contract.columns {
            let data_type = parse_type(&column.type_name)
                .map_err(|e| invalid(format!("column {}: {e}", column.name)))?;
            column.data_type = Some(data_type);
        }
        for column in contract.columns.iter().filter(|c| c.derive.is_some()) {
            match contract.derive_of(column) {
                Some(Derive::Day(source)) if contract.column(&source).is_none() => {
                    return Err(invalid(format!(
                        "column {} derives from unknown column {source}",
                        column.name
                    )))
                }
                None => {
                    return Err(invalid(format!(
                        "column {}: derive must be day(<column>) or today()",
                        column.name
                    )))
                }
                _ => {}
            }
        }
        if let Some(c) = contract
            .columns
            .iter()
            .find(|c| c.default.as_deref().is_some_and(|d| d != "now()"))
        {
            return Err(invalid(format!(
                "column {}: the only default is now()",
                c.name
            )));
        }
        for key in &contract.unique_in_input {
            if contract.column(key).is_none() {
                return Err(invalid(format!(
                    "unique_in_input names unknown column {key}"
                )));
            }
        }
        let fields: Vec<Field> = contract
            .columns
            .iter()
            .filter(|c| !c.partition)
            .map(Column::field)
            .collect();
        contract.file_schema = Some(Arc::new(Schema::new(fields)));
        Ok(contract)
    }

    /// The lake path of the table, e.g. `raw/posts`.
    pub fn path(&self) -> String {
        self.name.replace('.', "/")
    }

    /// The SQL schema (`raw`) and table (`posts`) names.
    pub fn sql_name(&self) -> (&str, &str) {
        self.name.split_once('.').expect("checked when loaded")
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The index of the column with this name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Partition key columns, in folder order.
    pub fn partition_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.partition)
    }

    /// The schema of the Parquet files (no partition keys).
    pub fn file_schema(&self) -> SchemaRef {
        self.file_schema.clone().expect("built when loaded")
    }

    /// The schema a query sees: file columns, then partition keys.
    pub fn table_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .file_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(self.partition_columns().map(Column::field));
        Arc::new(Schema::new(fields))
    }

    /// How `column`'s value is derived, if it is.
    pub fn derive_of(&self, column: &Column) -> Option<Derive> {
        let spec = column.derive.as_deref()?.trim();
        if spec == "today()" {
            return Some(Derive::Today);
        }
        let inner = spec.strip_prefix("day(")?.strip_suffix(')')?;
        Some(Derive::Day(inner.trim().to_string()))
    }

    /// Checks that `batch` has exactly the file schema: names, types, order and
    /// no nulls in non-nullable columns.
    pub fn check_batch(&self, batch: &RecordBatch) -> Result<(), ContractError> {
        let broken = |message: String| ContractError::Broken {
            table: self.name.clone(),
            message,
        };
        let expected = self.file_schema();
        let actual = batch.schema();
        if expected.fields().len() != actual.fields().len() {
            return Err(broken(format!(
                "{} columns, the contract has {}",
                actual.fields().len(),
                expected.fields().len()
            )));
        }
        for (want, (got, array)) in expected
            .fields()
            .iter()
            .zip(actual.fields().iter().zip(batch.columns()))
        {
            if want.name() != got.name() || want.data_type() != got.data_type() {
                return Err(broken(format!(
                    "column {} {} where the contract has {} {}",
                    got.name(),
                    got.data_type(),
                    want.name(),
                    want.data_type()
                )));
            }
            if !want.is_nullable() && array.null_count() > 0 {
                return Err(broken(format!(
                    "column {} has {} nulls and is not nullable",
                    want.name(),
                    array.null_count()
                )));
            }
        }
        Ok(())
    }

    /// A readable description of the contract, for `creativeiq schema`.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{}  (lake path {}/)\n  {}\n",
            self.name,
            self.path(),
            self.description
        );
        for c in &self.columns {
            let mut notes = Vec::new();
            if c.partition {
                notes.push("partition".to_string());
            }
            if !c.nullable {
                notes.push("required".to_string());
            }
            if let Some(d) = &c.derive {
                notes.push(format!("= {d}"));
            }
            if let Some(v) = &c.one_of {
                notes.push(format!("one of {}", v.join("|")));
            }
            match (c.min, c.max) {
                (Some(lo), Some(hi)) => notes.push(format!("{lo}..{hi}")),
                (Some(lo), None) => notes.push(format!(">= {lo}")),
                (None, Some(hi)) => notes.push(format!("<= {hi}")),
                _ => {}
            }
            if c.not_future {
                notes.push("not in the future".to_string());
            }
            out.push_str(&format!(
                "  {:<26} {:<12} {:<30} {}\n",
                c.name,
                c.type_name,
                notes.join(", "),
                c.description
            ));
        }
        if !self.unique_in_input.is_empty() {
            out.push_str(&format!(
                "  unique within one input: ({})\n",
                self.unique_in_input.join(", ")
            ));
        }
        out
    }
}

/// Every table contract in `schemas/tables/`, in file-name order.
pub fn tables() -> &'static [Contract] {
    static TABLES: OnceLock<Vec<Contract>> = OnceLock::new();
    TABLES.get_or_init(|| {
        embedded::TABLE_CONTRACTS
            .iter()
            .map(|(file, text)| {
                // The contracts are compiled in and covered by tests, so a bad
                // one is a build defect rather than a user error.
                Contract::parse(file, text).unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    })
}

/// The contract of the table named `name` (`raw.posts`, or `raw/posts`).
pub fn table(name: &str) -> Result<&'static Contract, ContractError> {
    let wanted = name.replace('/', ".");
    tables()
        .iter()
        .find(|c| c.name == wanted)
        .ok_or_else(|| ContractError::UnknownTable {
            name: name.to_string(),
            known: tables()
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Every built-in payload format in `schemas/payloads/`.
pub fn payloads() -> &'static [Payload] {
    static PAYLOADS: OnceLock<Vec<Payload>> = OnceLock::new();
    PAYLOADS.get_or_init(|| {
        embedded::PAYLOAD_CONTRACTS
            .iter()
            .map(|(file, text)| Payload::parse(file, text).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_loads_and_names_a_lake_path() {
        assert!(tables().len() >= 5);
        for contract in tables() {
            assert!(contract.path().contains('/'), "{}", contract.name);
            assert!(!contract.file_schema().fields().is_empty());
        }
    }

    #[test]
    fn partition_columns_stay_out_of_the_files() {
        let posts = table("raw.posts").unwrap();
        let file = posts.file_schema();
        assert!(file.field_with_name("platform").is_err());
        assert!(file.field_with_name("dt").is_err());
        let partitions: Vec<_> = posts.partition_columns().map(|c| c.name.as_str()).collect();
        assert_eq!(partitions, ["platform", "dt"]);
        assert_eq!(
            posts.derive_of(posts.column("dt").unwrap()),
            Some(Derive::Day("published_at".into()))
        );
    }

    #[test]
    fn every_payload_maps_onto_real_columns() {
        for payload in payloads() {
            let contract = table(&payload.table).unwrap();
            for column in payload.fields.keys() {
                assert!(
                    contract.column(column).is_some(),
                    "{}: {column}",
                    payload.name
                );
            }
        }
    }

    #[test]
    fn a_bad_contract_is_refused_with_its_file() {
        let err = Contract::parse(
            "x.toml",
            "name = \"a.b\"\ndescription = \"\"\n[[columns]]\nname = \"c\"\ntype = \"int128\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("x.toml") && err.contains("int128"), "{err}");
        assert!(table("raw.nope")
            .unwrap_err()
            .to_string()
            .contains("raw.posts"));
    }

    #[test]
    fn check_batch_refuses_a_wrong_type() {
        use arrow::array::Int64Array;
        let contract = table("raw.images").unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "sha256",
            DataType::Int64,
            false,
        )]));
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))]).unwrap();
        assert!(contract.check_batch(&batch).is_err());
    }
}
