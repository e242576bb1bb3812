//! Colour relationships: Ke et al. hue count, Matsuda / Cohen-Or hue-template
//! harmony of the palette, and WCAG contrast between the two main colours.

use super::lab::{contrast_ratio, hue_saturation, relative_luminance};
use super::palette::Swatch;
use super::pixels::HUE_BINS;

/// Palette colours less saturated than this are greys and carry no hue.
const GREY_SATURATION: f64 = 0.1;
/// Rotation step of the template search, degrees.
const ROTATION_STEP: f64 = 0.5;
/// WCAG AA threshold for normal text.
pub(super) const WCAG_AA: f64 = 4.5;

/// Ke et al. (2006): hue bins holding more than 5% of the fullest bin.
pub(super) fn hue_count(hist: &[u64; HUE_BINS]) -> u32 {
    let max = hist.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return 0;
    }
    hist.iter()
        .filter(|&&c| c as f64 > 0.05 * max as f64)
        .count() as u32
}

/// A hue template: sectors given as (centre offset, width) in degrees.
type Template = &'static [(f64, f64)];

/// Matsuda's templates as parameterised by Cohen-Or et al. (2006).
const TEMPLATES: [Template; 7] = [
    &[(0.0, 18.0)],                // i
    &[(0.0, 93.6)],                // V
    &[(0.0, 18.0), (90.0, 79.2)],  // L
    &[(0.0, 18.0), (180.0, 18.0)], // I
    &[(0.0, 180.0)],               // T
    &[(0.0, 93.6), (180.0, 18.0)], // Y
    &[(0.0, 93.6), (180.0, 93.6)], // X
];

/// Shortest angular distance between two hues, 0..180.
fn arc(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// Distance from a hue to the nearest sector border, 0 when inside.
fn distance_to_template(hue: f64, template: Template, rotation: f64) -> f64 {
    template
        .iter()
        .map(|&(centre, width)| (arc(hue, centre + rotation) - width / 2.0).max(0.0))
        .fold(f64::INFINITY, f64::min)
}

/// 0..100 fit of the palette hues to the best template and rotation; each
/// hue's distance is weighted by share x saturation. 100 when no colour is
/// chromatic (a grey palette breaks no hue relation).
pub(super) fn color_harmony(palette: &[Swatch]) -> f64 {
    let hues: Vec<(f64, f64)> = palette
        .iter()
        .filter_map(|s| {
            let (h, sat) = hue_saturation(s.rgb);
            (sat >= GREY_SATURATION).then_some((h, s.share * sat))
        })
        .collect();
    let total: f64 = hues.iter().map(|&(_, w)| w).sum();
    if total <= 0.0 {
        return 100.0;
    }
    let steps = (360.0 / ROTATION_STEP) as usize;
    let mut best = f64::INFINITY;
    for template in TEMPLATES {
        for k in 0..steps {
            let rot = k as f64 * ROTATION_STEP;
            let cost: f64 = hues
                .iter()
                .map(|&(h, w)| w * distance_to_template(h, template, rot))
                .sum();
            best = best.min(cost);
        }
    }
    // The T template (a half circle) leaves every hue within 90°, so the
    // best cost never exceeds total x 90 and the score stays in 0..100.
    (100.0 * (1.0 - best / (total * 90.0))).clamp(0.0, 100.0)
}

/// WCAG contrast ratio between the two largest palette colours (1 with
/// fewer than two colours).
pub(super) fn palette_contrast(palette: &[Swatch]) -> f64 {
    match palette {
        [a, b, ..] => contrast_ratio(relative_luminance(a.rgb), relative_luminance(b.rgb)),
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sw(rgb: [f64; 3], share: f64) -> Swatch {
        Swatch { rgb, share }
    }

    #[test]
    fn hue_count_ignores_small_bins() {
        let mut h = [0u64; HUE_BINS];
        h[0] = 1000;
        h[5] = 51;
        h[9] = 50;
        assert_eq!(hue_count(&h), 2);
        assert_eq!(hue_count(&[0; HUE_BINS]), 0);
    }

    #[test]
    fn complementary_pair_is_harmonious_and_triad_less_so() {
        let pair = [sw([255.0, 0.0, 0.0], 0.5), sw([0.0, 255.0, 255.0], 0.5)];
        assert!(color_harmony(&pair) > 99.0);
        let triad = [
            sw([255.0, 0.0, 0.0], 0.34),
            sw([0.0, 255.0, 0.0], 0.33),
            sw([0.0, 0.0, 255.0], 0.33),
        ];
        let t = color_harmony(&triad);
        assert!(t < 95.0 && t > 0.0, "{t}");
        assert_eq!(color_harmony(&[sw([128.0; 3], 1.0)]), 100.0);
    }

    #[test]
    fn black_on_white_has_maximal_contrast() {
        let p = [sw([255.0; 3], 0.8), sw([0.0; 3], 0.2)];
        assert!((palette_contrast(&p) - 21.0).abs() < 1e-9);
        assert_eq!(palette_contrast(&p[..1]), 1.0);
    }
}
