//! The champion/challenger decision: both models' errors on the same
//! holdout rows, compared pair by pair.
//!
//! The challenger is promoted when there is no champion, or when its
//! squared errors are smaller by a Wilcoxon signed-rank test on the paired
//! differences (champion minus challenger; two-sided p below `alpha`, the
//! differences leaning positive) AND its mean squared error is lower by at
//! least `margin` (a share of the champion's). The margin keeps a model
//! that is better by a trifle, significant on many rows, from churning the
//! registry.

use crate::stats::wilcoxon_signed_rank;
use crate::train::metrics::RegressionMetrics;

/// What the job does with a scope's challenger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The challenger becomes the champion.
    Promote,
    /// The champion stays.
    Keep,
    /// Nothing was trained: the quality gate stopped the run.
    Blocked,
}

impl Decision {
    /// Its name in `metrics.retrain_runs`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Promote => "promote",
            Decision::Keep => "keep",
            Decision::Blocked => "blocked",
        }
    }
}

/// The rule's two parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PromotionRule {
    /// Significance level of the paired test.
    pub alpha: f64,
    /// Least relative reduction of the mean squared error (0.02 = 2%).
    pub margin: f64,
}

impl Default for PromotionRule {
    fn default() -> Self {
        PromotionRule {
            alpha: 0.05,
            margin: 0.02,
        }
    }
}

/// Both models on the same rows, and what the rule made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Holdout rows compared.
    pub n: usize,
    /// The challenger's metrics.
    pub challenger: RegressionMetrics,
    /// The champion's metrics (none when there is no champion).
    pub champion: Option<RegressionMetrics>,
    /// The test's z statistic (positive: the challenger's errors are smaller).
    pub statistic: Option<f64>,
    /// Its two-sided p-value.
    pub p_value: Option<f64>,
    /// The relative reduction of the mean squared error.
    pub improvement: Option<f64>,
    /// The decision.
    pub decision: Decision,
    /// Why, in words.
    pub reason: String,
}

impl PromotionRule {
    /// Compares the predictions of the challenger and (when there is one)
    /// the champion of the same `actual` rows.
    pub fn compare(
        &self,
        actual: &[f64],
        challenger: &[f64],
        champion: Option<&[f64]>,
    ) -> Comparison {
        let challenger_metrics = RegressionMetrics::of(actual, challenger);
        let Some(champion) = champion else {
            return Comparison {
                n: actual.len(),
                challenger: challenger_metrics,
                champion: None,
                statistic: None,
                p_value: None,
                improvement: None,
                decision: Decision::Promote,
                reason: "no champion yet".into(),
            };
        };
        let champion_metrics = RegressionMetrics::of(actual, champion);
        let differences: Vec<f64> = actual
            .iter()
            .zip(challenger.iter().zip(champion))
            .map(|(a, (c, p))| (a - p).powi(2) - (a - c).powi(2))
            .collect();
        let test = wilcoxon_signed_rank(&differences);
        let mse = |m: &RegressionMetrics| m.rmse * m.rmse;
        let improvement = if mse(&champion_metrics) > 0.0 {
            1.0 - mse(&challenger_metrics) / mse(&champion_metrics)
        } else {
            0.0
        };
        let significant = test.p_value < self.alpha && test.z > 0.0;
        let (decision, reason) = if !significant {
            (
                Decision::Keep,
                format!(
                    "not significantly better (Wilcoxon z {:.2}, p {:.3} >= {} or leaning to the champion)",
                    test.z, test.p_value, self.alpha
                ),
            )
        } else if improvement < self.margin {
            (
                Decision::Keep,
                format!(
                    "significant (p {:.3}) but the MSE drops by {:.1}%, under the {:.1}% margin",
                    test.p_value,
                    100.0 * improvement,
                    100.0 * self.margin
                ),
            )
        } else {
            (
                Decision::Promote,
                format!(
                    "better: MSE down {:.1}% (margin {:.1}%), Wilcoxon z {:.2}, p {:.2e} < {}",
                    100.0 * improvement,
                    100.0 * self.margin,
                    test.z,
                    test.p_value,
                    self.alpha
                ),
            )
        };
        Comparison {
            n: actual.len(),
            challenger: challenger_metrics,
            champion: Some(champion_metrics),
            statistic: Some(test.z),
            p_value: Some(test.p_value),
            improvement: Some(improvement),
            decision,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<f64> {
        (0..n).map(|i| (i * 37 % 100) as f64).collect()
    }

    #[test]
    fn a_clearly_better_challenger_is_promoted_and_a_tie_is_kept() {
        let actual = rows(200);
        let noisy = |scale: f64| -> Vec<f64> {
            actual
                .iter()
                .enumerate()
                .map(|(i, a)| a + scale * (((i * 7919) % 21) as f64 - 10.0))
                .collect()
        };
        let (good, bad) = (noisy(0.5), noisy(2.0));
        let rule = PromotionRule::default();
        let c = rule.compare(&actual, &good, Some(bad.as_slice()));
        assert_eq!(c.decision, Decision::Promote, "{}", c.reason);
        assert!(c.p_value.unwrap() < 1e-6 && c.statistic.unwrap() > 0.0);
        // The same model against itself: nothing to promote.
        let same = rule.compare(&actual, &bad, Some(bad.as_slice()));
        assert_eq!(same.decision, Decision::Keep);
        // Worse is never promoted, however significant.
        let worse = rule.compare(&actual, &bad, Some(good.as_slice()));
        assert_eq!(worse.decision, Decision::Keep);
        // A margin larger than the gain keeps the champion.
        let strict = PromotionRule {
            alpha: 0.05,
            margin: 0.99,
        };
        let kept = strict.compare(&actual, &good, Some(bad.as_slice()));
        assert_eq!(kept.decision, Decision::Keep);
        assert!(kept.reason.contains("margin"), "{}", kept.reason);
        let first = rule.compare(&actual, &bad, None);
        assert_eq!(first.decision, Decision::Promote);
    }
}
