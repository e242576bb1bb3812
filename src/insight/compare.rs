//! Competitive analysis: where a design stands among the competitors'
//! collected posts.
//!
//! - percentiles: for every numeric feature but the pixel size, the share
//!   of the competitors' posts with a lower value plus half of those with
//!   the same (`sql/jobs/compare_percentiles.sql`);
//! - nearest designs: the competitor posts closest to the design in
//!   standardised feature space (each feature's z-score over the
//!   competitors' posts; the root mean square difference over the features
//!   that vary among them);
//! - the champion model's score, when the lake has one, and where it sits
//!   among the competitors' performance scores;
//! - a few sentences that say it in words.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use chrono::{TimeZone, Utc};
use datafusion::scalar::ScalarValue;
use serde::{Deserialize, Serialize};

use super::{job_rows, post_designs, InsightError, PostDesign};
use crate::features::{DesignFeatures, EXTRACTOR_VERSION, FEATURE_NAMES};
use crate::lake::Lake;
use crate::predict::{PredictError, Predictor};
use crate::query::Session;
use crate::train::{ImageFeatures, PostContext, ALL_SCOPE};

/// Features left out of the comparison: the pixel size says nothing about
/// the design (the aspect ratio does, and is compared).
const NOT_COMPARED: [&str; 2] = ["width", "height"];
/// Sentences about the features farthest from the competitors' middle.
const SUMMARY_FEATURES: usize = 3;

/// A feature's place among the competitors' posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturePercentile {
    /// The feature (FEATURES.md name).
    pub feature: String,
    /// The design's value.
    pub value: f64,
    /// 0..100: the share of competitor posts below it (ties count half).
    pub percentile: f64,
    /// Competitor posts with a value for the feature.
    pub competitor_posts: i64,
    /// Their smallest value.
    pub competitor_min: f64,
    /// Their median.
    pub competitor_median: f64,
    /// Their largest value.
    pub competitor_max: f64,
}

/// A competitor design close to the compared one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    /// The post.
    pub post_id: String,
    /// Its account.
    pub account_id: Option<String>,
    /// Its platform.
    pub platform: String,
    /// Its performance_score.
    pub performance_score: Option<f64>,
    /// Root mean square z-score difference.
    pub distance: f64,
}

/// The champion's score for the design, against the competitors' scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictedScore {
    /// Predicted performance_score, 0..100.
    pub score: f64,
    /// Its 90% interval.
    pub interval: (f64, f64),
    /// The model's scope (a platform or `all`).
    pub scope: String,
    /// Share of the competitors' posts with a lower performance_score (ties half).
    pub competitor_percentile: Option<f64>,
}

/// A design compared with the competitors' posts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The accounts compared with.
    pub competitors: Vec<String>,
    /// Their posts with features, per account.
    pub posts_per_account: BTreeMap<String, usize>,
    /// The platform the prediction is for.
    pub platform: String,
    /// Every compared feature's percentile, by feature name.
    pub percentiles: Vec<FeaturePercentile>,
    /// The nearest competitor designs, nearest first.
    pub nearest: Vec<Neighbour>,
    /// The champion's score, when the lake has a champion.
    pub prediction: Option<PredictedScore>,
    /// The comparison in words.
    pub summary: Vec<String>,
}

/// A comparison of one design with competitors' posts.
#[derive(Debug, Clone)]
pub struct CompareJob {
    competitors: Vec<String>,
    platform: Option<String>,
    neighbours: usize,
}

impl CompareJob {
    /// Compares with the posts of `competitors` (account ids).
    pub fn new(competitors: Vec<String>) -> CompareJob {
        CompareJob {
            competitors,
            platform: None,
            neighbours: 5,
        }
    }

    /// The platform to predict for (default: the competitors' most common).
    pub fn with_platform(mut self, platform: Option<String>) -> CompareJob {
        self.platform = platform;
        self
    }

    /// How many nearest designs to list.
    pub fn with_neighbours(mut self, n: usize) -> CompareJob {
        self.neighbours = n;
        self
    }

