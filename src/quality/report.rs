//! The quality report: one self-contained HTML file (inline SVG charts, no
//! script, no external resource; see [`crate::report`]) from the queries of
//! `sql/reports/` (all but the `model_*` ones), and a short summary for the
//! terminal.
//!
//! To add a section: a query in `sql/reports/`, and a few lines in
//! [`QualityReport::render`] that chart or tabulate it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::lake::Lake;
use crate::query::Settings;
use crate::report::charts::{self, Interval, FAIL, NOT_RUN, PALETTE, PASS, WARN};
use crate::report::html::{chart, esc, page, section, table, Row, Rows};
use crate::report::{open_session, queries};

use super::QualityError;

/// What the terminal shows after a report is written.
#[derive(Debug, Clone, Default)]
pub struct ReportSummary {
    /// The latest validation run, if there is one.
    pub run_id: Option<String>,
    /// Its quality score.
    pub score: Option<f64>,
    /// Checks in that run.
    pub checks: usize,
    /// The failing ones, as (name, severity).
    pub failing: Vec<(String, String)>,
    /// Posts (latest snapshots).
    pub posts: u64,
    /// Of which valid.
    pub valid: u64,
    /// A/B comparisons.
    pub ab_comparisons: usize,
    /// Of which significant.
    pub ab_significant: usize,
    /// Of which the tool's recorded significance disagrees with the recomputation.
    pub ab_disagreeing: usize,
}

impl std::fmt::Display for ReportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.run_id, self.score) {
            (Some(run), Some(score)) => {
                let errors = self.failing.iter().filter(|(_, s)| s == "error").count();
                write!(
                    f,
                    "latest validation run {run}: quality score {score:.0}/100, {} of {} checks failing ({errors} of severity error)",
                    self.failing.len(),
                    self.checks
                )?;
                if !self.failing.is_empty() {
                    let names: Vec<&str> = self.failing.iter().map(|(n, _)| n.as_str()).collect();
                    write!(f, ": {}", names.join(", "))?;
                }
                writeln!(f)?;
            }
            _ => writeln!(
                f,
                "no validation run yet: `creativeiq validate` runs the checks the report shows"
            )?,
        }
        writeln!(
            f,
            "posts: {} ({} valid, {} rejected); A/B comparisons: {} ({} significant, {} where the tool's significance disagrees)",
            self.posts,
            self.valid,
            self.posts - self.valid,
            self.ab_comparisons,
            self.ab_significant,
            self.ab_disagreeing
        )
    }
}

/// Renders the quality report of a lake.
#[derive(Debug, Clone, Default)]
pub struct QualityReport {
    settings: Option<Settings>,
}

impl QualityReport {
    /// A report with the lake's settings.
    pub fn new() -> QualityReport {
        QualityReport::default()
    }

    /// The settings the views read (default: the lake's).
    pub fn with_settings(mut self, settings: Settings) -> QualityReport {
        self.settings = Some(settings);
        self
    }

