//! SQL over the lake with DataFusion.
//!
//! Reads: every table of `schemas/tables/` as a listing table over its lake
//! folder (Hive partitions as columns, so filters on them prune files), and
//! the views of `sql/views/`, registered in file-name order under their
//! file's stem (without a leading `NN_`). Writes nothing: [`Session::query`]
//! refuses DDL, DML and `COPY`. To add a view, drop a `.sql` file holding one
//! SELECT into `sql/views/`.
//!
//! Besides the lake's tables, every session has `meta.settings` (the one-row
//! table of `sql/settings.toml`, which is how a view takes a parameter),
//! `meta.allowed_values` (the `one_of` lists of the contracts, so SQL checks
//! values against the contracts instead of repeating them) and the
//! statistical functions of [`functions`].

pub mod functions;
mod output;
mod settings;

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use datafusion::catalog::MemorySchemaProvider;
use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};

use crate::contract::{tables, Contract, SQL_VIEWS};
use crate::lake::Lake;

pub use output::{write_batches, OutputFormat};
pub use settings::{SettingValue, Settings, SettingsError, LAKE_SETTINGS_FILE};

/// A query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The statement would change something; `creativeiq sql` only reads.
    #[error("creativeiq sql only reads: {kind} is refused; the lake is written by import, collect and the pipeline stages")]
    ReadOnly {
        /// What kind of statement it was.
        kind: String,
    },
    /// A setting is wrong.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The lake's settings file could not be read.
    #[error(transparent)]
    Lake(#[from] crate::lake::LakeError),
    /// DataFusion refused or failed the query.
    #[error("{context}: {source}")]
    DataFusion {
        /// What was being done.
        context: String,
        /// DataFusion's error.
        #[source]
        source: DataFusionError,
    },
}

impl QueryError {
    fn datafusion(context: impl Into<String>) -> impl FnOnce(DataFusionError) -> QueryError {
        let context = context.into();
        move |source| QueryError::DataFusion { context, source }
    }
}

/// A DataFusion session with the lake's tables and views registered.
pub struct Session {
    ctx: SessionContext,
}

impl Session {
    /// Registers every contract table and every view of `sql/views/`, with
    /// the default settings and the lake's own `settings.toml`.
    pub async fn open(lake: &Lake) -> Result<Session, QueryError> {
        let settings = Session::lake_settings(lake, &[]).await?;
        Session::open_with(lake, &settings).await
    }

