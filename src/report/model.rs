//! The model report: how the models of a training run score, from the
//! metric tables the train stage publishes (`metrics.model_metrics`,
//! `metrics.cv_folds`, `metrics.feature_importance`,
//! `metrics.holdout_predictions`) and the champion registry, through the
//! `model_*.sql` queries of `sql/reports/`.
//!
//! Sections: the run's models, predicted against actual on the holdout,
//! residuals by platform, permutation importance, the cross-validation
//! spread, the champion history over runs, and the A/B pairwise accuracy
//! (when the run was scored on A/B tests).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use crate::lake::Lake;
use crate::query::Settings;
use crate::train::publish::{read_registry, Registry};

use super::charts::{self, Bar, Strip, PALETTE, PASS};
use super::html::{chart, esc, page, paragraph, section, table, Row, Rows};
use super::{open_session, queries, ReportError, MODEL_PREFIX};

/// What the terminal shows after a model report is written.
#[derive(Debug, Clone, Default)]
pub struct ModelReportSummary {
    /// The run the report is about (None: the lake has no training run).
    pub run: Option<String>,
    /// Training runs in the lake.
    pub runs: usize,
    /// Models of the run.
    pub models: usize,
    /// The run's champions: (scope, kind, holdout R²).
    pub champions: Vec<(String, String, Option<f64>)>,
    /// Holdout predictions charted (the champion of the charted scope).
    pub holdout_points: usize,
}

impl std::fmt::Display for ModelReportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(run) = &self.run else {
            return writeln!(
                f,
                "no training run in this lake yet: `creativeiq train --dataset FILE` trains and publishes one"
            );
        };
        writeln!(
            f,
            "run {run} (of {} in the lake): {} models, {} holdout predictions charted",
            self.runs, self.models, self.holdout_points
        )?;
        for (scope, kind, r2) in &self.champions {
            let r2 = r2.map_or("-".to_string(), |v| format!("{v:.3}"));
            writeln!(f, "champion {scope:<10} {kind:<14} holdout r2 {r2}")?;
        }
        Ok(())
    }
}

/// Renders the model report of a lake.
#[derive(Debug, Clone, Default)]
pub struct ModelReport {
    run: Option<String>,
    settings: Option<Settings>,
}

impl ModelReport {
    /// A report on the latest run, with the lake's settings.
    pub fn new() -> ModelReport {
        ModelReport::default()
    }

    /// The run to report on (default: the latest by training time).
    pub fn with_run(mut self, run: Option<String>) -> ModelReport {
        self.run = run;
        self
    }

    /// The settings the views read (default: the lake's).
    pub fn with_settings(mut self, settings: Settings) -> ModelReport {
        self.settings = Some(settings);
        self
    }

