//! Brand consistency: a profile learnt from a portfolio of designs, and a
//! 0..100 score of how well a new design keeps to it.
//!
//! # The profile
//!
//! - palette: every portfolio design's 5 palette colours in CIELAB, merged
//!   greedily (largest share first) into clusters whose members lie within
//!   ΔE00 [`MERGE_DELTA_E`] of the cluster's centre; each cluster's share is
//!   its colours' share of the whole portfolio;
//! - tone, typography and layout: median and 10th / 90th percentiles of the
//!   features of [`TONE`], [`TYPOGRAPHY`] and [`LAYOUT`];
//! - aspect ratios: the ratios used (to 2 decimals) and their shares.
//!
//! # The score
//!
//! Each of five components has a distance `d` from the profile and a
//! tolerance `t` learnt from the portfolio (the 90th percentile of the
//! portfolio's own distances, never below a floor; for colour, each design's
//! distance to the palette learnt without it), and scores
//! `100 / (1 + (d / t)^2)` (100 on the profile, 50 at the tolerance):
//!
//! | component | distance |
//! |---|---|
//! | colour | share-weighted mean ΔE00 of the design's palette colours to the nearest brand colour |
//! | tone, typography, layout | root mean square of the features' robust z-scores: (value - median) / ((p90 - p10) / 2.563), the scale never below the feature's floor |
//! | aspect | \|ln(ratio / nearest brand ratio)\| over the ratios with at least 5% share |
//!
//! The score is the weighted mean of the components ([`WEIGHTS`]).
//! Departures name what is off: palette colours beyond the colour
//! tolerance, features beyond 2 robust standard deviations, an aspect ratio
//! the brand does not use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::Utc;
use datafusion::scalar::ScalarValue;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::colour::{ciede2000, hex_to_lab, lab_to_hex, Lab};
use super::{post_designs, InsightError};
use crate::features::{analyze_bytes, DecodeLimits, DesignFeatures, EXTRACTOR_VERSION};
use crate::lake::{Lake, LakeError};
use crate::query::Session;

/// Where profiles live in the lake: `brands/<name>.json`.
pub const BRANDS_PREFIX: &str = "brands";
/// Palette colours closer than this (ΔE00) to a cluster's centre join it.
pub const MERGE_DELTA_E: f64 = 8.0;
/// Palette clusters below this share of the portfolio are dropped.
const MIN_CLUSTER_SHARE: f64 = 0.01;
/// Designs held out, one at a time, to learn the colour tolerance.
const HELD_OUT_DESIGNS: usize = 50;
/// Aspect ratios below this share do not count as the brand's.
const MIN_ASPECT_SHARE: f64 = 0.05;
/// A feature this many robust standard deviations off is a departure.
const DEPARTURE_Z: f64 = 2.0;
/// (p90 - p10) of a normal distribution in standard deviations.
const P10_P90_SIGMAS: f64 = 2.563;

/// Tone features and the smallest scale each z-score uses.
pub const TONE: &[(&str, f64)] = &[
    ("brightness", 0.03),
    ("contrast_rms", 0.02),
    ("colorfulness", 3.0),
    ("palette_contrast", 0.5),
];
/// Typography features and their smallest scales.
pub const TYPOGRAPHY: &[(&str, f64)] = &[
    ("text_coverage", 0.01),
    ("text_lines", 1.0),
    ("text_contrast", 0.5),
    ("text_hierarchy", 0.2),
    ("readability", 5.0),
];
/// Layout features and their smallest scales.
pub const LAYOUT: &[(&str, f64)] = &[
    ("whitespace", 0.03),
    ("rule_of_thirds", 0.05),
    ("balance_lr", 0.03),
    ("balance_tb", 0.03),
    ("symmetry_lr", 0.03),
    ("grid_alignment", 0.03),
    ("edge_density", 0.01),
];
/// Component weights of the overall score (they sum to 1).
pub const WEIGHTS: [(Component, f64); 5] = [
    (Component::Colour, 0.35),
    (Component::Tone, 0.15),
    (Component::Typography, 0.2),
    (Component::Layout, 0.2),
    (Component::Aspect, 0.1),
];
/// Tolerance floors per component (in the component's distance unit).
const TOLERANCE_FLOOR: [(Component, f64); 5] = [
    (Component::Colour, 3.0),
    (Component::Tone, 1.0),
    (Component::Typography, 1.0),
    (Component::Layout, 1.0),
    (Component::Aspect, 0.1),
];