    /// The settings of `lake`: the defaults, then the lake's `settings.toml`
    /// when it has one, then `overrides` (`NAME=VALUE`, the `--set` flag).
    pub async fn lake_settings(lake: &Lake, overrides: &[String]) -> Result<Settings, QueryError> {
        let mut settings = Settings::defaults();
        match lake.get(LAKE_SETTINGS_FILE).await {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                settings.apply_toml(&text, &format!("{}{LAKE_SETTINGS_FILE}", lake.location()))?;
            }
            Err(crate::lake::LakeError::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }) => {}
            Err(e) => return Err(e.into()),
        }
        for assignment in overrides {
            settings.set(assignment)?;
        }
        Ok(settings)
    }

    /// Like [`Session::open`], with the given settings.
    pub async fn open_with(lake: &Lake, settings: &Settings) -> Result<Session, QueryError> {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("datafusion", "public");
        let ctx = SessionContext::new_with_config(config);
        let (url, store) = lake.store();
        ctx.register_object_store(&url, store);
        for udf in functions::all() {
            ctx.register_udf(udf);
        }
        let session = Session { ctx };
        session.register_meta(settings)?;
        for contract in tables() {
            session.register_table(lake, contract)?;
        }
        for (stem, sql) in SQL_VIEWS {
            session.register_view(stem, sql).await?;
        }
        Ok(session)
    }

    fn ensure_schema(&self, schema_name: &str) -> Result<(), QueryError> {
        let catalog = self
            .ctx
            .catalog("datafusion")
            .expect("the default catalog exists");
        if catalog.schema(schema_name).is_none() {
            catalog
                .register_schema(schema_name, Arc::new(MemorySchemaProvider::new()))
                .map_err(QueryError::datafusion(format!(
                    "registering schema {schema_name}"
                )))?;
        }
        Ok(())
    }

    /// Registers (or replaces) an in-memory table, e.g. `meta.settings`.
    pub fn register_batch(&self, name: &str, batch: RecordBatch) -> Result<(), QueryError> {
        if let Some((schema_name, _)) = name.split_once('.') {
            self.ensure_schema(schema_name)?;
        }
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]])
            .map_err(QueryError::datafusion(format!("table {name}")))?;
        let _ = self.ctx.deregister_table(name);
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(QueryError::datafusion(format!("registering {name}")))?;
        Ok(())
    }

    fn register_meta(&self, settings: &Settings) -> Result<(), QueryError> {
        self.register_batch("meta.settings", settings.to_batch())?;
        let (mut names, mut columns, mut values) = (Vec::new(), Vec::new(), Vec::new());
        for contract in tables() {
            for column in &contract.columns {
                for value in column.one_of.iter().flatten() {
                    names.push(contract.name.clone());
                    columns.push(column.name.clone());
                    values.push(value.clone());
                }
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("table_name", DataType::Utf8, false),
            Field::new("column_name", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(names)),
                Arc::new(StringArray::from(columns)),
                Arc::new(StringArray::from(values)),
            ],
        )
        .expect("three columns of equal length");
        self.register_batch("meta.allowed_values", batch)
    }

    fn register_table(&self, lake: &Lake, contract: &Contract) -> Result<(), QueryError> {
        let (schema_name, _) = contract.sql_name();
        self.ensure_schema(schema_name)?;
        let url = lake.table_url(contract);
        let table_url = ListingTableUrl::parse(&url).map_err(QueryError::datafusion(format!(
            "table {} at {url}",
            contract.name
        )))?;
        let partitions = contract
            .partition_columns()
            .map(|c| (c.name.clone(), c.data_type().clone()))
            .collect();
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(partitions);
        let config = ListingTableConfig::new(table_url)
            .with_listing_options(options)
            .with_schema(contract.file_schema());
        let table = ListingTable::try_new(config)
            .map_err(QueryError::datafusion(format!("table {}", contract.name)))?;
        // Re-registering replaces the old table, so a session can be reopened safely.
        let _ = self.ctx.deregister_table(contract.name.as_str());
        self.ctx
            .register_table(contract.name.as_str(), Arc::new(table))
            .map_err(QueryError::datafusion(format!(
                "registering {}",
                contract.name
            )))?;
        Ok(())
    }

    async fn register_view(&self, stem: &str, sql: &str) -> Result<(), QueryError> {
        let name = view_name(stem);
        self.ctx
            .sql(&view_statement(stem, sql))
            .await
            .map_err(QueryError::datafusion(format!(
                "view {name} (sql/views/{stem}.sql)"
            )))?;
        Ok(())
    }

    /// The columns of `view` that `queries` read, directly or through the
    /// views registered after it, in the view's column order; None when no
    /// query reads the view. A query that cannot be planned counts as
    /// reading every column (it reports its own error when it runs).
    pub async fn columns_read(
        &self,
        view: &str,
        queries: &[String],
    ) -> Result<Option<Vec<String>>, QueryError> {
        let context = || format!("finding the columns of view {view} the queries read");
        let frame = self
            .ctx
            .table(view)
            .await
            .map_err(QueryError::datafusion(context()))?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let all = || schema.fields().iter().map(|f| f.name().clone()).collect();
        let Some((stem, sql)) = SQL_VIEWS.iter().find(|(stem, _)| view_name(stem) == view) else {
            return Ok(Some(all()));
        };
        // An empty stand-in with the view's schema: planning a query over it
        // shows which columns the query reads without computing the view.
        self.replace_view(view, Arc::new(EmptyTable::new(schema.clone())))
            .await?;
        self.register_views_after(view, false).await?;
        let mut read = vec![false; schema.fields().len()];
        let mut scanned = false;
        let state = self.ctx.state();
        for query in queries {
            let optimized = match state.create_logical_plan(query).await {
                Ok(plan) => state.optimize(&plan),
                Err(e) => Err(e),
            };
            let Ok(plan) = optimized else {
                scanned = true;
                read.iter_mut().for_each(|r| *r = true);
                continue;
            };
            plan.apply_with_subqueries(|node| {
                if let LogicalPlan::TableScan(scan) = node {
                    let named_view = scan.table_name.table() == view
                        && scan.table_name.schema().is_none_or(|s| s == "public");
                    if named_view {
                        scanned = true;
                        match &scan.projection {
                            Some(columns) => columns.iter().for_each(|&i| read[i] = true),
                            None => read.iter_mut().for_each(|r| *r = true),
                        }
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })
            .map_err(QueryError::datafusion(context()))?;
        }
        self.register_view(stem, sql).await?;
        self.register_views_after(view, false).await?;
        if !scanned {
            return Ok(None);
        }
        // A query that only counts rows reads no column, but the rows must stay.
        if !read.contains(&true) {
            read[0] = true;
        }
        Ok(Some(
            schema
                .fields()
                .iter()
                .zip(read)
                .filter(|(_, read)| *read)
                .map(|(field, _)| field.name().clone())
                .collect(),
        ))
    }

    /// Computes `view` once and keeps it in memory for the rest of the
    /// session: queries that read it (directly, or through the views
    /// registered after it, which are registered again) no longer recompute
    /// it. For a batch of queries over one expensive view, such as the
    /// checks of a validation run over `posts_checked`.
    ///
    /// With `columns`, only those are computed and kept (see
    /// [`Session::columns_read`]); a later view that reads another column no
    /// longer exists in this session.
    pub async fn materialize(
        &self,
        view: &str,
        columns: Option<&[String]>,
    ) -> Result<usize, QueryError> {
        let context = || format!("materializing view {view}");
        let mut frame = self
            .ctx
            .table(view)
            .await
            .map_err(QueryError::datafusion(context()))?;
        if let Some(columns) = columns {
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            frame = frame
                .select_columns(&names)
                .map_err(QueryError::datafusion(context()))?;
        }
        let cached = frame
            .cache()
            .await
            .map_err(QueryError::datafusion(context()))?;
        let rows = cached
            .clone()
            .count()
            .await
            .map_err(QueryError::datafusion(context()))?;
        self.replace_view(view, cached.into_view()).await?;
        self.register_views_after(view, columns.is_some()).await?;
        Ok(rows)
    }

    async fn replace_view(
        &self,
        view: &str,
        table: Arc<dyn TableProvider>,
    ) -> Result<(), QueryError> {
        let _ = self.ctx.deregister_table(view);
        self.ctx
            .register_table(view, table)
            .map_err(QueryError::datafusion(format!("replacing view {view}")))?;
        Ok(())
    }

    /// Registers again the views after `view`, so they read what `view` is
    /// now. With `tolerant`, a view that no longer plans (it reads a column
    /// `view` no longer has) is dropped instead of failing.
    async fn register_views_after(&self, view: &str, tolerant: bool) -> Result<(), QueryError> {
        let position = SQL_VIEWS
            .iter()
            .position(|(stem, _)| view_name(stem) == view);
        for (stem, sql) in SQL_VIEWS
            .iter()
            .skip(position.map_or(SQL_VIEWS.len(), |p| p + 1))
        {
            match self.register_view(stem, sql).await {
                Ok(()) => {}
                Err(e) if tolerant => {
                    tracing::debug!(view = view_name(stem), error = %e, "view left out of this session");
                    let _ = self.ctx.deregister_table(view_name(stem));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Plans a read-only query.
    pub async fn query(&self, sql: &str) -> Result<DataFrame, QueryError> {
        let state = self.ctx.state();
        let plan = state
            .create_logical_plan(sql)
            .await
            .map_err(QueryError::datafusion("planning the query"))?;
        let read_only = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        if let Err(e) = read_only.verify_plan(&plan) {
            let message = e.strip_backtrace();
            let kind = message
                .split_once(": ")
                .map(|(_, k)| k.trim().to_string())
                .unwrap_or(message);
            return Err(QueryError::ReadOnly { kind });
        }
        self.ctx
            .execute_logical_plan(plan)
            .await
            .map_err(QueryError::datafusion("running the query"))
    }

    /// The DataFusion context, for stages that build their own plans.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }
}

/// The statement that registers a view of `sql/views/`.
fn view_statement(stem: &str, sql: &str) -> String {
    format!("CREATE OR REPLACE VIEW {} AS\n{sql}", view_name(stem))
}

/// The SQL another engine (DuckDB, Spark) runs to get what a session has
/// besides the lake's tables: `meta.settings`, `meta.allowed_values` and the
/// views, in registration order, as (file name, statements). The statistical
/// functions of [`functions`] must be provided by that engine.
pub fn portable_sql(settings: &Settings) -> Vec<(String, String)> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let values: Vec<String> = settings
        .values()
        .map(|(name, value)| match value {
            SettingValue::Text(s) => format!("{} AS {name}", quote(s)),
            SettingValue::Float(v) => format!("CAST({v:?} AS DOUBLE) AS {name}"),
            SettingValue::Int(v) => format!("CAST({v} AS BIGINT) AS {name}"),
            SettingValue::Bool(v) => format!("{v} AS {name}"),
        })
        .collect();
    let allowed: Vec<String> = tables()
        .iter()
        .flat_map(|contract| {
            contract.columns.iter().flat_map(move |column| {
                column.one_of.iter().flatten().map(move |value| {
                    format!(
                        "({}, {}, {})",
                        quote(&contract.name),
                        quote(&column.name),
                        quote(value)
                    )
                })
            })
        })
        .collect();
    let meta = format!(
        "CREATE SCHEMA IF NOT EXISTS meta;\nCREATE OR REPLACE TABLE meta.settings AS SELECT {};\nCREATE OR REPLACE TABLE meta.allowed_values AS SELECT * FROM (VALUES\n  {}\n) AS v(table_name, column_name, value);\n",
        values.join(", "),
        allowed.join(",\n  ")
    );
    let mut files = vec![("00_meta.sql".to_string(), meta)];
    for (stem, sql) in SQL_VIEWS {
        files.push((
            format!("{stem}.sql"),
            format!("{};\n", view_statement(stem, sql.trim_end())),
        ));
    }
    files
}

/// The statements another engine runs for [`Session::materialize`]: the
/// view computed once into a table (only `columns`, as the session keeps
/// them), and read from it from then on (an engine that binds views by name
/// at query time, as DuckDB does, needs nothing else).
pub fn portable_materialize_sql(view: &str, columns: &[String]) -> String {
    let columns = if columns.is_empty() {
        "*".to_string()
    } else {
        columns.join(", ")
    };
    format!(
        "CREATE OR REPLACE TEMP TABLE {view}_materialized AS SELECT {columns} FROM {view};\nCREATE OR REPLACE VIEW {view} AS SELECT * FROM {view}_materialized;\n"
    )
}

/// `10_posts` names the view `posts`: the number only orders registration.
pub fn view_name(stem: &str) -> &str {
    match stem.split_once('_') {
        Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn view_names_drop_the_order_prefix() {
        assert_eq!(super::view_name("10_posts_valid"), "posts_valid");
        assert_eq!(super::view_name("posts"), "posts");
    }
}
