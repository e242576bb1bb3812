//! Insight: what a team learns from its lake beyond one prediction. Brand
//! consistency, trends in what the top posts look like, and where a design
//! stands among the competitors' posts.
//!
//! # What the stage reads and writes
//!
//! - [`brand`]: learns a [`BrandProfile`] from a portfolio (the image files
//!   of a folder, analysed here, or an account's posts: `labelled_posts`
//!   joined with `features.design` by `sql/jobs/brand_account_features.sql`)
//!   and writes it to `brands/<name>.json`; scores a design 0..100 against
//!   it ([`BrandProfile::check`]) and names what departs. [`brand_score`]
//!   (a profile and a `features.design` record in, 0..100 out) is the one
//!   scoring both `brand check` and the `brand_score` column of models
//!   trained with `creativeiq train --brand` (the train stage's
//!   `FeatureAssembler` calls it, with the profile saved in the manifest).
//! - [`trends`]: reads `labelled_posts` joined with `features.design`
//!   (`sql/jobs/trend_properties.sql`: per platform and window, the
//!   top-quartile posts and how many of them have each visual property),
//!   tests each share for a change between the previous and the current
//!   window (two-proportion z-test, Benjamini–Hochberg over every platform
//!   and property) and writes `metrics/trends/run=<run>/`.
//! - [`compare`]: reads the competitors' posts with their features
//!   (`sql/jobs/competitor_features.sql`), computes the design's percentile
//!   per feature among them in SQL (`sql/jobs/compare_percentiles.sql`),
//!   the nearest competitor designs by standardised feature distance, and
//!   the champion model's score when the lake has one. Writes nothing.
//!
//! # Extending
//!
//! A new trend property: one `sum(CASE WHEN ... THEN 1 ELSE 0 END) AS name`
//! line in `sql/jobs/trend_properties.sql` (every column after
//! `top_posts` is a property). A new brand component: a distance in
//! `brand.rs` with its tolerance learnt from the portfolio, and a weight in
//! [`brand::WEIGHTS`]. A new compared feature: nothing, every numeric
//! feature of [`crate::features::FEATURE_NAMES`] is compared.

pub mod brand;
pub mod colour;
pub mod compare;
pub mod trends;

use arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::scalar::ScalarValue;
use serde::Deserialize;

use crate::features::DesignFeatures;
use crate::lake::LakeError;
use crate::query::{QueryError, Session};

pub use brand::{brand_score, BrandCheck, BrandProfile, Departure};
pub use compare::{CompareJob, Comparison};
pub use trends::{Trend, TrendJob, TrendReport};

/// An insight command failed.
#[derive(Debug, thiserror::Error)]
pub enum InsightError {
    /// Opening or querying the lake failed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// Reading or writing the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// A job's SQL failed.
    #[error("{job} (sql/jobs/{job}.sql): {source}")]
    Job {
        /// The job's file stem.
        job: &'static str,
        /// DataFusion's error.
        #[source]
        source: DataFusionError,
    },
    /// A job's rows could not be read.
    #[error("reading the rows of sql/jobs/{job}.sql: {message}")]
    Rows {
        /// The job's file stem.
        job: &'static str,
        /// What was wrong.
        message: String,
    },
    /// A brand name that cannot be a file name.
    #[error("brand name {name:?}: use letters, digits, '.', '-' or '_'")]
    BadBrandName {
        /// The name given.
        name: String,
    },
    /// No profile of that name in the lake.
    #[error("no brand {name:?} in the lake: {path} does not exist; learn it first with `creativeiq brand learn --name {name} --from DIR` (or --account ID); known brands: {known}")]
    NoBrand {
        /// The name asked for.
        name: String,
        /// Where its profile would be: the lake's location and `brands/<name>.json`.
        path: String,
        /// The brands the lake has (`none` when it has none).
        known: String,
    },
    /// A stored profile does not parse.
    #[error("brand profile {path}: {source}")]
    BadProfile {
        /// Its lake path.
        path: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// Nothing to learn a brand from.
    #[error("no design to learn brand {name:?} from in {source_name}: {hint}")]
    EmptyPortfolio {
        /// The brand.
        name: String,
        /// The folder or account.
        source_name: String,
        /// What to check.
        hint: String,
    },
    /// A folder could not be listed.
    #[error("listing {path}: {source}")]
    Io {
        /// The folder.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The competitors have no posts with features.
    #[error("no collected post with features for the competitors {accounts}: collect their posts (creativeiq collect) and extract features (creativeiq features) first")]
    NoCompetitorPosts {
        /// The accounts asked for.
        accounts: String,
    },
    /// A trend window that is not a positive number of days.
    #[error("window {given:?}: give a number of days such as 30d (or 30)")]
    BadWindow {
        /// What was given.
        given: String,
    },
    /// Writing a metric table failed its contract.
    #[error("building the {table} batch: {message}")]
    Table {
        /// The table.
        table: &'static str,
        /// The cause.
        message: String,
    },
    /// Prediction with the champion failed (a missing champion is not an error).
    #[error(transparent)]
    Predict(#[from] crate::predict::PredictError),
}

/// A post of the lake with its image's features, as the jobs that join
/// `labelled_posts` with `features.design` return it.
#[derive(Debug, Clone, Deserialize)]
pub struct PostDesign {
    /// The post.
    pub post_id: String,
    /// Its account.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Its platform.
    pub platform: String,
    /// Its label, 0..100.
    #[serde(default)]
    pub performance_score: Option<f64>,
    /// Its image's features.
    #[serde(flatten)]
    pub features: DesignFeatures,
}

/// Runs the job `sql/jobs/<job>.sql` with `params` and returns its rows as
/// JSON objects (list and struct columns included).
async fn job_rows(
    session: &Session,
    job: &'static str,
    params: Vec<ScalarValue>,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, InsightError> {
    let batches = job_batches(session, job, params).await?;
    let mut writer = arrow::json::ArrayWriter::new(Vec::new());
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    writer
        .write_batches(&refs)
        .and_then(|()| writer.finish())
        .map_err(|e| InsightError::Rows {
            job,
            message: e.to_string(),
        })?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes).map_err(|e| InsightError::Rows {
        job,
        message: e.to_string(),
    })
}

/// Runs the job `sql/jobs/<job>.sql` with `params`.
async fn job_batches(
    session: &Session,
    job: &'static str,
    params: Vec<ScalarValue>,
) -> Result<Vec<RecordBatch>, InsightError> {
    let frame = session.query(crate::contract::job_sql(job)).await?;
    let frame = if params.is_empty() {
        frame
    } else {
        frame
            .with_param_values(params)
            .map_err(|source| InsightError::Job { job, source })?
    };
    frame
        .collect()
        .await
        .map_err(|source| InsightError::Job { job, source })
}

/// The rows of a job that returns posts with their features.
async fn post_designs(
    session: &Session,
    job: &'static str,
    params: Vec<ScalarValue>,
) -> Result<Vec<PostDesign>, InsightError> {
    job_rows(session, job, params)
        .await?
        .into_iter()
        .map(|row| {
            serde_json::from_value(serde_json::Value::Object(row)).map_err(|e| InsightError::Rows {
                job,
                message: e.to_string(),
            })
        })
        .collect()
}
