//! Feature assembly: one model input row from a post's context and, when the
//! post has an image, its row of `features.design` (FEATURES.md).
//!
//! Missing values are `NaN` here. A post without an image (a text-only
//! export, or an image whose extraction failed) gets `has_image = 0`, `NaN`
//! for every image feature and for `platform_aspect_fit`; the preparation
//! step ([`super::prepare`]) then imputes training medians, so such posts
//! still train and predict on their context features, and `has_image`
//! lets every learner tell an imputed image from a real one.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::dataset::{Dataset, Matrix, RowInfo};
use super::TrainError;
use crate::features::{platform_aspect_fit, DesignFeatures, FEATURE_NAMES};

/// What a post says about itself besides its image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PostContext {
    /// The platform (`instagram`, `linkedin`, ...).
    pub platform: String,
    /// When it was (or will be) published.
    pub published_at: DateTime<Utc>,
    /// The account's offset from UTC in minutes, when known; the posting
    /// hour and weekday are local to it.
    pub utc_offset_minutes: Option<i32>,
    /// `image`, `video`, `carousel`, ... when known.
    pub media_type: Option<String>,
    /// Followers of the account.
    pub followers: Option<i64>,
    /// Whether the post was promoted.
    pub paid: Option<bool>,
    /// Characters in the caption.
    pub caption_length: Option<i64>,
    /// Hashtags in the caption.
    pub hashtag_count: Option<i64>,
}

impl PostContext {
    /// Sets the caption length and hashtag count from the caption text.
    pub fn with_caption(mut self, caption: &str) -> PostContext {
        self.caption_length = Some(caption.chars().count() as i64);
        self.hashtag_count = Some(count_hashtags(caption) as i64);
        self
    }
}

/// Hashtags: a `#` at the start or after whitespace, followed by a letter,
/// digit or underscore.
pub fn count_hashtags(text: &str) -> usize {
    let mut count = 0;
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let at_word_start = previous.is_none_or(char::is_whitespace);
        if c == '#'
            && at_word_start
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '_')
        {
            count += 1;
        }
        previous = Some(c);
    }
    count
}

/// One post as the training view gives it: its id, context, image
/// features (when it has an image with features), label and weight.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingPost {
    /// The post's id.
    pub post_id: String,
    /// Its context.
    pub context: PostContext,
    /// Its image's features, when it has them.
    pub image: Option<ImageFeatures>,
    /// Its `performance_score`, 0..100.
    pub performance_score: f64,
    /// Its balancing weight.
    pub weight: f64,
}

/// An image's numeric features, in the order of [`FEATURE_NAMES`]; `None`
/// where a value is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFeatures(Vec<Option<f64>>);

impl ImageFeatures {
    /// From a freshly extracted record.
    pub fn from_design(features: &DesignFeatures) -> ImageFeatures {
        ImageFeatures(features.values().iter().map(|v| Some(*v)).collect())
    }

    /// From named values (a `features.design` row): `value(name)` gives the
    /// value of each feature of [`FEATURE_NAMES`].
    pub fn from_named(value: impl Fn(&str) -> Option<f64>) -> ImageFeatures {
        ImageFeatures(FEATURE_NAMES.iter().map(|n| value(n)).collect())
    }

    fn get(&self, name: &str) -> Option<f64> {
        let i = FEATURE_NAMES.iter().position(|n| *n == name)?;
        self.0[i]
    }
}

/// Turns posts into model input rows. Its vocabularies (platforms and media
/// types for the one-hot columns) are fixed when it is made, and saved in
/// every model's manifest so a prediction builds the same columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureAssembler {
    platforms: Vec<String>,
    media_types: Vec<String>,
}

