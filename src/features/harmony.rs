//! Colour relationships: Ke et al. hue count, the hue-template harmony of the
//! palette ([`crate::hue_template`]), the fit of the image's hue peaks to
//! the classic colour schemes, the arcs between its main hues, and WCAG
//! contrast between the two main colours.

use super::lab::{contrast_ratio, hue_saturation, relative_luminance};
use super::palette::Swatch;
use super::pixels::HUE_BINS;
use super::resize::SmallImage;
use crate::hue_template::arc;

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

/// Hue offsets (degrees) of the classic colour schemes with more than one
/// hue: analogous (±30°), complementary, and split-complementary (the two
/// neighbours of the opposite). A monochrome image shows one hue and fits
/// by definition.
const SCHEMES: [[f64; 3]; 3] = [[0.0, 30.0, -30.0], [0.0, 180.0, 180.0], [0.0, 150.0, 210.0]];

/// A hue peak counts when it holds at least this share of the chromatic
/// pixels: a small accent still counts, anti-aliased edges do not.
const PEAK_MIN_CHROMATIC_SHARE: f64 = 0.005;

/// A hue peak must also hold this share of all pixels, so that a few stray
/// chromatic pixels in a grey design do not make hues of their own.
const PEAK_MIN_IMAGE_SHARE: f64 = 0.0005;

/// Fit of the hues an image shows to the closest classic colour scheme
/// ([`SCHEMES`]) at its best rotation: 100 minus the mean arc from each hue
/// peak to the nearest scheme hue, over 180. 100 with fewer than two peaks.
///
/// Peaks are found in the Ke histogram (`hist`, [`HUE_BINS`] bins) of an
/// image of `pixels` pixels ([`hue_peaks`]). Each counts once, whatever its
/// area, because an accent that clashes clashes however small it is. The
/// mean arc of the worst hue sets stays near 35°, so scores run from about
/// 80 to 100.
///
/// Unlike `color_harmony`, whose widest template (two opposite 93.6°
/// sectors) takes in nearly any three hues, this tells a designed scheme
/// from hues picked apart.
pub(super) fn scheme_fit(hist: &[u64; HUE_BINS], pixels: u64) -> f64 {
    let peaks: Vec<f64> = hue_peaks(&hist.map(|c| c as f64), pixels)
        .into_iter()
        .map(|(hue, _)| hue)
        .collect();
    if peaks.len() < 2 {
        return 100.0;
    }
    let nearest = |hue: f64, scheme: &[f64; 3], rotation: f64| {
        scheme
            .iter()
            .map(|&offset| arc(hue, offset + rotation))
            .fold(f64::INFINITY, f64::min)
    };
    // The mean arc is piecewise linear in the rotation and bends upward
    // only where some peak sits exactly on some scheme hue: its minimum is
    // at one of those rotations.
    let mut best = f64::INFINITY;
    for scheme in &SCHEMES {
        for &anchor in &peaks {
            for &offset in scheme {
                let rotation = anchor - offset;
                let cost: f64 = peaks.iter().map(|&h| nearest(h, scheme, rotation)).sum();
                best = best.min(cost / peaks.len() as f64);
            }
        }
    }
    (100.0 * (1.0 - best / 180.0)).clamp(0.0, 100.0)
}

/// The hue peaks of a histogram of `hist.len()` equal bins over an image of
/// `pixels` pixels, each with its bin's count: bins that hold at least as
/// many pixels as their left neighbour and more than their right one (a
/// plateau gives one peak), above both minimum shares. A peak's hue is its
/// bin centre moved towards the fuller neighbour by the three bins'
/// centroid.
///
/// Peaks rather than runs of filled bins: a gradient between two clashing
/// hues fills the bins between them and would merge them into one.
fn hue_peaks(hist: &[f64], pixels: u64) -> Vec<(f64, f64)> {
    let bins = hist.len();
    let chromatic: f64 = hist.iter().sum();
    let floor = (PEAK_MIN_CHROMATIC_SHARE * chromatic)
        .max(PEAK_MIN_IMAGE_SHARE * pixels as f64)
        .max(1.0);
    let bin_degrees = 360.0 / bins as f64;
    (0..bins)
        .filter_map(|i| {
            let count = hist[i];
            let left = hist[(i + bins - 1) % bins];
            let right = hist[(i + 1) % bins];
            let is_peak = count >= floor && count >= left && count > right;
            is_peak.then(|| {
                let shift = (right - left) / (left + count + right);
                (
                    ((i as f64 + 0.5 + shift) * bin_degrees).rem_euclid(360.0),
                    count,
                )
            })
        })
        .collect()
}