    /// The HTML of the report, and its summary.
    pub async fn render(&self, lake: &Lake) -> Result<(String, ModelReportSummary), ReportError> {
        let session = open_session(lake, self.settings.as_ref()).await?;
        session.register_batch(
            "models.champions",
            registry_batch(&read_registry(lake).await?),
        )?;
        let runs = queries(&session, |name| name == "model_runs").await?;
        let runs = &runs["model_runs"];
        let known: Vec<String> = runs.rows.iter().map(|r| Rows::text(r, "run")).collect();
        let mut summary = ModelReportSummary {
            runs: known.len(),
            ..ModelReportSummary::default()
        };
        let run = match (&self.run, known.first()) {
            (Some(asked), _) if !known.contains(asked) => {
                return Err(ReportError::UnknownRun {
                    run: asked.clone(),
                    known: if known.is_empty() {
                        "none yet".into()
                    } else {
                        known.join(", ")
                    },
                })
            }
            (Some(asked), _) => asked.clone(),
            (None, Some(latest)) => latest.clone(),
            (None, None) => {
                let mut body = String::new();
                section(&mut body, "No training run yet", "models");
                paragraph(
                    &mut body,
                    "The lake has no rows in <code>metrics.model_metrics</code>: <code>creativeiq train --dataset FILE</code> trains the models and publishes their metrics, and this report shows them.",
                );
                let html = page(
                    "CreativeIQ models",
                    &lake.location().to_string(),
                    &[],
                    &body,
                );
                return Ok((html, summary));
            }
        };
        session.register_batch("meta.report_run", run_batch(&run))?;
        let q = queries(&session, |name| {
            name.starts_with(MODEL_PREFIX) && name != "model_runs"
        })
        .await?;
        summary.run = Some(run.clone());

        let mut body = String::new();
        let models = &q["model_metrics"];
        summary.models = models.rows.len();
        summary.champions = models
            .rows
            .iter()
            .filter(|r| Rows::flag(r, "champion"))
            .map(|r| {
                (
                    Rows::text(r, "scope"),
                    Rows::text(r, "model_kind"),
                    Rows::number(r, "r2"),
                )
            })
            .collect();
        let trained_at = runs
            .rows
            .iter()
            .find(|r| Rows::text(r, "run") == run)
            .map(|r| Rows::text(r, "trained_at"))
            .unwrap_or_default();
        section(&mut body, "Models of the run", "models");
        paragraph(
            &mut body,
            &format!(
                "Run <b>{}</b> &middot; trained {} &middot; {} models &middot; {} runs in the lake. Holdout: the latest weeks, never seen by the search or the cross-validation.",
                esc(&run),
                esc(&trained_at),
                summary.models,
                summary.runs
            ),
        );
        table(
            &mut body,
            models,
            &[
                "scope",
                "model_kind",
                "champion",
                "holdout_rows",
                "r2",
                "cv_r2",
                "rmse",
                "mae",
                "spearman",
                "accuracy",
                "cv_accuracy",
                "pairwise_accuracy",
                "ceiling_ratio",
                "search_candidates",
                "seconds",
            ],
            Some("champion"),
        );

        // The holdout of one scope's champion: `all` when the run has it.
        let holdout = &q["model_holdout"];
        let scope = holdout
            .rows
            .iter()
            .map(|r| Rows::text(r, "scope"))
            .find(|s| s == crate::train::ALL_SCOPE)
            .or_else(|| holdout.rows.first().map(|r| Rows::text(r, "scope")));
        let of_scope: Vec<&Row> = holdout
            .rows
            .iter()
            .filter(|r| Some(Rows::text(r, "scope")) == scope)
            .collect();
        summary.holdout_points = of_scope.len();
        let champion = of_scope
            .first()
            .map(|r| Rows::text(r, "model_kind"))
            .unwrap_or_default();
        let by_platform = group(&of_scope, "platform");

        section(
            &mut body,
            "Predicted against actual on the holdout",
            "holdout",
        );
        if of_scope.is_empty() {
            paragraph(
                &mut body,
                "The run has no champion with holdout predictions.",
            );
        } else {
            let series: Vec<(String, Vec<(f64, f64)>)> = by_platform
                .iter()
                .map(|(platform, rows)| {
                    let points = rows
                        .iter()
                        .filter_map(|r| {
                            Some((Rows::number(r, "actual")?, Rows::number(r, "predicted")?))
                        })
                        .collect();
                    (platform.clone(), points)
                })
                .collect();
            chart(
                &mut body,
                charts::scatter(
                    &format!(
                        "Scope {}: {champion} (the champion), one dot per holdout post",
                        scope.clone().unwrap_or_default()
                    ),
                    "actual performance score",
                    "predicted performance score",
                    &series,
                    true,
                    (860, 620),
                ),
            );
        }

        section(&mut body, "Residuals by platform", "residuals");
        if of_scope.is_empty() {
            paragraph(&mut body, "No holdout predictions.");
        } else {
            let rows: Vec<Strip> = by_platform
                .iter()
                .enumerate()
                .map(|(i, (platform, rows))| Strip {
                    label: format!("{platform} ({})", rows.len()),
                    values: rows
                        .iter()
                        .filter_map(|r| Rows::number(r, "residual"))
                        .collect(),
                    colour: PALETTE[i % PALETTE.len()],
                })
                .collect();
            chart(
                &mut body,
                charts::strips(
                    "Predicted minus actual score per holdout post (black tick: the platform's mean)",
                    "residual (score points)",
                    &rows,
                    Some(0.0),
                    (860, 120 + 60 * rows.len() as u32),
                ),
            );
        }

        section(&mut body, "Feature importance", "importance");
        let importance = &q["model_importance"];
        let features: Vec<&Row> = importance
            .rows
            .iter()
            .filter(|r| Some(Rows::text(r, "scope")) == scope)
            .collect();
        if features.is_empty() {
            paragraph(&mut body, "No permutation importance for the champion.");
        } else {
            let bars: Vec<Bar> = features
                .iter()
                .filter_map(|r| {
                    Some(Bar {
                        label: Rows::text(r, "feature"),
                        value: Rows::number(r, "importance")?,
                        spread: Rows::number(r, "importance_std"),
                        colour: PALETTE[0],
                    })
                })
                .collect();
            chart(
                &mut body,
                charts::horizontal_bars(
                    &format!("Permutation importance of {champion}: drop of the holdout R² when the feature is shuffled (± its standard deviation)"),
                    "drop of holdout R²",
                    &bars,
                    None,
                    (860, 90 + 24 * bars.len() as u32 + 40),
                ),
            );
        }

        section(&mut body, "Cross-validation spread", "cv");
        let folds = &q["model_cv_folds"];
        let fold_rows: Vec<&Row> = folds.rows.iter().collect();
        let mut strips = Vec::new();
        let mut accuracy = Vec::new();
        for (i, (model, rows)) in group_by(&fold_rows, |r| {
            format!(
                "{} / {}",
                Rows::text(r, "scope"),
                Rows::text(r, "model_kind")
            )
        })
        .into_iter()
        .enumerate()
        {
            let r2: Vec<f64> = rows.iter().filter_map(|r| Rows::number(r, "r2")).collect();
            if r2.is_empty() {
                let acc: Vec<f64> = rows
                    .iter()
                    .filter_map(|r| Rows::number(r, "accuracy"))
                    .collect();
                accuracy.push(Strip {
                    label: model,
                    values: acc,
                    colour: PASS,
                });
            } else {
                strips.push(Strip {
                    label: model,
                    values: r2,
                    colour: PALETTE[i % PALETTE.len()],
                });
            }
        }
        if strips.is_empty() && accuracy.is_empty() {
            paragraph(&mut body, "No cross-validation folds.");
        }
        if !strips.is_empty() {
            chart(
                &mut body,
                charts::strips(
                    "R² of each cross-validation fold, per scope and model kind (black tick: the mean)",
                    "R² on the fold",
                    &strips,
                    None,
                    (860, 100 + 40 * strips.len() as u32),
                ),
            );
        }
        if !accuracy.is_empty() {
            chart(
                &mut body,
                charts::strips(
                    "Accuracy of each cross-validation fold of the tier classifier (top quartile or not; 0.75: always saying no)",
                    "accuracy on the fold",
                    &accuracy,
                    Some(0.75),
                    (860, 100 + 40 * accuracy.len() as u32),
                ),
            );
        }

        section(&mut body, "Champion history", "champions");
        let history = &q["model_champions"];
        let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        let mut run_order: Vec<String> = Vec::new();
        for r in &history.rows {
            let run = Rows::text(r, "run");
            if !run_order.contains(&run) {
                run_order.push(run);
            }
            if let Some(r2) = Rows::number(r, "holdout_r2") {
                series
                    .entry(Rows::text(r, "scope"))
                    .or_default()
                    .push((run_order.len() as f64, r2));
            }
        }
        if history.rows.is_empty() {
            paragraph(&mut body, "No champion yet.");
        } else {
            let series: Vec<(String, Vec<(f64, f64)>)> = series.into_iter().collect();
            chart(
                &mut body,
                charts::lines(
                    "Holdout R² of each run's champion, per scope (runs oldest first)",
                    "run",
                    "holdout R²",
                    &series,
                    None,
                    (860, 320),
                ),
            );
            table(
                &mut body,
                history,
                &[
                    "run",
                    "trained_at",
                    "scope",
                    "model_kind",
                    "holdout_r2",
                    "holdout_rows",
                    "current_champion",
                ],
                Some("current_champion"),
            );
        }

        section(&mut body, "A/B pairwise accuracy", "ab");
        let ab = &q["model_ab"];
        if ab.rows.is_empty() {
            paragraph(
                &mut body,
                "This run was not scored on A/B tests (no A/B results were given to the training).",
            );
        } else {
            let bars: Vec<Bar> = ab
                .rows
                .iter()
                .filter_map(|r| {
                    Some(Bar {
                        label: format!(
                            "{} / {} ({} tests)",
                            Rows::text(r, "scope"),
                            Rows::text(r, "model_kind"),
                            Rows::text(r, "ab_pairs")
                        ),
                        value: Rows::number(r, "pairwise_accuracy")?,
                        spread: None,
                        colour: if Rows::flag(r, "champion") {
                            PASS
                        } else {
                            PALETTE[0]
                        },
                    })
                })
                .collect();
            chart(
                &mut body,
                charts::horizontal_bars(
                    "Share of A/B tests whose winner the model scores higher (line: chance; green: the champion)",
                    "pairwise accuracy",
                    &bars,
                    Some(0.5),
                    (860, 90 + 28 * bars.len() as u32 + 40),
                ),
            );
        }

        let html = page(
            &format!("CreativeIQ models: run {run}"),
            &lake.location().to_string(),
            &[
                ("models", "models"),
                ("holdout", "predicted vs actual"),
                ("residuals", "residuals"),
                ("importance", "importance"),
                ("cv", "cross-validation"),
                ("champions", "champions"),
                ("ab", "A/B"),
            ],
            &body,
        );
        Ok((html, summary))
    }
}