    /// Compares `design` with the competitors' posts in `lake`.
    pub async fn run(
        &self,
        lake: &Lake,
        design: &DesignFeatures,
    ) -> Result<Comparison, InsightError> {
        let session = Session::open(lake).await?;
        session.register_batch("insight.competitors", competitors_batch(&self.competitors))?;
        let posts = post_designs(
            &session,
            "competitor_features",
            vec![ScalarValue::from(EXTRACTOR_VERSION)],
        )
        .await?;
        if posts.is_empty() {
            return Err(InsightError::NoCompetitorPosts {
                accounts: self.competitors.join(", "),
            });
        }
        let compared: Vec<usize> = (0..FEATURE_NAMES.len())
            .filter(|&i| !NOT_COMPARED.contains(&FEATURE_NAMES[i]))
            .collect();
        session.register_batch(
            "insight.design_values",
            values_batch(&[("design", design)], &compared),
        )?;
        let competitor_rows: Vec<(&str, &DesignFeatures)> = posts
            .iter()
            .map(|p| (p.post_id.as_str(), &p.features))
            .collect();
        session.register_batch(
            "insight.competitor_values",
            values_batch(&competitor_rows, &compared),
        )?;
        let percentiles: Vec<FeaturePercentile> =
            job_rows(&session, "compare_percentiles", Vec::new())
                .await?
                .into_iter()
                .map(|row| {
                    serde_json::from_value(serde_json::Value::Object(row)).map_err(|e| {
                        InsightError::Rows {
                            job: "compare_percentiles",
                            message: e.to_string(),
                        }
                    })
                })
                .collect::<Result<_, _>>()?;
        let mut posts_per_account = BTreeMap::new();
        let mut per_platform: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &posts {
            *posts_per_account
                .entry(p.account_id.clone().unwrap_or_default())
                .or_insert(0) += 1;
            *per_platform.entry(p.platform.as_str()).or_insert(0) += 1;
        }
        let platform = self.platform.clone().unwrap_or_else(|| {
            per_platform
                .iter()
                .max_by_key(|(name, n)| (**n, std::cmp::Reverse(**name)))
                .map(|(name, _)| name.to_string())
                .unwrap_or_else(|| ALL_SCOPE.to_string())
        });
        let nearest = nearest(design, &posts, &compared, self.neighbours);
        let prediction = predict(lake, &platform, design, &posts).await?;
        let mut comparison = Comparison {
            competitors: self.competitors.clone(),
            posts_per_account,
            platform,
            percentiles,
            nearest,
            prediction,
            summary: Vec::new(),
        };
        comparison.summary = summary(&comparison);
        Ok(comparison)
    }
}

fn competitors_batch(accounts: &[String]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "account_id",
        DataType::Utf8,
        false,
    )]));
    RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(accounts.to_vec()))])
        .expect("one column")
}