/// A part of the brand score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// The palette, by CIEDE2000.
    Colour,
    /// Brightness, contrast and colourfulness.
    Tone,
    /// Text amount, contrast, hierarchy, readability.
    Typography,
    /// Composition.
    Layout,
    /// The aspect ratio.
    Aspect,
}

impl Component {
    fn features(self) -> &'static [(&'static str, f64)] {
        match self {
            Component::Tone => TONE,
            Component::Typography => TYPOGRAPHY,
            Component::Layout => LAYOUT,
            Component::Colour | Component::Aspect => &[],
        }
    }
}

/// One colour of a brand's palette.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandColour {
    /// sRGB `#rrggbb`.
    pub hex: String,
    /// CIELAB L*, a*, b*.
    pub lab: Lab,
    /// Share of the portfolio's pixels, 0..1.
    pub share: f64,
}

/// How a feature spreads over the portfolio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
}

/// An aspect ratio the brand uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AspectShare {
    /// width / height, to 2 decimals.
    pub ratio: f64,
    /// Share of the portfolio's designs.
    pub share: f64,
}

/// What a brand looks like, learnt from its designs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandProfile {
    /// The brand's name (its file is `brands/<name>.json`).
    pub name: String,
    /// What it was learnt from: `dir:<path>` or `account:<id>`.
    pub source: String,
    /// Designs in the portfolio.
    pub designs: usize,
    /// The feature extractor version of the portfolio's features.
    pub extractor_version: String,
    /// When it was learnt (RFC 3339).
    pub learned_at: String,
    /// The palette, largest share first.
    pub palette: Vec<BrandColour>,
    /// Spread of every tone, typography and layout feature, by name.
    pub features: BTreeMap<String, Spread>,
    /// Aspect ratios, largest share first.
    pub aspect_ratios: Vec<AspectShare>,
    /// Each component's tolerance: the distance that scores 50.
    pub tolerances: BTreeMap<Component, f64>,
}

/// One component's part of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentScore {
    /// The component.
    pub component: Component,
    /// Its score, 0..100.
    pub score: f64,
    /// The design's distance from the profile.
    pub distance: f64,
    /// The brand's tolerance.
    pub tolerance: f64,
    /// Its weight in the overall score.
    pub weight: f64,
}

/// Something in a design that departs from its brand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Departure {
    /// The component it belongs to.
    pub component: Component,
    /// The feature, or the colour's hex.
    pub what: String,
    /// The design's value (ΔE00 for a colour).
    pub value: f64,
    /// What the brand has (the median; the nearest ratio; 0 for a colour).
    pub typical: f64,
    /// How far, in tolerances (colour, aspect) or robust z (features).
    pub severity: f64,
    /// A sentence a designer reads.
    pub detail: String,
}

/// A design checked against a brand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrandCheck {
    /// The brand.
    pub brand: String,
    /// 0..100: 100 keeps to the profile in everything.
    pub score: f64,
    /// Every component's score.
    pub components: Vec<ComponentScore>,
    /// What departs, most severe first.
    pub departures: Vec<Departure>,
}

/// The brand score of a design (0..100): the overall score of
/// [`BrandProfile::check`], from the brand's profile and a design's
/// `features.design` record (palette included). `creativeiq brand check`
/// prints it, and models trained with `creativeiq train --brand` take it
/// as their `brand_score` column, so the two never disagree.
pub fn brand_score(profile: &BrandProfile, features: &DesignFeatures) -> f64 {
    profile.check(features).score
}

