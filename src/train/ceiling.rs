//! The ceiling of synthetic data: the R² no model can beat on average, to
//! report each model's holdout R² as a share of it.
//!
//! A synthetic world (`creativeiq synth`, `creativeiq sim serve
//! --truth-dir DIR`) knows each post's expected engagement rate, free of
//! the sampling noise of its counts (`truth/posts.ndjson`). The ceiling is
//! computed here, on the rows a model is scored on, against the label the
//! lake computed (`training_posts.performance_score`), not the one the
//! generator computed for itself: the noise-free score is the expected
//! rate ranked the way `sql/views/40_labelled_posts.sql` ranks the
//! observed one (the mid-rank percentile within the platform and calendar
//! month of publication, among the training rows), and the ceiling R² is
//! its squared Pearson correlation with the label (R² after the best
//! straight line). The generator's own `truth/ceiling.json` ranks with
//! `PERCENT_RANK` over every generated post, which differs slightly (ties
//! and posts the lake rejected or the collection window left out).
//!
//! With `balance_strategy = downsample` the training rows are a sample of
//! each platform-month, so the noise-free ranks are taken within that
//! sample while the label was ranked among every valid post: the ceiling is
//! then an approximation.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use chrono::Datelike;
use serde::Deserialize;

use super::dataset::Dataset;
use super::metrics::pearson;
use super::TrainError;

/// Each post's expected engagement rate, by (platform, post id).
#[derive(Debug, Clone, Default)]
pub struct TrueRates {
    rates: HashMap<(String, String), f64>,
}

#[derive(Deserialize)]
struct TruthPost {
    platform: String,
    id: String,
    expected_rate: f64,
}

impl TrueRates {
    /// Reads `posts.ndjson` of a truth directory (`DIR/posts.ndjson`, or
    /// `DIR/truth/posts.ndjson` for a `creativeiq synth` output), or the
    /// file itself.
    pub fn read(path: &Path) -> Result<TrueRates, TrainError> {
        let file = if path.is_dir() {
            [path.join("posts.ndjson"), path.join("truth/posts.ndjson")]
                .into_iter()
                .find(|p| p.is_file())
                .unwrap_or_else(|| path.join("posts.ndjson"))
        } else {
            path.to_path_buf()
        };
        let io = |source| TrainError::Io {
            path: file.display().to_string(),
            source,
        };
        let reader = std::io::BufReader::new(std::fs::File::open(&file).map_err(io)?);
        let mut rates = HashMap::new();
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let post: TruthPost = serde_json::from_str(&line).map_err(|e| {
                TrainError::BadDataset(format!("{} line {}: {e}", file.display(), n + 1))
            })?;
            rates.insert((post.platform, post.id), post.expected_rate);
        }
        Ok(TrueRates { rates })
    }

    /// From (platform, post id, expected rate) triples.
    pub fn from_rates(rates: impl IntoIterator<Item = (String, String, f64)>) -> TrueRates {
        TrueRates {
            rates: rates
                .into_iter()
                .map(|(platform, id, rate)| ((platform, id), rate))
                .collect(),
        }
    }

    /// Posts known.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    /// Whether no post is known.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// The noise-free score of every row of `data` that has a true rate,
    /// by (platform, post id): the mid-rank percentile of its expected rate
    /// among the rows of its platform and month that have one.
    pub fn noise_free_scores(&self, data: &Dataset) -> HashMap<(String, String), f64> {
        let mut groups: BTreeMap<(String, i32, u32), Vec<(usize, f64)>> = BTreeMap::new();
        for i in 0..data.len() {
            let key = (data.platforms()[i].clone(), data.post_ids()[i].clone());
            if let Some(&rate) = self.rates.get(&key) {
                let t = data.published_at()[i];
                groups
                    .entry((key.0, t.year(), t.month()))
                    .or_default()
                    .push((i, rate));
            }
        }
        let mut out = HashMap::new();
        for members in groups.values() {
            let rates: Vec<f64> = members.iter().map(|(_, r)| *r).collect();
            for (&(i, _), score) in members.iter().zip(mid_rank_percentiles(&rates)) {
                out.insert(
                    (data.platforms()[i].clone(), data.post_ids()[i].clone()),
                    score,
                );
            }
        }
        out
    }
}

/// 100 x (values below + half the values equal, itself included) / n: the
/// percentile `sql/views/40_labelled_posts.sql` gives a post's rate.
pub fn mid_rank_percentiles(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|s| s.total_cmp(v).is_lt());
            let upto = sorted.partition_point(|s| s.total_cmp(v).is_le());
            100.0 * (below as f64 + 0.5 * (upto - below) as f64) / n
        })
        .collect()
}

/// The ceiling R² of `labels` given their noise-free scores: the squared
/// Pearson correlation (R² of the best line through them).
pub fn ceiling_r2(labels: &[f64], noise_free: &[f64]) -> f64 {
    pearson(labels, noise_free).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_the_lake_label() {
        // 40_labelled_posts: a lone post scores 50, ties share a score and
        // the scores average 50.
        assert_eq!(mid_rank_percentiles(&[7.0]), vec![50.0]);
        let p = mid_rank_percentiles(&[0.1, 0.3, 0.2, 0.3]);
        assert_eq!(p, vec![12.5, 75.0, 37.5, 75.0]);
        assert_eq!(p.iter().sum::<f64>() / 4.0, 50.0);
    }

    #[test]
    fn a_label_that_is_the_noise_free_score_has_a_ceiling_of_one() {
        let l = [10.0, 30.0, 50.0, 90.0];
        assert!((ceiling_r2(&l, &l) - 1.0).abs() < 1e-12);
        assert!(ceiling_r2(&l, &[90.0, 10.0, 50.0, 30.0]) < 0.5);
    }
}