    /// The HTML of the report, and its summary.
    pub async fn render(&self, lake: &Lake) -> Result<(String, ReportSummary), QualityError> {
        let session = open_session(lake, self.settings.as_ref()).await?;
        let q = queries(&session, |name| {
            !name.starts_with(crate::report::MODEL_PREFIX)
        })
        .await?;
        let mut summary = ReportSummary::default();
        let mut body = String::new();

        // The latest run and its checks.
        let latest = &q["latest_checks"];
        if let Some(first) = latest.rows.first() {
            summary.run_id = Some(Rows::text(first, "run_id"));
            summary.score = Rows::number(first, "quality_score");
            summary.checks = latest.rows.len();
            summary.failing = latest
                .rows
                .iter()
                .filter(|r| Rows::text(r, "status") != "pass")
                .map(|r| (Rows::text(r, "check_name"), Rows::text(r, "severity")))
                .collect();
        }
        let platforms = &q["platform_distribution"];
        for row in &platforms.rows {
            let valid = Rows::number(row, "valid").unwrap_or(0.0) as u64;
            summary.valid += valid;
            summary.posts += valid + Rows::number(row, "rejected").unwrap_or(0.0) as u64;
        }
        let ab = &q["ab_tests"];
        summary.ab_comparisons = ab.rows.len();
        summary.ab_significant = ab
            .rows
            .iter()
            .filter(|r| Rows::flag(r, "significant"))
            .count();
        summary.ab_disagreeing = ab
            .rows
            .iter()
            .filter(|r| Rows::flag(r, "significance_disagrees"))
            .count();

        section(&mut body, "Checks of the latest run", "checks");
        match (&summary.run_id, summary.score) {
            (Some(run), Some(score)) => {
                let _ = writeln!(
                    body,
                    "<p class=\"score\">Quality score <b>{score:.0}</b>/100 &middot; run {} &middot; as of {} &middot; {} of {} checks failing</p>",
                    esc(run),
                    esc(&latest.rows.first().map(|r| Rows::text(r, "as_of")).unwrap_or_default()),
                    summary.failing.len(),
                    summary.checks
                );
                table(
                    &mut body,
                    latest,
                    &["check_name", "severity", "status", "failed_rows", "threshold", "detail"],
                    Some("status"),
                );
            }
            _ => body.push_str(
                "<p>No validation run yet: <code>creativeiq validate</code> runs the checks of <code>sql/checks/</code> and this section shows them.</p>\n",
            ),
        }

        section(&mut body, "Checks over time", "history");
        let history = &q["check_history"];
        let mut runs: Vec<&Row> = history.rows.iter().collect();
        runs.reverse();
        if runs.is_empty() {
            body.push_str("<p>No validation run yet.</p>\n");
        } else {
            let points: Vec<(f64, f64)> = runs
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        i as f64 + 1.0,
                        Rows::number(r, "quality_score").unwrap_or(0.0),
                    )
                })
                .collect();
            chart(
                &mut body,
                charts::lines(
                    "Quality score per validation run (oldest first)",
                    "run",
                    "score",
                    &[("quality score".into(), points)],
                    Some((0.0, 105.0)),
                    (860, 300),
                ),
            );
            let grid_rows = &q["check_grid"];
            let mut run_ids: Vec<String> = grid_rows
                .rows
                .iter()
                .map(|r| Rows::text(r, "run_id"))
                .collect();
            run_ids.dedup();
            let mut names: Vec<String> = grid_rows
                .rows
                .iter()
                .map(|r| Rows::text(r, "check_name"))
                .collect();
            names.sort();
            names.dedup();
            let cells: Vec<_> = grid_rows
                .rows
                .iter()
                .filter_map(|r| {
                    let x = run_ids
                        .iter()
                        .position(|id| *id == Rows::text(r, "run_id"))?;
                    let y = names
                        .iter()
                        .position(|n| *n == Rows::text(r, "check_name"))?;
                    let colour = match (
                        Rows::text(r, "status").as_str(),
                        Rows::text(r, "severity").as_str(),
                    ) {
                        ("pass", _) => PASS,
                        ("fail", "warning") => WARN,
                        ("fail", _) => FAIL,
                        _ => NOT_RUN,
                    };
                    let failed = Rows::number(r, "failed_rows").unwrap_or(0.0);
                    let text = if failed > 0.0 {
                        format!("{failed:.0}")
                    } else {
                        String::new()
                    };
                    Some((x, y, colour, text))
                })
                .collect();
            let short: Vec<String> = run_ids
                .iter()
                .map(|id| id.chars().take(15).collect())
                .collect();
            chart(
                &mut body,
                charts::grid(
                    "Check status per run (green pass, orange warning, red error; the number of failing rows)",
                    &short,
                    &names,
                    &cells,
                    (860, 120 + 28 * names.len() as u32 + 60),
                ),
            );
        }

        section(&mut body, "Platform distribution", "platforms");
        let categories: Vec<String> = platforms
            .rows
            .iter()
            .map(|r| Rows::text(r, "platform"))
            .collect();
        let valid: Vec<f64> = platforms
            .rows
            .iter()
            .map(|r| Rows::number(r, "valid").unwrap_or(0.0))
            .collect();
        let rejected: Vec<f64> = platforms
            .rows
            .iter()
            .map(|r| Rows::number(r, "rejected").unwrap_or(0.0))
            .collect();
        if categories.is_empty() {
            body.push_str("<p>The lake has no posts.</p>\n");
        } else {
            chart(
                &mut body,
                charts::stacked_bars(
                    "Posts per platform (latest snapshots)",
                    &categories,
                    &[("valid", PALETTE[0], valid), ("rejected", FAIL, rejected)],
                    (860, 340),
                ),
            );
            table(
                &mut body,
                &q["rejected_by_rule"],
                &["rule", "platform", "posts"],
                None,
            );
        }

        section(&mut body, "Missing data per column", "missing");
        let missing = &q["missing_by_column"];
        if !missing.rows.is_empty() {
            let mut columns: Vec<String> = missing
                .rows
                .iter()
                .map(|r| Rows::text(r, "column_name"))
                .collect();
            columns.sort();
            columns.dedup();
            let mut plats: Vec<String> = missing
                .rows
                .iter()
                .map(|r| Rows::text(r, "platform"))
                .collect();
            plats.dedup();
            let cells: Vec<_> = missing
                .rows
                .iter()
                .filter_map(|r| {
                    let x = columns
                        .iter()
                        .position(|c| *c == Rows::text(r, "column_name"))?;
                    let y = plats.iter().position(|p| *p == Rows::text(r, "platform"))?;
                    let share = Rows::number(r, "missing_share").unwrap_or(0.0);
                    let fade = |c: u8| (255.0 - (255.0 - f64::from(c)) * share) as u8;
                    let colour =
                        plotters::style::RGBColor(fade(FAIL.0), fade(FAIL.1), fade(FAIL.2));
                    Some((x, y, colour, format!("{:.0}%", share * 100.0)))
                })
                .collect();
            chart(
                &mut body,
                charts::grid(
                    "Share of posts without a value (100%: the platform does not report it)",
                    &columns,
                    &plats,
                    &cells,
                    (860, 140 + 34 * plats.len() as u32 + 40),
                ),
            );
        }

        section(&mut body, "Metric distributions", "metrics");
        let histogram = &q["engagement_histogram"];
        let mut by_platform: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        let mut totals: BTreeMap<String, f64> = BTreeMap::new();
        for r in &histogram.rows {
            *totals.entry(Rows::text(r, "platform")).or_default() +=
                Rows::number(r, "posts").unwrap_or(0.0);
        }
        for r in &histogram.rows {
            let platform = Rows::text(r, "platform");
            let width = Rows::number(r, "bin_width").unwrap_or(0.0);
            let bin = Rows::number(r, "bin").unwrap_or(0.0);
            let share = Rows::number(r, "posts").unwrap_or(0.0) / totals[&platform].max(1.0);
            by_platform
                .entry(platform)
                .or_default()
                .push(((bin + 0.5) * width * 100.0, share * 100.0));
        }
        if by_platform.is_empty() {
            body.push_str("<p>No valid posts.</p>\n");
        } else {
            let series: Vec<(String, Vec<(f64, f64)>)> = by_platform.into_iter().collect();
            chart(
                &mut body,
                charts::lines(
                    "Engagement rate of the valid posts, per platform",
                    "engagement rate (%)",
                    "% of the platform's posts",
                    &series,
                    None,
                    (860, 340),
                ),
            );
        }
        table(
            &mut body,
            &q["engagement_summary"],
            &[
                "platform",
                "posts",
                "p10",
                "median",
                "p90",
                "mean_interactions",
                "mean_denominator",
            ],
            None,
        );

        section(&mut body, "A/B results", "ab");
        if ab.rows.is_empty() {
            body.push_str("<p>The lake has no A/B tests.</p>\n");
        } else {
            let intervals: Vec<Interval> = ab
                .rows
                .iter()
                .filter_map(|r| {
                    Some(Interval {
                        label: format!("{} {}", Rows::text(r, "test_id"), Rows::text(r, "variant")),
                        estimate: Rows::number(r, "conversion_rate_diff")?,
                        low: Rows::number(r, "ci_low")?,
                        high: Rows::number(r, "ci_high")?,
                        colour: if Rows::flag(r, "significance_disagrees") {
                            FAIL
                        } else if Rows::flag(r, "significant") {
                            PASS
                        } else {
                            PALETTE[7]
                        },
                    })
                })
                .collect();
            chart(
                &mut body,
                charts::forest(
                    "Variant minus control conversion rate, with its confidence interval (green significant, grey not, red: the tool's significance disagrees)",
                    "difference in conversion rate",
                    &intervals,
                    (860, 90 + 26 * intervals.len() as u32 + 40),
                ),
            );
            table(
                &mut body,
                ab,
                &[
                    "test_id",
                    "control",
                    "variant",
                    "control_impressions",
                    "variant_impressions",
                    "control_conversion_rate",
                    "variant_conversion_rate",
                    "ci_low",
                    "ci_high",
                    "p_value",
                    "recorded_significance",
                    "winner",
                    "significance_disagrees",
                    "srm_p_value",
                ],
                None,
            );
        }

        section(&mut body, "Failing rows of the latest run", "rows");
        let failed = &q["latest_failed_rows"];
        if failed.rows.is_empty() {
            body.push_str("<p>None.</p>\n");
        } else {
            body.push_str("<p>Up to 10 per check; all of them: <code>creativeiq sql \"SELECT * FROM quality.failed_rows WHERE run_id = '...'\"</code>.</p>\n");
            table(
                &mut body,
                failed,
                &[
                    "check_name",
                    "severity",
                    "table_name",
                    "row_key",
                    "observed",
                    "detail",
                    "source",
                ],
                None,
            );
        }

        let html = page(
            "CreativeIQ data quality",
            &lake.location().to_string(),
            &[
                ("checks", "checks"),
                ("history", "over time"),
                ("platforms", "platforms"),
                ("missing", "missing data"),
                ("metrics", "metrics"),
                ("ab", "A/B tests"),
                ("rows", "failing rows"),
            ],
            &body,
        );
        Ok((html, summary))
    }
}