impl BrandProfile {
    /// Learns a profile from `designs` (their features).
    pub fn learn(
        name: &str,
        source: &str,
        designs: &[DesignFeatures],
    ) -> Result<BrandProfile, InsightError> {
        check_name(name)?;
        if designs.is_empty() {
            return Err(InsightError::EmptyPortfolio {
                name: name.to_string(),
                source_name: source.to_string(),
                hint: "give a folder of PNG/JPEG/WebP/GIF designs or an account whose posts have features".into(),
            });
        }
        let mut features = BTreeMap::new();
        for component in [Component::Tone, Component::Typography, Component::Layout] {
            for (feature, _) in component.features() {
                let mut values: Vec<f64> = designs
                    .iter()
                    .filter_map(|d| feature_value(d, feature))
                    .filter(|v| v.is_finite())
                    .collect();
                values.sort_by(f64::total_cmp);
                if values.is_empty() {
                    continue;
                }
                features.insert(
                    feature.to_string(),
                    Spread {
                        p10: quantile(&values, 0.1),
                        median: quantile(&values, 0.5),
                        p90: quantile(&values, 0.9),
                    },
                );
            }
        }
        let mut profile = BrandProfile {
            name: name.to_string(),
            source: source.to_string(),
            designs: designs.len(),
            extractor_version: EXTRACTOR_VERSION.to_string(),
            learned_at: Utc::now().to_rfc3339(),
            palette: cluster_palette(designs),
            features,
            aspect_ratios: aspect_shares(designs),
            tolerances: BTreeMap::new(),
        };
        for (component, floor) in TOLERANCE_FLOOR {
            let mut own: Vec<f64> = if component == Component::Colour {
                profile.held_out_colour_distances(designs)
            } else {
                designs
                    .iter()
                    .map(|d| profile.distance(component, d))
                    .collect()
            };
            own.sort_by(f64::total_cmp);
            profile
                .tolerances
                .insert(component, quantile(&own, 0.9).max(floor));
        }
        Ok(profile)
    }