/// Rows grouped by a column's text, groups in order of the key.
fn group<'a>(rows: &[&'a Row], column: &str) -> BTreeMap<String, Vec<&'a Row>> {
    group_by(rows, |r| Rows::text(r, column))
}

/// Rows grouped by a key, groups in order of the key.
fn group_by<'a>(rows: &[&'a Row], key: impl Fn(&Row) -> String) -> BTreeMap<String, Vec<&'a Row>> {
    let mut out: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        out.entry(key(r)).or_default().push(r);
    }
    out
}

/// `meta.report_run`: the one run the queries report on.
fn run_batch(run: &str) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("run", DataType::Utf8, false)]));
    RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec![run]))]).expect("one column")
}

/// `models.champions`: the registry as a table.
fn registry_batch(registry: &Registry) -> RecordBatch {
    let c = &registry.champions;
    let text = |f: &dyn Fn(&crate::train::Champion) -> String| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(c.values().map(f)))
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("scope", DataType::Utf8, false),
        Field::new("run_id", DataType::Utf8, false),
        Field::new("model_kind", DataType::Utf8, false),
        Field::new("holdout_r2", DataType::Float64, false),
        Field::new("path", DataType::Utf8, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(c.keys())),
            text(&|ch| ch.run_id.clone()),
            text(&|ch| ch.kind.name().to_string()),
            Arc::new(Float64Array::from_iter_values(
                c.values().map(|ch| ch.holdout_r2),
            )),
            text(&|ch| ch.path.clone()),
        ],
    )
    .expect("five columns of equal length")
}
