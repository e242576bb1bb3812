//! Feature assembly: one model input row from a post's context and, when the
//! post has an image, its row of `features.design` (FEATURES.md).
//!
//! Missing values are `NaN` here. A post without an image (a text-only
//! export, or an image whose extraction failed) gets `has_image = 0`, `NaN`
//! for every image feature and for `platform_aspect_fit`; the preparation
//! step ([`super::prepare`]) then imputes training medians, so such posts
//! still train and predict on their context features, and `has_image`
//! lets every learner tell an imputed image from a real one.
//!
//! An assembler made [`FeatureAssembler::with_brand`] adds a last column,
//! `brand_score`: the image's score against a brand profile
//! ([`crate::insight::brand_score`], the function `creativeiq brand check`
//! prints), computed from the image's record, palette included. The
//! profile is part of the assembler, so it is saved in every manifest with
//! its SHA-256, and a reloaded model scores a new design against the very
//! profile it was trained with; a manifest whose profile does not match
//! its hash does not load.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::dataset::{Dataset, Matrix, RowInfo};
use super::TrainError;
use crate::features::{platform_aspect_fit, DesignFeatures, PaletteColor, FEATURE_NAMES};
use crate::insight::{brand_score, BrandProfile};

/// The column a brand adds.
pub const BRAND_SCORE: &str = "brand_score";

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

/// An image's numeric features, in the order of [`FEATURE_NAMES`] (`None`
/// where a value is missing), and its palette (not a column itself, but
/// the colour part of the brand score).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFeatures {
    values: Vec<Option<f64>>,
    palette: Vec<PaletteColor>,
}

impl ImageFeatures {
    /// From a freshly extracted record.
    pub fn from_design(features: &DesignFeatures) -> ImageFeatures {
        ImageFeatures {
            values: features.values().iter().map(|v| Some(*v)).collect(),
            palette: features.palette.clone(),
        }
    }

    /// From named values (a `features.design` row): `value(name)` gives the
    /// value of each feature of [`FEATURE_NAMES`]. No palette: see
    /// [`ImageFeatures::with_palette`].
    pub fn from_named(value: impl Fn(&str) -> Option<f64>) -> ImageFeatures {
        ImageFeatures {
            values: FEATURE_NAMES.iter().map(|n| value(n)).collect(),
            palette: Vec::new(),
        }
    }

    /// With the row's palette (its `palette` column).
    pub fn with_palette(mut self, palette: Vec<PaletteColor>) -> ImageFeatures {
        self.palette = palette;
        self
    }

    /// The whole record, when every value and the palette are there (the
    /// brand score needs them all; an image always has a palette).
    pub fn design(&self) -> Option<DesignFeatures> {
        if self.palette.is_empty() {
            return None;
        }
        DesignFeatures::from_values(&self.values, self.palette.clone())
    }

    fn get(&self, name: &str) -> Option<f64> {
        let i = FEATURE_NAMES.iter().position(|n| *n == name)?;
        self.values[i]
    }
}

/// The brand a [`FeatureAssembler`] scores images against, as a manifest
/// records it: the profile and its [`BrandProfile::content_sha256`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RecordedBrand", into = "RecordedBrand")]
pub struct AssembledBrand {
    profile: BrandProfile,
    sha256: String,
}

impl AssembledBrand {
    /// The brand's profile.
    pub fn profile(&self) -> &BrandProfile {
        &self.profile
    }

    /// The SHA-256 of the profile.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// [`AssembledBrand`] as written; reading it checks the hash.
#[derive(Serialize, Deserialize)]
struct RecordedBrand {
    name: String,
    sha256: String,
    profile: BrandProfile,
}

impl TryFrom<RecordedBrand> for AssembledBrand {
    type Error = String;