    /// Colour distances of portfolio designs to the palette learnt without
    /// them (at most [`HELD_OUT_DESIGNS`] designs, evenly spread): a
    /// design's own colours are in the clusters it helped to form, so its
    /// distance to them would understate how far a new design of the
    /// brand usually lies.
    fn held_out_colour_distances(&self, designs: &[DesignFeatures]) -> Vec<f64> {
        if designs.len() < 2 {
            return vec![0.0];
        }
        let step = designs.len().div_ceil(HELD_OUT_DESIGNS);
        (0..designs.len())
            .step_by(step)
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&i| {
                let rest: Vec<DesignFeatures> = designs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, d)| d.clone())
                    .collect();
                let without = BrandProfile {
                    palette: cluster_palette(&rest),
                    ..self.clone()
                };
                without.distance(Component::Colour, &designs[i])
            })
            .collect()
    }

    /// Scores `design` against the profile and names what departs.
    pub fn check(&self, design: &DesignFeatures) -> BrandCheck {
        let mut components = Vec::new();
        let mut score = 0.0;
        for (component, weight) in WEIGHTS {
            let distance = self.distance(component, design);
            let tolerance = self.tolerance(component);
            let part = 100.0 / (1.0 + (distance / tolerance).powi(2));
            score += weight * part;
            components.push(ComponentScore {
                component,
                score: part,
                distance,
                tolerance,
                weight,
            });
        }
        let mut departures = self.colour_departures(design);
        departures.extend(self.feature_departures(design));
        departures.extend(self.aspect_departure(design));
        departures.sort_by(|a, b| b.severity.total_cmp(&a.severity));
        BrandCheck {
            brand: self.name.clone(),
            score,
            components,
            departures,
        }
    }

    fn tolerance(&self, component: Component) -> f64 {
        let floor = TOLERANCE_FLOOR
            .iter()
            .find(|(c, _)| *c == component)
            .map_or(1.0, |(_, f)| *f);
        self.tolerances
            .get(&component)
            .copied()
            .unwrap_or(floor)
            .max(floor)
    }

    /// The design's distance from the profile in one component.
    fn distance(&self, component: Component, design: &DesignFeatures) -> f64 {
        match component {
            Component::Colour => {
                let (mut sum, mut weight) = (0.0, 0.0);
                for (lab, share) in design_palette(design) {
                    sum += share * self.nearest_colour(lab).1;
                    weight += share;
                }
                if weight > 0.0 {
                    sum / weight
                } else {
                    0.0
                }
            }
            Component::Aspect => self.nearest_ratio(design.aspect_ratio).1,
            _ => {
                let z: Vec<f64> = self.z_scores(component, design).map(|(_, z)| z).collect();
                if z.is_empty() {
                    0.0
                } else {
                    (z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64).sqrt()
                }
            }
        }
    }

    /// The robust z-score of each of a component's features.
    fn z_scores<'a>(
        &'a self,
        component: Component,
        design: &'a DesignFeatures,
    ) -> impl Iterator<Item = (&'static str, f64)> + 'a {
        component
            .features()
            .iter()
            .filter_map(move |(feature, floor)| {
                let spread = self.features.get(*feature)?;
                let value = feature_value(design, feature)?;
                let scale = ((spread.p90 - spread.p10) / P10_P90_SIGMAS).max(*floor);
                Some((*feature, (value - spread.median) / scale))
            })
    }

    /// The brand colour nearest to `lab`, and its ΔE00.
    fn nearest_colour(&self, lab: Lab) -> (Option<&BrandColour>, f64) {
        self.palette
            .iter()
            .map(|c| (Some(c), ciede2000(lab, c.lab)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((None, 0.0))
    }

    /// The brand ratio nearest to `ratio`, and |ln(ratio / it)|.
    fn nearest_ratio(&self, ratio: f64) -> (f64, f64) {
        self.aspect_ratios
            .iter()
            .filter(|a| a.share >= MIN_ASPECT_SHARE)
            .map(|a| (a.ratio, (ratio / a.ratio).ln().abs()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((ratio, 0.0))
    }

    fn colour_departures(&self, design: &DesignFeatures) -> Vec<Departure> {
        let tolerance = self.tolerance(Component::Colour);
        design
            .palette
            .iter()
            .filter(|c| c.share >= 0.05)
            .filter_map(|c| {
                let lab = hex_to_lab(&c.hex)?;
                let (nearest, delta_e) = self.nearest_colour(lab);
                (delta_e > tolerance).then(|| Departure {
                    component: Component::Colour,
                    what: c.hex.clone(),
                    value: delta_e,
                    typical: 0.0,
                    severity: delta_e / tolerance,
                    detail: format!(
                        "colour {} ({:.0}% of the design) is ΔE00 {delta_e:.1} from the nearest brand colour {} (the brand's tolerance is {tolerance:.1})",
                        c.hex,
                        100.0 * c.share,
                        nearest.map_or("-", |n| n.hex.as_str())
                    ),
                })
            })
            .collect()
    }

    fn feature_departures(&self, design: &DesignFeatures) -> Vec<Departure> {
        let mut out = Vec::new();
        for component in [Component::Tone, Component::Typography, Component::Layout] {
            for (feature, z) in self.z_scores(component, design) {
                if z.abs() <= DEPARTURE_Z {
                    continue;
                }
                let spread = &self.features[feature];
                let value = feature_value(design, feature).unwrap_or(f64::NAN);
                out.push(Departure {
                    component,
                    what: feature.to_string(),
                    value,
                    typical: spread.median,
                    severity: z.abs(),
                    detail: format!(
                        "{feature} {value:.3} is {} than the brand's {:.3} (its designs range {:.3} to {:.3})",
                        if z > 0.0 { "higher" } else { "lower" },
                        spread.median,
                        spread.p10,
                        spread.p90
                    ),
                });
            }
        }
        out
    }

    fn aspect_departure(&self, design: &DesignFeatures) -> Option<Departure> {
        let tolerance = self.tolerance(Component::Aspect);
        let (nearest, distance) = self.nearest_ratio(design.aspect_ratio);
        (distance > tolerance).then(|| {
            let used: Vec<String> = self
                .aspect_ratios
                .iter()
                .filter(|a| a.share >= MIN_ASPECT_SHARE)
                .map(|a| format!("{:.2} ({:.0}%)", a.ratio, 100.0 * a.share))
                .collect();
            Departure {
                component: Component::Aspect,
                what: "aspect_ratio".into(),
                value: design.aspect_ratio,
                typical: nearest,
                severity: distance / tolerance,
                detail: format!(
                    "aspect ratio {:.2} is not one the brand uses: {}",
                    design.aspect_ratio,
                    used.join(", ")
                ),
            }
        })
    }

    /// SHA-256 (hex) of the profile's compact JSON: a model that scores
    /// with a profile records it, so an edited copy is caught rather than
    /// scored with. Stable across a save and a load, as serde_json writes
    /// the shortest round-tripping form of every number and reads it back
    /// exactly.
    pub fn content_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).expect("a profile serialises");
        hex::encode(Sha256::digest(json))
    }

    /// The profile's lake path.
    pub fn path(name: &str) -> String {
        format!("{BRANDS_PREFIX}/{name}.json")
    }

    /// Writes the profile to `brands/<name>.json`, replacing an older one.
    pub async fn save(&self, lake: &Lake) -> Result<String, InsightError> {
        let path = BrandProfile::path(&self.name);
        let json = serde_json::to_vec_pretty(self).expect("a profile serialises");
        lake.put(&path, Bytes::from(json)).await?;
        Ok(path)
    }

    /// Reads the profile `name` from the lake.
    pub async fn load(lake: &Lake, name: &str) -> Result<BrandProfile, InsightError> {
        check_name(name)?;
        let path = BrandProfile::path(name);
        match lake.get(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| InsightError::BadProfile { path, source }),
            Err(LakeError::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }) => {
                let known = BrandProfile::list(lake).await?;
                Err(InsightError::NoBrand {
                    name: name.to_string(),
                    path: format!("{}{path}", lake.location().url()),
                    known: if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    },
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The names of the brands in the lake.
    pub async fn list(lake: &Lake) -> Result<Vec<String>, InsightError> {
        Ok(lake
            .list(BRANDS_PREFIX)
            .await?
            .iter()
            .filter_map(|meta| {
                let path = lake.relative(&meta.location);
                path.strip_prefix(&format!("{BRANDS_PREFIX}/"))?
                    .strip_suffix(".json")
                    .map(str::to_string)
            })
            .collect())
    }
}

/// The image files (PNG, JPEG, WebP, GIF) under `dir`, recursively, sorted.
pub fn image_files(dir: &Path) -> Result<Vec<PathBuf>, InsightError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|source| InsightError::Io {
            path: folder.display().to_string(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let is_image = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "png" | "jpg" | "jpeg" | "webp" | "gif"
                )
            });
            if path.is_dir() {
                stack.push(path);
            } else if is_image {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The features of `files`, analysed in parallel (`tick` is called as each
/// one ends), and the files that could not be read, each with its reason.
pub fn analyze_files(
    files: &[PathBuf],
    tick: &(dyn Fn() + Sync),
) -> (Vec<DesignFeatures>, Vec<(PathBuf, String)>) {
    let limits = DecodeLimits::default();
    let results: Vec<(&PathBuf, Result<DesignFeatures, String>)> = files
        .par_iter()
        .map(|path| {
            let result = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| analyze_bytes(&bytes, &limits).map_err(|e| e.to_string()));
            tick();
            (path, result)
        })
        .collect();
    let mut designs = Vec::new();
    let mut failures = Vec::new();
    for (path, result) in results {
        match result {
            Ok(features) => designs.push(features),
            Err(reason) => failures.push((path.clone(), reason)),
        }
    }
    (designs, failures)
}

/// The features of the images of `account`'s valid posts (each image once).
pub async fn account_designs(
    lake: &Lake,
    account: &str,
) -> Result<Vec<DesignFeatures>, InsightError> {
    let session = Session::open(lake).await?;
    let rows = post_designs(
        &session,
        "brand_account_features",
        vec![
            ScalarValue::from(EXTRACTOR_VERSION),
            ScalarValue::from(account),
        ],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.features).collect())
}

fn check_name(name: &str) -> Result<(), InsightError> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(InsightError::BadBrandName {
            name: name.to_string(),
        })
    }
}

/// A numeric feature of a record by its FEATURES.md name.
fn feature_value(design: &DesignFeatures, name: &str) -> Option<f64> {
    crate::features::FEATURE_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| design.values()[i])
}

