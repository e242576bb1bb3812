//! Monitoring figures of a week: drift of the inputs and of the champion's
//! scores and errors (population stability index against the champion's
//! own data), its accuracy on the week, and how feature importance moved
//! between champion and challenger.

use std::collections::BTreeMap;

use super::tables::{AccuracyRow, DriftRow, ImportanceShiftRow};
use crate::stats::population_stability_index;
use crate::train::metrics::RegressionMetrics;
use crate::train::Matrix;

/// PSI above this: the distribution has shifted.
pub const PSI_THRESHOLD: f64 = 0.25;
/// An R² drop (trained holdout minus this week) above this is flagged.
pub const R2_DROP_THRESHOLD: f64 = 0.1;
/// Bins of the PSI (the reference's deciles).
const BINS: usize = 10;

/// A drift row of one quantity.
pub fn drift(
    scope: &str,
    quantity: &str,
    kind: &'static str,
    champion_run: &str,
    reference: &[f64],
    current: &[f64],
) -> DriftRow {
    let psi = population_stability_index(reference, current, BINS);
    DriftRow {
        scope: scope.to_string(),
        quantity: quantity.to_string(),
        kind,
        psi,
        reference_rows: reference.len(),
        current_rows: current.len(),
        champion_run: champion_run.to_string(),
        flagged: psi.is_some_and(|p| p > PSI_THRESHOLD),
    }
}

/// A drift row per feature column of two matrices with the same columns.
pub fn feature_drift(
    scope: &str,
    champion_run: &str,
    names: &[String],
    reference: &Matrix,
    current: &Matrix,
) -> Vec<DriftRow> {
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            drift(
                scope,
                name,
                "feature",
                champion_run,
                &reference.column(j),
                &current.column(j),
            )
        })
        .collect()
}

/// The champion's accuracy on the week against its trained holdout R².
pub fn accuracy(
    scope: &str,
    champion_run: &str,
    champion_kind: &str,
    week: &RegressionMetrics,
    reference_r2: Option<f64>,
) -> AccuracyRow {
    let r2 = Some(week.r2).filter(|r| r.is_finite());
    let r2_drop = reference_r2.zip(r2).map(|(a, b)| a - b);
    AccuracyRow {
        scope: scope.to_string(),
        champion_run: champion_run.to_string(),
        champion_kind: champion_kind.to_string(),
        n: week.n,
        metrics: [r2, Some(week.rmse), Some(week.mae)],
        reference_r2,
        r2_drop,
        flagged: r2_drop.is_some_and(|d| d > R2_DROP_THRESHOLD),
    }
}

/// Feature importance of the champion and the challenger side by side:
/// (importance, rank) by feature for each.
pub fn importance_shift(
    scope: &str,
    champion: &BTreeMap<String, (f64, i32)>,
    challenger: &BTreeMap<String, (f64, i32)>,
) -> Vec<ImportanceShiftRow> {
    let mut features: Vec<&String> = champion.keys().chain(challenger.keys()).collect();
    features.sort();
    features.dedup();
    features
        .into_iter()
        .map(|f| ImportanceShiftRow {
            scope: scope.to_string(),
            feature: f.clone(),
            champion: champion.get(f).copied(),
            challenger: challenger.get(f).copied(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_distribution_is_flagged_and_a_stable_one_is_not() {
        let reference: Vec<f64> = (0..500).map(|i| (i % 100) as f64).collect();
        let moved: Vec<f64> = reference.iter().map(|v| v + 40.0).collect();
        assert!(drift("all", "x", "feature", "r", &reference, &moved).flagged);
        assert!(!drift("all", "x", "feature", "r", &reference, &reference[..200]).flagged);
        let week = RegressionMetrics::of(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]);
        let a = accuracy("all", "r", "elastic_net", &week, Some(0.5));
        assert!(a.flagged && a.r2_drop.unwrap() > 2.0);
    }
}
