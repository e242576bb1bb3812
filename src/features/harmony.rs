//! Colour relationships: Ke et al. hue count, the hue-template harmony of the
//! palette ([`crate::hue_template`]), and WCAG contrast between the two main colours.

use super::lab::{contrast_ratio, hue_saturation, relative_luminance};
use super::palette::Swatch;
use super::pixels::HUE_BINS;

/// Palette colours less saturated than this are greys and carry no hue.
const GREY_SATURATION: f64 = 0.1;
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
    // The T template (a half circle) leaves every hue within 90°, so the
    // miss never exceeds 90 and the score stays in 0..100.
    crate::hue_template::template_miss(&hues).map_or(100.0, |miss| {
        (100.0 * (1.0 - miss / 90.0)).clamp(0.0, 100.0)
    })
}

/// Hue offsets (degrees) of the classic colour schemes: monochrome (one
/// hue, a slight shift), analogous (±30°), complementary, and
/// split-complementary (the two neighbours of the opposite).
const SCHEMES: [[f64; 3]; 4] = [
    [0.0, 0.0, 8.0],
    [0.0, 30.0, -30.0],
    [0.0, 180.0, 180.0],
    [0.0, 150.0, 210.0],
];

/// A hue bin counts as a hue the image shows when it holds at least this
/// share of the chromatic pixels: a small accent still counts, sensor
/// noise and anti-aliased edges do not.
const SCHEME_MIN_SHARE: f64 = 0.005;

/// 0..100 fit of the hues an image shows to the closest classic colour
/// scheme ([`SCHEMES`]) at its best rotation: 100 minus the mean arc from
/// each hue group to the nearest scheme hue, over 180. Hue groups are
/// circular runs of [`HUE_BINS`] bins each holding [`SCHEME_MIN_SHARE`] of
/// the chromatic pixels, at their count-weighted mean hue; each group
/// counts once, whatever its area, because an accent that clashes clashes
/// however small it is. 100 with fewer than two groups.
///
/// Unlike `color_harmony`, whose widest template (two opposite 93.6°
/// sectors) takes in nearly any three hues, this tells a designed scheme
/// from hues picked apart.
pub(super) fn scheme_fit(hist: &[u64; HUE_BINS]) -> f64 {
    let groups = hue_groups(hist);
    if groups.len() < 2 {
        return 100.0;
    }
    let nearest = |hue: f64, scheme: &[f64; 3], rotation: f64| {
        scheme
            .iter()
            .map(|&offset| arc(hue, offset + rotation))
            .fold(f64::INFINITY, f64::min)
    };
    // The mean arc is piecewise linear in the rotation, with its minima
    // where some group sits exactly on some scheme hue: only those
    // rotations need trying.
    let mut best = f64::INFINITY;
    for scheme in &SCHEMES {
        for &anchor in &groups {
            for &offset in scheme {
                let rotation = anchor - offset;
                let cost: f64 = groups.iter().map(|&h| nearest(h, scheme, rotation)).sum();
                best = best.min(cost / groups.len() as f64);
            }
        }
    }
    (100.0 * (1.0 - best / 180.0)).clamp(0.0, 100.0)
}

/// The hues of [`scheme_fit`]: circular runs of well-filled bins, each at
/// its count-weighted mean hue.
fn hue_groups(hist: &[u64; HUE_BINS]) -> Vec<f64> {
    let total: u64 = hist.iter().sum();
    let filled: Vec<bool> = hist
        .iter()
        .map(|&c| c > 0 && c as f64 >= SCHEME_MIN_SHARE * total as f64)
        .collect();
    let bin_degrees = 360.0 / HUE_BINS as f64;
    let centre = |bin: usize| (bin as f64 + 0.5) * bin_degrees;
    let Some(start) = filled.iter().position(|&f| !f) else {
        // Every hue is there: as far from a scheme as hues get.
        return (0..HUE_BINS).map(centre).collect();
    };
    let mut groups = Vec::new();
    let (mut x, mut y, mut open) = (0.0, 0.0, false);
    for k in 1..=HUE_BINS {
        let bin = (start + k) % HUE_BINS;
        if filled[bin] {
            let (sin, cos) = centre(bin).to_radians().sin_cos();
            x += hist[bin] as f64 * cos;
            y += hist[bin] as f64 * sin;
            open = true;
        } else if open {
            groups.push(y.atan2(x).to_degrees().rem_euclid(360.0));
            (x, y, open) = (0.0, 0.0, false);
        }
    }
    groups
}

/// Shortest angular distance between two hues, 0..180.
fn arc(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
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

    /// A histogram with `count` pixels in the bin of each hue.
    fn hues(hues: &[(f64, u64)]) -> [u64; HUE_BINS] {
        let mut h = [0u64; HUE_BINS];
        for &(hue, count) in hues {
            h[(hue / (360.0 / HUE_BINS as f64)) as usize % HUE_BINS] += count;
        }
        h
    }

    #[test]
    fn schemes_fit_and_a_triad_does_not() {
        // Bin centres are 9°, 27°, ...: hues are put at centres.
        let complementary = hues(&[(9.0, 5000), (189.0, 300)]);
        assert_eq!(scheme_fit(&complementary), 100.0);
        let analogous = hues(&[(99.0, 4000), (129.0, 100), (63.0, 100)]);
        assert!(scheme_fit(&analogous) > 97.0, "{}", scheme_fit(&analogous));
        let triad = hues(&[(9.0, 1000), (129.0, 1000), (243.0, 1000)]);
        let t = scheme_fit(&triad);
        assert!(t < 92.0, "{t}");
        // A clashing accent counts as much as a large area.
        let small_clash = hues(&[(9.0, 100_000), (129.0, 1000), (243.0, 1000)]);
        assert!((scheme_fit(&small_clash) - t).abs() < 1.0);
        // Noise below the share does not make a hue.
        let noisy = hues(&[(9.0, 100_000), (129.0, 100)]);
        assert_eq!(scheme_fit(&noisy), 100.0);
        assert_eq!(scheme_fit(&[0; HUE_BINS]), 100.0);
        // A group spanning the 0°/360° seam is one hue near 0°.
        let seam = hues(&[(351.0, 1000), (9.0, 1000), (189.0, 500)]);
        assert!(scheme_fit(&seam) > 97.0, "{}", scheme_fit(&seam));
    }

    #[test]
    fn black_on_white_has_maximal_contrast() {
        let p = [sw([255.0; 3], 0.8), sw([0.0; 3], 0.2)];
        assert!((palette_contrast(&p) - 21.0).abs() < 1e-9);
        assert_eq!(palette_contrast(&p[..1]), 1.0);
    }
}