/// The design's palette colours in CIELAB with their shares.
fn design_palette(design: &DesignFeatures) -> impl Iterator<Item = (Lab, f64)> + '_ {
    design
        .palette
        .iter()
        .filter_map(|c| Some((hex_to_lab(&c.hex)?, c.share)))
        .filter(|(_, share)| share.is_finite() && *share > 0.0)
}

/// Linear-interpolated quantile of sorted values (`q` in 0..1).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// The portfolio's palette: greedy ΔE00 clustering, largest share first.
fn cluster_palette(designs: &[DesignFeatures]) -> Vec<BrandColour> {
    let n = designs.len() as f64;
    let mut colours: Vec<(Lab, f64)> = designs
        .iter()
        .flat_map(design_palette)
        .map(|(lab, share)| (lab, share / n))
        .collect();
    colours.sort_by(|a, b| b.1.total_cmp(&a.1));
    // (weighted Lab sum, weight) per cluster; the centre is sum / weight.
    let mut clusters: Vec<(Lab, f64)> = Vec::new();
    for (lab, share) in colours {
        let nearest = clusters
            .iter_mut()
            .map(|c| {
                let centre = c.0.map(|v| v / c.1);
                (ciede2000(lab, centre), c)
            })
            .filter(|(d, _)| *d < MERGE_DELTA_E)
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match nearest {
            Some((_, cluster)) => {
                for (sum, v) in cluster.0.iter_mut().zip(lab) {
                    *sum += v * share;
                }
                cluster.1 += share;
            }
            None => clusters.push((lab.map(|v| v * share), share)),
        }
    }
    let total: f64 = clusters.iter().map(|c| c.1).sum();
    let mut palette: Vec<BrandColour> = clusters
        .into_iter()
        .filter(|c| c.1 / total >= MIN_CLUSTER_SHARE)
        .map(|(sum, weight)| {
            let lab = sum.map(|v| v / weight);
            BrandColour {
                hex: lab_to_hex(lab),
                lab,
                share: weight / total,
            }
        })
        .collect();
    palette.sort_by(|a, b| b.share.total_cmp(&a.share));
    palette
}