/// Bins of the hue histogram behind [`hue_arcs`]: 5°, fine enough to part
/// analogous hues 30° apart, which the 18° Ke bins merge.
const ARC_BINS: usize = 72;

/// Pixels less saturated than this (HSV) carry no hue for [`hue_arcs`], nor
/// do pixels darker than [`ARC_MIN_VALUE`]. Unlike the Ke gates, light
/// pixels count: the pale tints of a light design carry its hues too.
const ARC_MIN_SATURATION: f32 = 0.2;
const ARC_MIN_VALUE: f32 = 0.15 * 255.0;

/// `hue_arc_small`, `hue_arc_mid`, `hue_arc_large`: the arcs (degrees,
/// 0..180) between the three strongest hue peaks of the working image,
/// smallest first. Two peaks make one arc, `hue_arc_small`; an arc that
/// fewer peaks leave out is 0.
///
/// Where [`scheme_fit`] judges the hues against fixed schemes, these give a
/// model the hue geometry itself (two hues 30° apart, a third opposite; or
/// three hues spread 105° and 110° apart), so that it learns which
/// relations its platform rewards, including ones no classic scheme names.
///
/// The histogram is smoothed by [1, 2, 1]: the dips inside one broad hue
/// (a shaded object, a photograph) would otherwise split it into peaks 5°
/// apart. A narrow hue's peak is halved by it, so the peak floors are in
/// effect twice those of [`scheme_fit`].
pub(super) fn hue_arcs(img: &SmallImage) -> [f64; 3] {
    let mut hist = [0f64; ARC_BINS];
    for &[r, g, b] in &img.rgb {
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        if max <= ARC_MIN_VALUE || (max - min) <= ARC_MIN_SATURATION * max {
            continue;
        }
        let (hue, _) = hue_saturation([f64::from(r), f64::from(g), f64::from(b)]);
        hist[((hue / 360.0 * ARC_BINS as f64) as usize).min(ARC_BINS - 1)] += 1.0;
    }
    let smoothed: Vec<f64> = (0..ARC_BINS)
        .map(|i| {
            0.25 * hist[(i + ARC_BINS - 1) % ARC_BINS]
                + 0.5 * hist[i]
                + 0.25 * hist[(i + 1) % ARC_BINS]
        })
        .collect();
    let mut peaks = hue_peaks(&smoothed, (img.w * img.h) as u64);
    peaks.sort_by(|a, b| b.1.total_cmp(&a.1));
    peaks.truncate(3);
    let mut arcs = [0f64; 3];
    let pairs = [(0, 1), (0, 2), (1, 2)];
    let mut found: Vec<f64> = pairs
        .iter()
        .filter(|&&(_, j)| j < peaks.len())
        .map(|&(i, j)| arc(peaks[i].0, peaks[j].0))
        .collect();
    found.sort_by(f64::total_cmp);
    arcs[..found.len()].copy_from_slice(&found);
    arcs
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

    /// Pixels of an image in which all of `hist` is a tenth of the pixels.
    fn image_of(hist: &[u64; HUE_BINS]) -> u64 {
        10 * hist.iter().sum::<u64>()
    }

    #[test]
    fn schemes_fit_and_a_triad_does_not() {
        let fit = |h: [u64; HUE_BINS]| scheme_fit(&h, image_of(&h));
        // Bin centres are 9°, 27°, ...: hues are put at centres.
        assert!((fit(hues(&[(9.0, 5000), (189.0, 300)])) - 100.0).abs() < 1e-9);
        let analogous = fit(hues(&[(99.0, 4000), (129.0, 100), (63.0, 100)]));
        assert!(analogous > 97.0, "{analogous}");
        let triad = fit(hues(&[(9.0, 1000), (129.0, 1000), (243.0, 1000)]));
        assert!(triad < 92.0, "{triad}");
        // A clashing accent counts as much as a large area.
        let small_clash = fit(hues(&[(9.0, 100_000), (129.0, 1000), (243.0, 1000)]));
        assert!(
            (small_clash - triad).abs() < 1.0,
            "{small_clash} vs {triad}"
        );
        // A gradient between two clashing hues does not merge them.
        let mut gradient = hues(&[(9.0, 1000), (99.0, 1000)]);
        gradient[1..5].fill(200);
        let two = fit(hues(&[(9.0, 1000), (99.0, 1000)]));
        assert!(two < 93.0, "{two}");
        assert!(
            (fit(gradient) - two).abs() < 2.0,
            "{} vs {two}",
            fit(gradient)
        );
        // Edge pixels below the chromatic share make no hue.
        assert_eq!(fit(hues(&[(9.0, 100_000), (129.0, 100)])), 100.0);
        assert_eq!(scheme_fit(&[0; HUE_BINS], 1000), 100.0);
    }

    #[test]
    fn stray_colour_in_a_grey_image_makes_no_hues() {
        let stray = hues(&[(9.0, 100), (129.0, 100), (243.0, 100)]);
        assert!(scheme_fit(&stray, 1000) < 92.0, "a colourful image");
        assert_eq!(scheme_fit(&stray, 1_000_000), 100.0, "a grey image");
    }

    #[test]
    fn peaks_sit_between_their_bins_and_across_the_seam() {
        // Bins 19 (351°) and 0 (9°) equally full: one peak at 0°.
        let mut seam = [0f64; HUE_BINS];
        seam[19] = 1000.0;
        seam[0] = 1000.0;
        let peaks = hue_peaks(&seam, 20_000);
        assert_eq!(peaks.len(), 1, "{peaks:?}");
        assert!(arc(peaks[0].0, 0.0) < 1e-9, "{peaks:?}");
        // A fuller right neighbour pulls the peak right of its centre.
        let mut leaning = [0f64; HUE_BINS];
        leaning[5] = 1000.0;
        leaning[6] = 500.0;
        let peaks = hue_peaks(&leaning, 20_000);
        assert_eq!(peaks.len(), 1);
        assert!(
            (peaks[0].0 - (5.5 + 1.0 / 3.0) * 18.0).abs() < 1e-9,
            "{peaks:?}"
        );
    }

    /// A 100 x 100 working image: `fills` are (hue in degrees, pixels) of
    /// fully saturated colour, the rest mid grey.
    fn painted(fills: &[(f64, usize)]) -> SmallImage {
        let mut rgb = Vec::new();
        for &(hue, n) in fills {
            // HSV with S = V = 1: the sextant ramps.
            let ramp = |k: f64| {
                let x = (k + hue / 60.0).rem_euclid(6.0);
                255.0 * (1.0 - (x.min(4.0 - x).clamp(0.0, 1.0))) as f32
            };
            rgb.extend(std::iter::repeat_n([ramp(5.0), ramp(3.0), ramp(1.0)], n));
        }
        rgb.resize(100 * 100, [128.0; 3]);
        SmallImage {
            w: 100,
            h: 100,
            rgb,
        }
    }

    #[test]
    fn hue_arcs_measure_the_three_strongest_hues() {
        // The fill colours really have these hues.
        for hue in [0.0, 30.0, 200.0, 330.0] {
            let (h, s) = hue_saturation(painted(&[(hue, 1)]).rgb[0].map(f64::from));
            assert!(arc(h, hue) < 0.5 && s > 0.99, "{hue}: {h} {s}");
        }
        // Hues are put at bin centres (2.5°, 7.5°, ...): a peak reads to
        // its bin, 5° wide.
        let close = |a: [f64; 3], b: [f64; 3]| a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1.0);
        // Analogous hues 30° apart, which one 18° Ke bin pair would merge.
        let analogous = hue_arcs(&painted(&[(102.5, 3000), (132.5, 1000), (72.5, 1000)]));
        assert!(close(analogous, [30.0, 30.0, 60.0]), "{analogous:?}");
        // Hues spread as no classic scheme spreads them.
        let discordant = hue_arcs(&painted(&[(12.5, 3000), (117.5, 1000), (227.5, 1000)]));
        assert!(close(discordant, [105.0, 110.0, 145.0]), "{discordant:?}");
        // A fourth, weaker hue does not count; two hues make one arc.
        let four = hue_arcs(&painted(&[
            (12.5, 3000),
            (117.5, 1000),
            (227.5, 1000),
            (300.0, 300),
        ]));
        assert!(close(four, discordant), "{four:?}");
        let two = hue_arcs(&painted(&[(12.5, 3000), (192.5, 1000)]));
        assert!(close(two, [180.0, 0.0, 0.0]), "{two:?}");
        // Greys, and a few stray pixels, carry no hue.
        assert_eq!(hue_arcs(&painted(&[])), [0.0; 3]);
        assert_eq!(hue_arcs(&painted(&[(12.5, 3000), (192.5, 3)])), [0.0; 3]);
    }

    #[test]
    fn black_on_white_has_maximal_contrast() {
        let p = [sw([255.0; 3], 0.8), sw([0.0; 3], 0.2)];
        assert!((palette_contrast(&p) - 21.0).abs() < 1e-9);
        assert_eq!(palette_contrast(&p[..1]), 1.0);
    }
}
