//! The output record: one field per FEATURES.md feature, and the fixed order
//! of the numeric model inputs.

use serde::{Deserialize, Serialize};

use super::palette::PaletteColor;

/// Every design feature of one image, named exactly as in FEATURES.md.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignFeatures {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width / height`.
    pub aspect_ratio: f64,
    /// Mean BT.601 luma over 255.
    pub brightness: f64,
    /// Population standard deviation of luma over 255.
    pub contrast_rms: f64,
    /// Shannon entropy (bits) of the 256-bin histogram of rounded luma.
    pub grey_entropy: f64,
    /// Mean HSV saturation.
    pub saturation_mean: f64,
    /// Standard deviation of HSV saturation.
    pub saturation_std: f64,
    /// Hasler & Süsstrunk M3 colourfulness.
    pub colorfulness: f64,
    /// Mean CIELAB L*.
    pub lab_l_mean: f64,
    /// Mean CIELAB a*.
    pub lab_a_mean: f64,
    /// Mean CIELAB b*.
    pub lab_b_mean: f64,
    /// Standard deviation of CIELAB L*.
    pub lab_l_std: f64,
    /// Share of Canny edge pixels on the working image.
    pub edge_density: f64,
    /// Up to 5 dominant colours, largest share first (not a model input).
    pub palette: Vec<PaletteColor>,
    /// Ke et al. hue count (0..20).
    pub hue_count: u32,
    /// Fit of the palette hues to the best harmonic template, 0..100.
    pub color_harmony: f64,
    /// WCAG contrast ratio of the two main palette colours, 1..21.
    pub palette_contrast: f64,
    /// 1 when `palette_contrast` >= 4.5, else 0.
    pub wcag_aa: u8,
    /// Closeness of the visual-weight centroid to a thirds point, 0..1.
    pub rule_of_thirds: f64,
    /// Left/right visual-weight balance, 0..1 (1 = even).
    pub balance_lr: f64,
    /// Top/bottom visual-weight balance, 0..1 (1 = even).
    pub balance_tb: f64,
    /// Mirror correlation of the grey image mapped to 0..1.
    pub symmetry_lr: f64,
    /// Share of flat 8x8 blocks, 0..1.
    pub whitespace: f64,
    /// Share of edge mass on the dominant vertical/horizontal lines, 0..1.
    pub grid_alignment: f64,
    /// Number of separated high-weight regions, 0..9.
    pub focal_points: u32,
    /// Closeness of the subject (the heaviest region that is not text) to a
    /// thirds point, 0..1 (0 when only text stands out).
    #[serde(default)]
    pub subject_thirds: f64,
    /// Share of the image covered by detected text lines, 0..1.
    pub text_coverage: f64,
    /// Number of detected text lines.
    pub text_lines: u32,
    /// Median WCAG contrast of text against its background (1 without text).
    pub text_contrast: f64,
    /// Tallest over median line height (1 with fewer than 2 lines).
    pub text_hierarchy: f64,
    /// Readability score 0..100 (0 without text).
    pub readability: f64,
    /// Fit of the hues shown to the closest classic colour scheme, 0..100
    /// (not in FEATURES.md; rows of extractor 3 and before read as 100).
    #[serde(default = "full_fit")]
    pub scheme_fit: f64,
    /// Share of strong luma steps on a 160-px thumbnail, 0..1 (not in
    /// FEATURES.md; rows of extractor 3 and before read as 0).
    #[serde(default)]
    pub thumbnail_edges: f64,
    /// Smallest arc (degrees, 0..180) between the three strongest hues of
    /// the working image (not in FEATURES.md; 0 with fewer than two hues,
    /// and for rows of extractor 5 and before).
    #[serde(default)]
    pub hue_arc_small: f64,
    /// Middle arc between the three strongest hues (0 with fewer than three).
    #[serde(default)]
    pub hue_arc_mid: f64,
    /// Largest arc between the three strongest hues (0 with fewer than three).
    #[serde(default)]
    pub hue_arc_large: f64,
}

fn full_fit() -> f64 {
    100.0
}

/// Names of the numeric model inputs, in the order of [`DesignFeatures::values`].
pub const FEATURE_NAMES: &[&str] = &[
    "width",
    "height",
    "aspect_ratio",
    "brightness",
    "contrast_rms",
    "grey_entropy",
    "saturation_mean",
    "saturation_std",
    "colorfulness",
    "lab_l_mean",
    "lab_a_mean",
    "lab_b_mean",
    "lab_l_std",
    "edge_density",
    "hue_count",
    "color_harmony",
    "palette_contrast",
    "wcag_aa",
    "rule_of_thirds",
    "balance_lr",
    "balance_tb",
    "symmetry_lr",
    "whitespace",
    "grid_alignment",
    "focal_points",
    "subject_thirds",
    "text_coverage",
    "text_lines",
    "text_contrast",
    "text_hierarchy",
    "readability",
    "scheme_fit",
    "thumbnail_edges",
    "hue_arc_small",
    "hue_arc_mid",
    "hue_arc_large",
];

