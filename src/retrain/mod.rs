//! Weekly retraining with champion/challenger, and model monitoring.
//!
//! # What the stage reads and writes
//!
//! [`RetrainJob`] retrains one ISO week ([`IsoWeek`], `2026-W47`). It runs
//! the quality checks first (`quality`: an error-severity failure stops it
//! and writes a `blocked` row), the incremental features job (images
//! without features only), then reads `sql/jobs/training_set.sql` up to the
//! week's end and trains challengers (`train`) with the week itself as the
//! holdout. Each scope's challenger and the champion in force during the
//! week (the challenger of the last week that promoted one, else the
//! registry's champion if it was trained on earlier data) are scored on the
//! same rows and compared ([`PromotionRule`]: Wilcoxon signed-rank test of
//! the paired squared errors, and a margin).
//!
//! It writes, in this order: the run's models and metric tables and the
//! registry `models/champions.json` with the promoted scopes only (the
//! train stage's atomic publication), then partitioned by `week=`:
//! `metrics.drift` (PSI of each feature against the champion's data, of
//! its score and its absolute error against its own holdout period),
//! `metrics.accuracy` (the champion on the week's engagement),
//! `metrics.importance_shift`, and
//! last `metrics.retrain_runs` (one row per scope: both models' figures,
//! the test, the decision and why). The run id is `retrain-<week>`, so a
//! re-run writes over its own files; a week with a decision is skipped
//! unless forced, and a forced re-run of an old week compares with the
//! champion of that time and changes no champion.
//!
//! A run killed after the registry write and before `metrics.retrain_runs`
//! leaves a valid registry whose promoted champions are complete models
//! (they were written first), and a week without a decision: running the
//! week again redoes it with the same champion in force (the last promoting
//! week's, from `metrics.retrain_runs`, or the registry's champion before
//! the run, which the run records in `models/<run>/replaced.json` before
//! it writes the registry), so it reaches the same decision, writes the
//! same champions and completes the record once. The tests stop the job
//! there with `CREATIVEIQ_FAIL_AT=retrain:published`.
//!
//! # Extending
//!
//! Another monitoring figure: a function in [`monitor`] returning rows, a
//! contract in `schemas/tables/`, a writer in [`tables`], and a query in
//! `sql/jobs/monitor_*.sql` for `creativeiq monitor`. Another promotion
//! rule: a variant of [`PromotionRule::compare`].

pub mod compare;
mod job;
pub mod monitor;
pub mod tables;
pub mod week;

pub use compare::{Comparison, Decision, PromotionRule};
pub use job::{RetrainJob, RetrainReport};
pub use week::IsoWeek;

use crate::train::publish::PublishError;
use crate::train::TrainError;

/// The retrain job failed.
#[derive(Debug, thiserror::Error)]
pub enum RetrainError {
    /// A week that is not `YYYY-Www`.
    #[error("week {0:?}: write an ISO week such as 2026-W47")]
    BadWeek(String),
    /// The quality gate stopped the run.
    #[error(
        "week {week}: the quality gate failed ({}); nothing was trained or promoted. \
         Fix the data (creativeiq validate, validation run {validation_run}) and run the week again",
        failed.join(", ")
    )]
    QualityGate {
        /// The week.
        week: String,
        /// The failed error checks.
        failed: Vec<String>,
        /// The validation run that found them.
        validation_run: String,
    },
    /// The week or the time before it has no posts.
    #[error("week {week}: {train} posts before the week and {holdout} in it; collect the week first (or pick another)")]
    NoData {
        /// The week.
        week: String,
        /// Posts to train on.
        train: usize,
        /// Posts of the week.
        holdout: usize,
    },
    /// A step of the job failed.
    #[error("{step}: {message}")]
    Step {
        /// The step.
        step: &'static str,
        /// Its error.
        message: String,
    },
    /// Training or scoring failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// Publishing the run or reading a model failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// Writing a monitoring table failed.
    #[error("writing {table}: {message}")]
    Table {
        /// The table.
        table: &'static str,
        /// What went wrong.
        message: String,
    },
}