    fn try_from(recorded: RecordedBrand) -> Result<Self, Self::Error> {
        let actual = recorded.profile.content_sha256();
        if recorded.name != recorded.profile.name || actual != recorded.sha256 {
            return Err(format!(
                "the brand profile {:?} saved with the model is not the one it was trained with \
                 (recorded SHA-256 {}, the saved profile's {actual}): its brand_score would differ; \
                 train again with --brand {}",
                recorded.name, recorded.sha256, recorded.name
            ));
        }
        Ok(AssembledBrand {
            profile: recorded.profile,
            sha256: recorded.sha256,
        })
    }
}

impl From<AssembledBrand> for RecordedBrand {
    fn from(brand: AssembledBrand) -> Self {
        RecordedBrand {
            name: brand.profile.name.clone(),
            sha256: brand.sha256,
            profile: brand.profile,
        }
    }
}

/// Turns posts into model input rows. Its vocabularies (platforms and media
/// types for the one-hot columns) and its brand, if any, are fixed when it
/// is made, and saved in every model's manifest so a prediction builds the
/// same columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureAssembler {
    platforms: Vec<String>,
    media_types: Vec<String>,
    // Absent, not null, without a brand: manifests from before brands
    // read and write unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    brand: Option<AssembledBrand>,
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
            brand: None,
        }
    }

    /// The same assembler with a last column, [`BRAND_SCORE`]: each image's
    /// score against `profile` (`NaN` without an image or its palette).
    pub fn with_brand(mut self, profile: BrandProfile) -> FeatureAssembler {
        self.brand = Some(AssembledBrand {
            sha256: profile.content_sha256(),
            profile,
        });
        self
    }

    /// The brand of the [`BRAND_SCORE`] column, if the assembler has one.
    pub fn brand(&self) -> Option<&AssembledBrand> {
        self.brand.as_ref()
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
        if self.brand.is_some() {
            names.push(BRAND_SCORE.to_string());
        }
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
            Some(i) => row.extend(i.values.iter().map(|v| or_nan(*v))),
            None => row.extend(std::iter::repeat_n(f64::NAN, FEATURE_NAMES.len())),
        }
        if let Some(brand) = &self.brand {
            let design = image.and_then(ImageFeatures::design);
            row.push(or_nan(design.map(|d| brand_score(&brand.profile, &d))));
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

    /// A design record with a two-colour palette, `main` the larger colour.
    fn record(main: &str, text_coverage: f64) -> DesignFeatures {
        let mut json = serde_json::Map::new();
        for (i, name) in FEATURE_NAMES.iter().enumerate() {
            json.insert(name.to_string(), serde_json::json!((i % 3) as u32));
        }
        json.insert("width".into(), serde_json::json!(1080));
        json.insert("height".into(), serde_json::json!(1080));
        json.insert("aspect_ratio".into(), serde_json::json!(1.0));
        json.insert("text_coverage".into(), serde_json::json!(text_coverage));
        json.insert(
            "palette".into(),
            serde_json::json!([{"hex": main, "share": 0.7}, {"hex": "#f4f4f4", "share": 0.3}]),
        );
        serde_json::from_value(serde_json::Value::Object(json)).unwrap()
    }

    fn blue_brand() -> BrandProfile {
        let portfolio: Vec<DesignFeatures> = (0..6)
            .map(|i| record(&format!("#1{i}3a8c"), 0.04 + 0.002 * f64::from(i)))
            .collect();
        BrandProfile::learn("blue", "test", &portfolio).unwrap()
    }

    #[test]
    fn a_brand_adds_the_brand_check_score_of_the_image_as_the_last_column() {
        let profile = blue_brand();
        let plain = FeatureAssembler::new(&["tiktok".into()], &[]);
        let branded = plain.clone().with_brand(profile.clone());
        let names = branded.feature_names();
        assert_eq!(names.last().map(String::as_str), Some(BRAND_SCORE));
        assert_eq!(names[..names.len() - 1], plain.feature_names()[..]);
        assert!(!plain.feature_names().contains(&BRAND_SCORE.to_string()));

        let own = record("#133a8c", 0.045);
        let red = record("#c0281e", 0.3);
        let score_of = |design: &DesignFeatures| {
            let row = branded.row(&post(), Some(&ImageFeatures::from_design(design)));
            assert_eq!(row.len(), names.len());
            *row.last().unwrap()
        };
        assert_eq!(score_of(&own), brand_score(&profile, &own));
        assert_eq!(score_of(&red), brand_score(&profile, &red));
        assert!(score_of(&own) > score_of(&red) + 20.0);
        // A features.design row read as numbers scores the same once its
        // palette is there, and not at all without it.
        let values = own.values();
        let named = ImageFeatures::from_named(|n| {
            FEATURE_NAMES
                .iter()
                .position(|x| *x == n)
                .map(|i| values[i])
        });
        assert!(branded.row(&post(), Some(&named)).last().unwrap().is_nan());
        let named = named.with_palette(own.palette.clone());
        assert_eq!(
            branded.row(&post(), Some(&named)).last(),
            Some(&score_of(&own))
        );
        assert!(branded.row(&post(), None).last().unwrap().is_nan());
    }

    #[test]
    fn the_brand_is_saved_with_its_hash_and_an_edited_profile_is_refused() {
        let profile = blue_brand();
        let branded = FeatureAssembler::new(&["tiktok".into()], &[]).with_brand(profile.clone());
        let json = serde_json::to_value(&branded).unwrap();
        assert_eq!(json["brand"]["name"], "blue");
        assert_eq!(json["brand"]["sha256"], profile.content_sha256());
        let text = serde_json::to_string_pretty(&branded).unwrap();
        let back: FeatureAssembler = serde_json::from_str(&text).unwrap();
        assert_eq!(back, branded);

        let mut edited = json.clone();
        edited["brand"]["profile"]["palette"][0]["hex"] = serde_json::json!("#ff0000");
        let err = serde_json::from_value::<FeatureAssembler>(edited).unwrap_err();
        assert!(err.to_string().contains("--brand blue"), "{err}");

        // Without a brand, nothing is written for it, and manifests from
        // before brands (no such key) still read.
        let plain = FeatureAssembler::new(&["tiktok".into()], &[]);
        let json = serde_json::to_value(&plain).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"platforms": ["tiktok"], "media_types": []})
        );
        assert_eq!(
            serde_json::from_value::<FeatureAssembler>(json).unwrap(),
            plain
        );
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