/// Long form (post_id, feature, value) of the records' compared features.
fn values_batch(records: &[(&str, &DesignFeatures)], compared: &[usize]) -> RecordBatch {
    let (mut ids, mut features, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for (id, record) in records {
        let all = record.values();
        for &i in compared {
            ids.push(id.to_string());
            features.push(FEATURE_NAMES[i]);
            values.push(all[i]);
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("post_id", DataType::Utf8, false),
        Field::new("feature", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(StringArray::from(features)),
            Arc::new(Float64Array::from(values)),
        ],
    )
    .expect("three columns of equal length")
}

/// The `k` competitor posts nearest to `design` in standardised features.
fn nearest(
    design: &DesignFeatures,
    posts: &[PostDesign],
    compared: &[usize],
    k: usize,
) -> Vec<Neighbour> {
    let rows: Vec<_> = posts.iter().map(|p| p.features.values()).collect();
    let n = rows.len() as f64;
    // (feature index, mean, std) of the features that vary among the posts.
    let scales: Vec<(usize, f64, f64)> = compared
        .iter()
        .filter_map(|&j| {
            let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
            (var > 0.0 && var.is_finite()).then(|| (j, mean, var.sqrt()))
        })
        .collect();
    let target = design.values();
    let mut out: Vec<Neighbour> = posts
        .iter()
        .zip(&rows)
        .map(|(post, row)| {
            let sum: f64 = scales
                .iter()
                .map(|&(j, _, std)| ((target[j] - row[j]) / std).powi(2))
                .sum();
            Neighbour {
                post_id: post.post_id.clone(),
                account_id: post.account_id.clone(),
                platform: post.platform.clone(),
                performance_score: post.performance_score,
                distance: (sum / scales.len().max(1) as f64).sqrt(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.distance
            .total_cmp(&b.distance)
            .then_with(|| a.post_id.cmp(&b.post_id))
    });
    out.truncate(k);
    out
}

/// The champion's score for the design on `platform` (posted at noon on a
/// Wednesday, as `creativeiq predict` assumes by default); `None` without a
/// champion.
async fn predict(
    lake: &Lake,
    platform: &str,
    design: &DesignFeatures,
    posts: &[PostDesign],
) -> Result<Option<PredictedScore>, InsightError> {
    let predictor = match Predictor::champion(lake, platform).await {
        Err(PredictError::NoChampion { .. }) => match Predictor::champion(lake, ALL_SCOPE).await {
            Err(PredictError::NoChampion { .. }) => return Ok(None),
            other => other?,
        },
        other => other?,
    };
    let context = PostContext {
        platform: platform.to_string(),
        published_at: Utc
            .with_ymd_and_hms(2024, 1, 3, 12, 0, 0)
            .single()
            .expect("a valid time"),
        media_type: Some("image".into()),
        ..Default::default()
    };
    let p = predictor.predict_post(&context, Some(&ImageFeatures::from_design(design)))?;
    let scores: Vec<f64> = posts.iter().filter_map(|p| p.performance_score).collect();
    Ok(Some(PredictedScore {
        score: p.score,
        interval: p.interval,
        scope: p.model.1.clone(),
        competitor_percentile: mid_rank_percentile(p.score, &scores),
    }))
}

/// 100 x (values below `x` + half the values equal to it) / values.
fn mid_rank_percentile(x: f64, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let below = values.iter().filter(|v| **v < x).count() as f64;
    let equal = values.iter().filter(|v| **v == x).count() as f64;
    Some(100.0 * (below + 0.5 * equal) / values.len() as f64)
}

/// The comparison in a few sentences.
fn summary(c: &Comparison) -> Vec<String> {
    let total: usize = c.posts_per_account.values().sum();
    let mut lines = vec![format!(
        "Compared with {total} posts of {} ({}).",
        c.competitors.join(", "),
        c.posts_per_account
            .iter()
            .map(|(a, n)| format!("{a}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    let mut extreme: Vec<&FeaturePercentile> = c.percentiles.iter().collect();
    extreme.sort_by(|a, b| {
        (b.percentile - 50.0)
            .abs()
            .total_cmp(&(a.percentile - 50.0).abs())
            .then_with(|| a.feature.cmp(&b.feature))
    });
    for f in extreme.into_iter().take(SUMMARY_FEATURES) {
        let (side, share) = if f.percentile >= 50.0 {
            ("higher", f.percentile)
        } else {
            ("lower", 100.0 - f.percentile)
        };
        lines.push(format!(
            "Its {} ({:.3}) is {side} than {share:.0}% of the competitors' posts (their median {:.3}).",
            f.feature, f.value, f.competitor_median
        ));
    }
    if let Some(n) = c.nearest.first() {
        lines.push(format!(
            "The closest competitor design is post {} of {}{}.",
            n.post_id,
            n.account_id.as_deref().unwrap_or("an unknown account"),
            n.performance_score
                .map(|s| format!(", which scored {s:.0}"))
                .unwrap_or_default()
        ));
    }
    match &c.prediction {
        Some(p) => lines.push(format!(
            "The {} champion predicts {:.0} (90% interval {:.0} to {:.0}){}.",
            p.scope,
            p.score,
            p.interval.0,
            p.interval.1,
            p.competitor_percentile
                .map(|q| format!(", above {q:.0}% of the competitors' posts"))
                .unwrap_or_default()
        )),
        None => lines.push(
            "No champion model in the lake, so no predicted score: train one with `creativeiq train`."
                .into(),
        ),
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_rank_percentiles_count_ties_half() {
        assert_eq!(mid_rank_percentile(5.0, &[1.0, 5.0, 9.0, 10.0]), Some(37.5));
        assert_eq!(mid_rank_percentile(0.0, &[1.0]), Some(0.0));
        assert_eq!(mid_rank_percentile(0.0, &[]), None);
    }
}
