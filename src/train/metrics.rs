//! The evaluation metrics, on the 0..100 score: R², RMSE, MAE, Spearman's
//! rank correlation, A/B pairwise accuracy, classifier accuracy, and
//! quantiles for prediction intervals. Unweighted: they say how well the
//! model ranks and scores posts as they come, not as balanced for training.

use serde::{Deserialize, Serialize};

/// The regression metrics of one set of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Rows scored.
    pub n: usize,
    // JSON has no NaN: serde_json writes it as null, read back here as NaN.
    /// Coefficient of determination, 1 - SS_res / SS_tot (NaN when the
    /// actual values are all equal).
    #[serde(deserialize_with = "null_as_nan")]
    pub r2: f64,
    /// Root mean squared error.
    #[serde(deserialize_with = "null_as_nan")]
    pub rmse: f64,
    /// Mean absolute error.
    #[serde(deserialize_with = "null_as_nan")]
    pub mae: f64,
    /// Spearman's rank correlation (NaN when either side is constant).
    #[serde(deserialize_with = "null_as_nan")]
    pub spearman: f64,
}

impl RegressionMetrics {
    /// The metrics of `predicted` against `actual`.
    pub fn of(actual: &[f64], predicted: &[f64]) -> RegressionMetrics {
        RegressionMetrics {
            n: actual.len(),
            r2: r2(actual, predicted),
            rmse: rmse(actual, predicted),
            mae: mae(actual, predicted),
            spearman: spearman(actual, predicted),
        }
    }
}

fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// R²: 1 - Σ(y - ŷ)² / Σ(y - ȳ)².
pub fn r2(actual: &[f64], predicted: &[f64]) -> f64 {
    let m = mean(actual);
    let ss_tot: f64 = actual.iter().map(|y| (y - m).powi(2)).sum();
    let ss_res: f64 = actual
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).powi(2))
        .sum();
    if ss_tot == 0.0 {
        f64::NAN
    } else {
        1.0 - ss_res / ss_tot
    }
}

/// Root mean squared error.
pub fn rmse(actual: &[f64], predicted: &[f64]) -> f64 {
    let mse = actual
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).powi(2))
        .sum::<f64>()
        / actual.len() as f64;
    mse.sqrt()
}

/// Mean absolute error.
pub fn mae(actual: &[f64], predicted: &[f64]) -> f64 {
    actual
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).abs())
        .sum::<f64>()
        / actual.len() as f64
}

/// Ranks 1..n, ties getting the mean of the ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let shared = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = shared;
        }
        start = end;
    }
    ranks
}

/// Pearson's correlation (NaN when either side is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    let mut cov = 0.0;
    let mut va = 0.0;
    let mut vb = 0.0;
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    if va == 0.0 || vb == 0.0 {
        f64::NAN
    } else {
        cov / (va.sqrt() * vb.sqrt())
    }
}

/// Spearman's rank correlation: Pearson's on the tie-averaged ranks.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// The share of `(winner, loser)` pairs whose winner has the higher score;
/// a tie counts as half. NaN without pairs.
pub fn pairwise_accuracy(scores: &[f64], pairs: &[(usize, usize)]) -> f64 {
    if pairs.is_empty() {
        return f64::NAN;
    }
    let hits: f64 = pairs
        .iter()
        .map(|&(w, l)| match scores[w].total_cmp(&scores[l]) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Equal => 0.5,
            std::cmp::Ordering::Less => 0.0,
        })
        .sum();
    hits / pairs.len() as f64
}

/// The share of equal labels.
pub fn accuracy(actual: &[bool], predicted: &[bool]) -> f64 {
    let hits = actual.iter().zip(predicted).filter(|(a, p)| a == p).count();
    hits as f64 / actual.len() as f64
}

/// The `q` quantile (0..1) by linear interpolation between order
/// statistics (numpy's default). NaN for no values.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_matches_a_hand_computed_case_with_ties() {
        // x ranks: 1, 2.5, 2.5, 4, 5 ; y ranks: 2, 1, 3, 5, 4.
        let x = [1.0, 2.0, 2.0, 3.0, 4.0];
        let y = [20.0, 10.0, 30.0, 50.0, 40.0];
        assert_eq!(ranks(&x), vec![1.0, 2.5, 2.5, 4.0, 5.0]);
        // Pearson of the ranks, by hand: means 3 and 3; deviations
        // (-2, -.5, -.5, 1, 2) and (-1, -2, 0, 2, 1); covariance sum
        // 2 + 1 + 0 + 2 + 2 = 7; variances 4+.25+.25+1+4 = 9.5 and 10.
        let expected = 7.0 / (9.5f64.sqrt() * 10f64.sqrt());
        assert!((spearman(&x, &y) - expected).abs() < 1e-12);
        assert!((spearman(&x, &x) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn r2_rmse_mae_match_direct_computation() {
        let y = [10.0, 20.0, 30.0, 40.0];
        let p = [12.0, 18.0, 33.0, 40.0];
        // Residuals -2, 2, -3, 0: SS_res 17, SS_tot 500.
        assert!((r2(&y, &p) - (1.0 - 17.0 / 500.0)).abs() < 1e-12);
        assert!((rmse(&y, &p) - (17.0f64 / 4.0).sqrt()).abs() < 1e-12);
        assert!((mae(&y, &p) - 7.0 / 4.0).abs() < 1e-12);
        assert!(r2(&[5.0, 5.0], &[5.0, 5.0]).is_nan());
        // Predicting the mean scores 0.
        assert!(r2(&y, &[25.0; 4]).abs() < 1e-12);
    }

    #[test]
    fn pairwise_accuracy_counts_ties_as_half() {
        let scores = [50.0, 60.0, 60.0, 10.0];
        let pairs = [(1, 0), (0, 1), (1, 2), (0, 3)];
        assert!((pairwise_accuracy(&scores, &pairs) - 2.5 / 4.0).abs() < 1e-12);
        assert!(pairwise_accuracy(&scores, &[]).is_nan());
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert!((quantile(&v, 0.9) - 3.7).abs() < 1e-12);
    }
}