impl FeatureAssembler {
    /// An assembler with these one-hot vocabularies (sorted and
    /// deduplicated; media types in lower case, as sources spell them
    /// differently: Instagram's `IMAGE` is everyone's `image`).
    pub fn new(platforms: &[String], media_types: &[String]) -> FeatureAssembler {
        let media_types: Vec<String> = media_types.iter().map(|m| m.to_lowercase()).collect();
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v.dedup();
            v
        };
        FeatureAssembler {
            platforms: sorted(platforms),
            media_types: sorted(&media_types),
        }
    }

    /// An assembler whose vocabularies are the values seen in `posts`.
    pub fn from_posts<'a>(posts: impl IntoIterator<Item = &'a PostContext>) -> FeatureAssembler {
        let mut platforms = Vec::new();
        let mut media_types = Vec::new();
        for p in posts {
            platforms.push(p.platform.clone());
            media_types.extend(p.media_type.clone());
        }
        FeatureAssembler::new(&platforms, &media_types)
    }

    /// The assembler whose [`FeatureAssembler::feature_names`] are `names`,
    /// if there is one: a training file exported with the assembler's
    /// columns gives models that can predict from a post and an image.
    pub fn recognise(names: &[String]) -> Option<FeatureAssembler> {
        let platforms: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_prefix("platform_"))
            .filter(|p| *p != "aspect_fit")
            .map(str::to_string)
            .collect();
        let media_types: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_prefix("media_"))
            .map(str::to_string)
            .collect();
        let assembler = FeatureAssembler::new(&platforms, &media_types);
        (assembler.feature_names() == names).then_some(assembler)
    }

    /// The platforms of the one-hot columns.
    pub fn platforms(&self) -> &[String] {
        &self.platforms
    }

    /// The column names, in row order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .platforms
            .iter()
            .map(|p| format!("platform_{p}"))
            .collect();
        names.extend(self.media_types.iter().map(|m| format!("media_{m}")));
        names.extend(CONTEXT_NAMES.iter().map(|n| n.to_string()));
        names.extend(FEATURE_NAMES.iter().map(|n| n.to_string()));
        names
    }

    /// The dataset of `posts`, one row each, weighted when `weighted`.
    pub fn dataset(&self, posts: &[TrainingPost], weighted: bool) -> Result<Dataset, TrainError> {
        let names = self.feature_names();
        let mut values = Vec::with_capacity(posts.len() * names.len());
        let mut rows = Vec::with_capacity(posts.len());
        for post in posts {
            values.extend(self.row(&post.context, post.image.as_ref()));
            rows.push(RowInfo {
                post_id: post.post_id.clone(),
                platform: post.context.platform.clone(),
                published_at: post.context.published_at,
                target: post.performance_score,
                weight: post.weight,
            });
        }
        let matrix = Matrix::new(posts.len(), names.len(), values)?;
        Dataset::new(names, matrix, rows, weighted)
    }

    /// The row of one post; `image` is `None` for a post without one.
    pub fn row(&self, post: &PostContext, image: Option<&ImageFeatures>) -> Vec<f64> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let or_nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        let mut row: Vec<f64> = self
            .platforms
            .iter()
            .map(|p| flag(*p == post.platform))
            .collect();
        let media_type = post.media_type.as_deref().map(str::to_lowercase);
        row.extend(
            self.media_types
                .iter()
                .map(|m| flag(media_type.as_deref() == Some(m.as_str()))),
        );
        let local = post.published_at
            + chrono::Duration::minutes(i64::from(post.utc_offset_minutes.unwrap_or(0)));
        let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
        let weekday = local.weekday().num_days_from_monday();
        let angle = hour / 24.0 * std::f64::consts::TAU;
        let aspect = image.and_then(|i| i.get("aspect_ratio"));
        row.extend([
            hour.floor(),
            angle.sin(),
            angle.cos(),
            f64::from(weekday),
            flag(weekday >= 5),
            or_nan(post.followers.map(|f| (f.max(0) as f64).ln_1p())),
            or_nan(post.paid.map(flag)),
            or_nan(post.caption_length.map(|c| c as f64)),
            or_nan(post.hashtag_count.map(|c| c as f64)),
            or_nan(aspect.and_then(|a| platform_aspect_fit(a, &post.platform))),
            flag(image.is_some()),
        ]);
        match image {
            Some(i) => row.extend(i.0.iter().map(|v| or_nan(*v))),
            None => row.extend(std::iter::repeat_n(f64::NAN, FEATURE_NAMES.len())),
        }
        row
    }
}

/// The context columns after the one-hot ones, in row order.
pub const CONTEXT_NAMES: &[&str] = &[
    "posting_hour",
    "posting_hour_sin",
    "posting_hour_cos",
    "posting_weekday",
    "is_weekend",
    "log_audience_size",
    "paid",
    "caption_length",
    "hashtag_count",
    "platform_aspect_fit",
    "has_image",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn post() -> PostContext {
        PostContext {
            platform: "tiktok".into(),
            // Saturday 2024-06-01 22:30 UTC.
            published_at: "2024-06-01T22:30:00Z".parse().unwrap(),
            followers: Some(999),
            paid: Some(true),
            ..Default::default()
        }
        .with_caption("New drop #summer #sale! see#not #")
    }

    #[test]
    fn a_post_without_an_image_still_has_its_context() {
        let a = FeatureAssembler::new(&["instagram".into(), "tiktok".into()], &[]);
        let names = a.feature_names();
        let row = a.row(&post(), None);
        assert_eq!(names.len(), row.len());
        let v = |n: &str| row[names.iter().position(|x| x == n).unwrap()];
        assert_eq!(v("platform_tiktok"), 1.0);
        assert_eq!(v("platform_instagram"), 0.0);
        assert_eq!(v("posting_hour"), 22.0);
        assert_eq!(v("posting_weekday"), 5.0);
        assert_eq!(v("is_weekend"), 1.0);
        assert!((v("log_audience_size") - 1000f64.ln()).abs() < 1e-12);
        assert_eq!(v("paid"), 1.0);
        assert_eq!(v("hashtag_count"), 2.0);
        assert_eq!(v("has_image"), 0.0);
        assert_eq!(FeatureAssembler::recognise(&names), Some(a.clone()));
        assert_eq!(FeatureAssembler::recognise(&names[..names.len() - 1]), None);
        assert!(v("brightness").is_nan());
        assert!(v("platform_aspect_fit").is_nan());
    }

    #[test]
    fn a_known_zone_moves_the_posting_hour_and_day() {
        let a = FeatureAssembler::new(&["tiktok".into()], &[]);
        let names = a.feature_names();
        let mut p = post();
        p.utc_offset_minutes = Some(120);
        let row = a.row(&p, None);
        let v = |n: &str| row[names.iter().position(|x| x == n).unwrap()];
        assert_eq!(v("posting_hour"), 0.0);
        assert_eq!(v("posting_weekday"), 6.0);
    }

    #[test]
    fn an_image_fills_its_features_and_the_aspect_fit() {
        let a = FeatureAssembler::new(&["tiktok".into()], &[]);
        let names = a.feature_names();
        let image = ImageFeatures::from_named(|n| match n {
            "aspect_ratio" => Some(9.0 / 16.0),
            "brightness" => Some(0.4),
            _ => None,
        });
        let row = a.row(&post(), Some(&image));
        let v = |n: &str| row[names.iter().position(|x| x == n).unwrap()];
        assert_eq!(v("has_image"), 1.0);
        assert_eq!(v("brightness"), 0.4);
        assert!(v("platform_aspect_fit").abs() < 1e-9);
        assert!(v("colorfulness").is_nan());
    }
}