impl DesignFeatures {
    /// The numeric model inputs, in [`FEATURE_NAMES`] order.
    pub fn values(&self) -> [f64; FEATURE_NAMES.len()] {
        [
            f64::from(self.width),
            f64::from(self.height),
            self.aspect_ratio,
            self.brightness,
            self.contrast_rms,
            self.grey_entropy,
            self.saturation_mean,
            self.saturation_std,
            self.colorfulness,
            self.lab_l_mean,
            self.lab_a_mean,
            self.lab_b_mean,
            self.lab_l_std,
            self.edge_density,
            f64::from(self.hue_count),
            self.color_harmony,
            self.palette_contrast,
            f64::from(self.wcag_aa),
            self.rule_of_thirds,
            self.balance_lr,
            self.balance_tb,
            self.symmetry_lr,
            self.whitespace,
            self.grid_alignment,
            f64::from(self.focal_points),
            self.subject_thirds,
            self.text_coverage,
            f64::from(self.text_lines),
            self.text_contrast,
            self.text_hierarchy,
            self.readability,
            self.scheme_fit,
            self.thumbnail_edges,
            self.hue_arc_small,
            self.hue_arc_mid,
            self.hue_arc_large,
        ]
    }

    /// The record whose [`DesignFeatures::values`] are `values` (a row of
    /// `features.design` read as numbers), with its `palette`: what the
    /// stages that only keep the numeric columns give to code that takes
    /// a whole record, such as the brand score. `None` when a value is
    /// missing or not finite, or a count is not a whole number: a record
    /// with a made-up value would score as something it is not.
    pub fn from_values(
        values: &[Option<f64>],
        palette: Vec<PaletteColor>,
    ) -> Option<DesignFeatures> {
        if values.len() != FEATURE_NAMES.len() {
            return None;
        }
        let mut v = [0.0; FEATURE_NAMES.len()];
        for (slot, value) in v.iter_mut().zip(values) {
            *slot = value.filter(|x| x.is_finite())?;
        }
        let count =
            |x: f64| (x >= 0.0 && x <= f64::from(u32::MAX) && x.fract() == 0.0).then_some(x as u32);
        Some(DesignFeatures {
            width: count(v[0])?,
            height: count(v[1])?,
            aspect_ratio: v[2],
            brightness: v[3],
            contrast_rms: v[4],
            grey_entropy: v[5],
            saturation_mean: v[6],
            saturation_std: v[7],
            colorfulness: v[8],
            lab_l_mean: v[9],
            lab_a_mean: v[10],
            lab_b_mean: v[11],
            lab_l_std: v[12],
            edge_density: v[13],
            palette,
            hue_count: count(v[14])?,
            color_harmony: v[15],
            palette_contrast: v[16],
            wcag_aa: u8::try_from(count(v[17])?).ok()?,
            rule_of_thirds: v[18],
            balance_lr: v[19],
            balance_tb: v[20],
            symmetry_lr: v[21],
            whitespace: v[22],
            grid_alignment: v[23],
            focal_points: count(v[24])?,
            subject_thirds: v[25],
            text_coverage: v[26],
            text_lines: count(v[27])?,
            text_contrast: v[28],
            text_hierarchy: v[29],
            readability: v[30],
            scheme_fit: v[31],
            thumbnail_edges: v[32],
            hue_arc_small: v[33],
            hue_arc_mid: v[34],
            hue_arc_large: v[35],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serialised_fields() {
        let f = DesignFeatures {
            width: 1,
            height: 2,
            aspect_ratio: 0.5,
            brightness: 0.0,
            contrast_rms: 0.0,
            grey_entropy: 0.0,
            saturation_mean: 0.0,
            saturation_std: 0.0,
            colorfulness: 0.0,
            lab_l_mean: 0.0,
            lab_a_mean: 0.0,
            lab_b_mean: 0.0,
            lab_l_std: 0.0,
            edge_density: 0.0,
            palette: Vec::new(),
            hue_count: 3,
            color_harmony: 0.0,
            palette_contrast: 1.0,
            wcag_aa: 0,
            rule_of_thirds: 0.0,
            balance_lr: 0.0,
            balance_tb: 0.0,
            symmetry_lr: 0.0,
            whitespace: 0.0,
            grid_alignment: 0.0,
            focal_points: 0,
            subject_thirds: 0.0,
            text_coverage: 0.0,
            text_lines: 7,
            text_contrast: 1.0,
            text_hierarchy: 1.0,
            readability: 0.0,
            scheme_fit: 92.5,
            thumbnail_edges: 0.125,
            hue_arc_small: 30.0,
            hue_arc_mid: 150.0,
            hue_arc_large: 180.0,
        };
        let json = serde_json::to_value(&f).expect("serialises");
        let values = f.values();
        for (name, v) in FEATURE_NAMES.iter().zip(values) {
            let field = json.get(*name).and_then(|x| x.as_f64());
            assert_eq!(field, Some(v), "{name}");
        }
        // Distinct values per field, so a swapped pair in from_values shows.
        let mut distinct = f.clone();
        distinct.palette = vec![PaletteColor {
            hex: "#102030".into(),
            share: 1.0,
        }];
        let json = serde_json::to_value(&distinct).unwrap();
        let mut json = json.as_object().unwrap().clone();
        for (i, name) in FEATURE_NAMES.iter().enumerate() {
            json.insert(name.to_string(), serde_json::json!(i + 1));
        }
        json.insert("wcag_aa".into(), serde_json::json!(1));
        let distinct: DesignFeatures =
            serde_json::from_value(serde_json::Value::Object(json)).unwrap();
        let numbers: Vec<Option<f64>> = distinct.values().iter().map(|v| Some(*v)).collect();
        assert_eq!(
            DesignFeatures::from_values(&numbers, distinct.palette.clone()),
            Some(distinct.clone())
        );
        let mut missing = numbers.clone();
        missing[3] = None;
        assert_eq!(DesignFeatures::from_values(&missing, Vec::new()), None);
        let mut fractional = numbers;
        fractional[27] = Some(2.5);
        assert_eq!(DesignFeatures::from_values(&fractional, Vec::new()), None);
    }
}