/// The aspect ratios of the portfolio (to 2 decimals) and their shares.
fn aspect_shares(designs: &[DesignFeatures]) -> Vec<AspectShare> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for d in designs.iter().filter(|d| d.aspect_ratio.is_finite()) {
        *counts
            .entry((d.aspect_ratio * 100.0).round() as i64)
            .or_default() += 1;
    }
    let n = designs.len() as f64;
    let mut shares: Vec<AspectShare> = counts
        .into_iter()
        .map(|(ratio, count)| AspectShare {
            ratio: ratio as f64 / 100.0,
            share: count as f64 / n,
        })
        .collect();
    shares.sort_by(|a, b| b.share.total_cmp(&a.share));
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::PaletteColor;

    fn design(hexes: &[(&str, f64)], ratio: f64, text_coverage: f64) -> DesignFeatures {
        let json = serde_json::json!({
            "width": 1000, "height": (1000.0 / ratio) as u32, "aspect_ratio": ratio,
            "brightness": 0.5, "contrast_rms": 0.2, "grey_entropy": 6.0,
            "saturation_mean": 0.4, "saturation_std": 0.1, "colorfulness": 40.0,
            "lab_l_mean": 50.0, "lab_a_mean": 0.0, "lab_b_mean": 0.0, "lab_l_std": 10.0,
            "edge_density": 0.05, "palette": [], "hue_count": 3, "color_harmony": 80.0,
            "palette_contrast": 4.0, "wcag_aa": 0, "rule_of_thirds": 0.6, "balance_lr": 0.9,
            "balance_tb": 0.9, "symmetry_lr": 0.7, "whitespace": 0.4, "grid_alignment": 0.3,
            "focal_points": 2, "text_coverage": text_coverage, "text_lines": 2,
            "text_contrast": 6.0, "text_hierarchy": 1.5, "readability": 70.0,
        });
        let mut d: DesignFeatures = serde_json::from_value(json).unwrap();
        d.palette = hexes
            .iter()
            .map(|(hex, share)| PaletteColor {
                hex: hex.to_string(),
                share: *share,
            })
            .collect();
        d
    }

    #[test]
    fn a_design_in_the_brand_palette_scores_above_one_in_other_colours() {
        let blues: Vec<DesignFeatures> = (0..6)
            .map(|i| {
                let shade = format!("#1{}3a8c", i);
                design(&[(&shade, 0.6), ("#f4f4f4", 0.4)], 1.0, 0.05)
            })
            .collect();
        let profile = BrandProfile::learn("blue", "test", &blues).unwrap();
        assert!(profile.palette.len() >= 2, "{:?}", profile.palette);
        let own = profile.check(&design(&[("#133a8c", 0.6), ("#f4f4f4", 0.4)], 1.0, 0.05));
        let red = profile.check(&design(&[("#c0281e", 0.6), ("#f4f4f4", 0.4)], 1.0, 0.05));
        assert!(own.score > 90.0, "{own:?}");
        assert!(red.score < own.score - 20.0, "{red:?}");
        let colour = &red.departures[0];
        assert_eq!(colour.component, Component::Colour);
        assert_eq!(colour.what, "#c0281e");
        assert!(colour.value > 30.0, "{colour:?}");
    }

    #[test]
    fn text_and_aspect_departures_are_named() {
        let portfolio: Vec<DesignFeatures> = (0..8)
            .map(|i| design(&[("#205020", 1.0)], 1.0, 0.04 + 0.002 * f64::from(i)))
            .collect();
        let profile = BrandProfile::learn("green", "test", &portfolio).unwrap();
        let check = profile.check(&design(&[("#205020", 1.0)], 1.91, 0.3));
        let named: Vec<&str> = check.departures.iter().map(|d| d.what.as_str()).collect();
        assert!(named.contains(&"text_coverage"), "{named:?}");
        assert!(named.contains(&"aspect_ratio"), "{named:?}");
        assert!(check.score < 80.0, "{check:?}");
    }

    #[test]
    fn names_that_are_not_file_names_are_refused() {
        assert!(matches!(
            BrandProfile::learn("../x", "t", &[]),
            Err(InsightError::BadBrandName { .. })
        ));
        assert!(matches!(
            BrandProfile::learn("ok", "t", &[]),
            Err(InsightError::EmptyPortfolio { .. })
        ));
    }
}
