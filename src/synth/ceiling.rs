//! The label and the ceiling. The label (`performance_score`, DESIGN.md
//! "The label") is the percentile of a post's engagement rate among the
//! posts of the same platform and calendar month; the noise-free score is
//! the same percentile of the expected rate. How well the noise-free score
//! predicts the label is the best any model can do: the ceiling.

use std::collections::BTreeMap;

use serde::Serialize;

/// Percentile 0..100 of each value within its group, as SQL's
/// `100 * PERCENT_RANK() OVER (PARTITION BY group ORDER BY value)`: the
/// share of the group's other posts with a strictly lower value; ties share
/// the lowest rank, and a group of one scores 0.
pub fn percentile_in_groups<K: Ord + Clone>(groups: &[K], values: &[f64]) -> Vec<f64> {
    let mut members: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        members.entry(g.clone()).or_default().push(i);
    }
    let mut out = vec![0.0; values.len()];
    for idx in members.values() {
        let mut sorted: Vec<f64> = idx.iter().map(|&i| values[i]).collect();
        sorted.sort_by(f64::total_cmp);
        let n = idx.len();
        for &i in idx {
            let below = sorted.partition_point(|v| v.total_cmp(&values[i]).is_lt());
            out[i] = if n > 1 {
                100.0 * below as f64 / (n - 1) as f64
            } else {
                0.0
            };
        }
    }
    out
}

/// Coefficient of determination of `prediction` for `truth`.
pub fn r2(truth: &[f64], prediction: &[f64]) -> f64 {
    let n = truth.len().max(1) as f64;
    let mean = truth.iter().sum::<f64>() / n;
    let ss_tot: f64 = truth.iter().map(|y| (y - mean).powi(2)).sum();
    let ss_res: f64 = truth
        .iter()
        .zip(prediction)
        .map(|(y, p)| (y - p).powi(2))
        .sum();
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        0.0
    }
}

/// Pearson correlation (0 when either side is constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().max(1) as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}

/// Ranks 1..n, ties sharing their average rank.
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman rank correlation.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&average_ranks(a), &average_ranks(b))
}

/// How well the noise-free score predicts the label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// Posts.
    pub posts: usize,
    /// R² of the noise-free score after the least-squares line
    /// `label ≈ a + b score` (= Pearson²): the ceiling for R².
    pub r2: f64,
    /// R² of the noise-free score taken as it is. Lower than `r2`: the raw
    /// percentile is as spread as the label, while the best predictor of a
    /// noisy label shrinks towards its mean.
    pub r2_uncalibrated: f64,
    /// Spearman correlation: the ceiling for rank metrics.
    pub spearman: f64,
}

impl Fit {
    /// The fit of `score` to `label`.
    pub fn of(label: &[f64], score: &[f64]) -> Fit {
        Fit {
            posts: label.len(),
            r2: pearson(label, score).powi(2),
            r2_uncalibrated: r2(label, score),
            spearman: spearman(label, score),
        }
    }
}

/// The ceiling over all posts and per platform.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ceiling {
    /// Over every post.
    pub all: Fit,
    /// Per platform name.
    pub platforms: BTreeMap<String, Fit>,
}

impl Ceiling {
    /// The ceiling from each post's platform, label and noise-free score.
    pub fn compute(platforms: &[&str], label: &[f64], score: &[f64]) -> Ceiling {
        let mut per: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for ((p, l), s) in platforms.iter().zip(label).zip(score) {
            let e = per.entry(p.to_string()).or_default();
            e.0.push(*l);
            e.1.push(*s);
        }
        Ceiling {
            all: Fit::of(label, score),
            platforms: per
                .into_iter()
                .map(|(p, (l, s))| (p, Fit::of(&l, &s)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_rank_within_groups_like_percent_rank() {
        let groups = ["a", "a", "a", "b", "a"];
        let values = [3.0, 1.0, 3.0, 9.0, 2.0];
        let p = percentile_in_groups(&groups, &values);
        assert_eq!(p, vec![200.0 / 3.0, 0.0, 200.0 / 3.0, 0.0, 100.0 / 3.0]);
    }

    #[test]
    fn spearman_uses_average_ranks() {
        assert_eq!(average_ranks(&[5.0, 1.0, 5.0]), vec![2.5, 1.0, 2.5]);
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 90.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn calibrated_r2_is_never_below_the_raw_one() {
        let label = [10.0, 40.0, 35.0, 80.0, 60.0, 90.0];
        let score = [0.0, 20.0, 60.0, 40.0, 80.0, 100.0];
        let fit = Fit::of(&label, &score);
        assert!(fit.r2 >= fit.r2_uncalibrated);
        assert!((r2(&label, &label) - 1.0).abs() < 1e-12);
    }
}
