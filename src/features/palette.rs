//! Dominant colours: k-means (k = 5, k-means++ seeding) in CIELAB over a
//! deterministic pixel sample of the working image.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::lab::{lab_to_rgb, rgb_to_lab};
use super::resize::SmallImage;

/// Number of palette colours.
pub(super) const K: usize = 5;
/// Pixels sampled for clustering; plenty for 5 centres, and it bounds the cost.
const SAMPLE: usize = 4096;
/// Fixed seed so the palette of an image never changes between runs.
const SEED: u64 = 0x5eed_c0de_1a2b_3c4d;
/// Lloyd iterations cap; assignments of a 4096-point sample settle well before.
const MAX_ITERS: usize = 30;

/// One dominant colour and the share of sampled pixels nearest to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaletteColor {
    /// sRGB colour as `#rrggbb`.
    pub hex: String,
    /// Fraction of sampled pixels in this cluster, 0..1.
    pub share: f64,
}

/// A palette entry with the values the colour features need.
#[derive(Clone, Debug)]
pub(super) struct Swatch {
    /// sRGB 0..255, clamped.
    pub rgb: [f64; 3],
    pub share: f64,
}

impl Swatch {
    pub(super) fn to_public(&self) -> PaletteColor {
        let [r, g, b] = self.rgb.map(|c| (c.clamp(0.0, 255.0) + 0.5) as u8);
        PaletteColor {
            hex: format!("#{r:02x}{g:02x}{b:02x}"),
            share: self.share,
        }
    }
}

/// SplitMix64: tiny, fast and good enough to pick sample positions.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant at these sizes.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Palette of up to [`K`] colours, largest share first. Fewer appear only
/// when the sample holds fewer distinct colours.
pub(super) fn palette(img: &SmallImage) -> Vec<Swatch> {
    let mut rng = SplitMix(SEED);
    let points = sample_lab(img, &mut rng);
    if points.is_empty() {
        return Vec::new();
    }
    let mut centres = seed_centres(&points, &mut rng);
    let counts = lloyd(&points, &mut centres);
    let n = points.len() as f64;
    let mut out: Vec<Swatch> = centres
        .iter()
        .zip(&counts)
        .filter(|(_, &c)| c > 0)
        .map(|(lab, &c)| Swatch {
            rgb: lab_to_rgb(*lab).map(|v| v.clamp(0.0, 255.0)),
            share: c as f64 / n,
        })
        .collect();
    out.sort_by(|a, b| b.share.total_cmp(&a.share));
    out
}

fn sample_lab(img: &SmallImage, rng: &mut SplitMix) -> Vec<[f64; 3]> {
    let total = img.rgb.len();
    // An illustration's samples repeat a few colours, and a conversion (a
    // power and a cube root per channel) costs more than a lookup: each
    // colour is converted once.
    let mut converted: HashMap<[u32; 3], [f64; 3]> = HashMap::new();
    let mut pick = |i: usize| {
        let rgb = img.rgb[i];
        *converted
            .entry(rgb.map(f32::to_bits))
            .or_insert_with(|| rgb_to_lab(rgb.map(f64::from)))
    };
    if total <= SAMPLE {
        return (0..total).map(pick).collect();
    }
    (0..SAMPLE).map(|_| pick(rng.below(total))).collect()
}

fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// k-means++ (Arthur & Vassilvitskii 2007): each new centre drawn with
/// probability proportional to its squared distance from the chosen ones.
fn seed_centres(points: &[[f64; 3]], rng: &mut SplitMix) -> Vec<[f64; 3]> {
    let mut centres = vec![points[rng.below(points.len())]];
    let mut d2: Vec<f64> = points.iter().map(|p| dist2(p, &centres[0])).collect();
    while centres.len() < K {
        let total: f64 = d2.iter().sum();
        if total <= 0.0 {
            break; // every point coincides with a centre already
        }
        let mut target = rng.unit() * total;
        let mut idx = d2.len() - 1;
        for (i, &d) in d2.iter().enumerate() {
            if target < d {
                idx = i;
                break;
            }
            target -= d;
        }
        let c = points[idx];
        for (d, p) in d2.iter_mut().zip(points) {
            *d = d.min(dist2(p, &c));
        }
        centres.push(c);
    }
    centres
}

/// Lloyd iterations until assignments settle; returns cluster sizes.
fn lloyd(points: &[[f64; 3]], centres: &mut [[f64; 3]]) -> Vec<usize> {
    let mut assign = vec![usize::MAX; points.len()];
    let mut counts = vec![0usize; centres.len()];
    for _ in 0..MAX_ITERS {
        let mut changed = false;
        for (a, p) in assign.iter_mut().zip(points) {
            let best = nearest(p, centres);
            if *a != best {
                *a = best;
                changed = true;
            }
        }
        let mut acc = vec![[0f64; 3]; centres.len()];
        counts.iter_mut().for_each(|c| *c = 0);
        for (&a, p) in assign.iter().zip(points) {
            counts[a] += 1;
            for c in 0..3 {
                acc[a][c] += p[c];
            }
        }
        for ((centre, sum), &n) in centres.iter_mut().zip(&acc).zip(&counts) {
            if n > 0 {
                *centre = sum.map(|v| v / n as f64);
            }
        }
        if !changed {
            break;
        }
    }
    counts
}

fn nearest(p: &[f64; 3], centres: &[[f64; 3]]) -> usize {
    let mut best = 0;
    let mut best_d = f64::INFINITY;
    for (i, c) in centres.iter().enumerate() {
        let d = dist2(p, c);
        if d < best_d {
            best_d = d;
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_tone() -> SmallImage {
        let rgb = (0..60 * 50)
            .map(|i| {
                if i % 60 < 42 {
                    [255.0, 0.0, 0.0]
                } else {
                    [0.0, 0.0, 255.0]
                }
            })
            .collect();
        SmallImage { w: 60, h: 50, rgb }
    }

    #[test]
    fn finds_two_tones_with_their_shares() {
        let p = palette(&two_tone());
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].to_public().hex, "#ff0000");
        assert!((p[0].share - 0.7).abs() < 1e-9);
        assert_eq!(p[1].to_public().hex, "#0000ff");
    }

    #[test]
    fn is_deterministic() {
        let img = SmallImage {
            w: 64,
            h: 64,
            rgb: (0..64 * 64)
                .map(|i| {
                    [
                        (i % 256) as f32,
                        ((i * 7) % 256) as f32,
                        ((i / 64) * 4) as f32,
                    ]
                })
                .collect(),
        };
        let a: Vec<_> = palette(&img).iter().map(Swatch::to_public).collect();
        let b: Vec<_> = palette(&img).iter().map(Swatch::to_public).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), K);
    }
}
