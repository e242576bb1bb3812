//! Glyph candidates for text detection: ink maps from a local-mean
//! threshold ([`InkPass`], under a clear or a faint [`InkRule`]), and the
//! connected components of ink that look like letters (or whole words)
//! standing on a flat background.

use super::components::{components, Component};

/// How far ink must stand out from its surroundings, and how flat the
/// ground around a glyph must be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct InkRule {
    /// Grey levels by which ink differs from its local mean.
    pub margin: f32,
    /// The ground's grey std below which it always counts as flat (above
    /// it, the std must stay under [`MAX_BG_NOISE_SHARE`] of the contrast).
    pub flat_ground: f64,
    /// Most grey std of the ground around a whole line (its box grown by
    /// its height), if the rule checks it; glyph by glyph, a smooth patch
    /// of a photograph looks as flat as a page.
    pub line_ground: Option<f64>,
}

/// Most text.
pub(super) const CLEAR_INK: InkRule = InkRule {
    margin: 20.0,
    flat_ground: 6.0,
    line_ground: None,
};
/// Faint text, a few grey levels off its ground: found only on near-flat
/// ground, where sensor noise and texture cannot pass for it.
pub(super) const FAINT_INK: InkRule = InkRule {
    margin: 8.0,
    flat_ground: 2.5,
    line_ground: Some(2.5),
};
/// Glyph height bounds: absolute minimum and share of the image height.
const MIN_GLYPH_H: usize = 4;
const MAX_GLYPH_H_SHARE: f64 = 0.4;
const MIN_GLYPH_AREA: usize = 6;
/// Bounding-box fill of a glyph: strokes, not blobs or hairlines.
const FILL_RANGE: (f64, f64) = (0.08, 0.9);
/// Widest component relative to its height (touching letters form words).
const MAX_ASPECT: f64 = 10.0;
/// Stroke thickness over height above which a component is a blob.
const MAX_STROKE_SHARE: f64 = 0.4;
/// Background around a glyph must be flat: its grey std may not exceed
/// the larger of this share of the ink/background contrast and the rule's
/// [`InkRule::flat_ground`]. This is what separates lettering from texture
/// such as fur or foliage, whose dark specks sit on more specks.
const MAX_BG_NOISE_SHARE: f64 = 0.25;

/// Dark text on light ground, or light on dark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Polarity {
    Dark,
    Light,
}

/// Axis-aligned box, inclusive start, exclusive end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BBox {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl BBox {
    pub(super) fn w(&self) -> usize {
        self.x1 - self.x0
    }
    pub(super) fn h(&self) -> usize {
        self.y1 - self.y0
    }
    pub(super) fn area(&self) -> usize {
        self.w() * self.h()
    }
    pub(super) fn union(&self, o: &BBox) -> BBox {
        BBox {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }
    pub(super) fn intersection(&self, o: &BBox) -> usize {
        let w = self.x1.min(o.x1).saturating_sub(self.x0.max(o.x0));
        let h = self.y1.min(o.y1).saturating_sub(self.y0.max(o.y0));
        w * h
    }
    /// Grown by `pad` on every side, clipped to a `w` x `h` image.
    pub(super) fn padded(&self, pad: usize, w: usize, h: usize) -> BBox {
        BBox {
            x0: self.x0.saturating_sub(pad),
            y0: self.y0.saturating_sub(pad),
            x1: (self.x1 + pad).min(w),
            y1: (self.y1 + pad).min(h),
        }
    }
}

/// A connected ink component accepted as a glyph.
#[derive(Clone, Copy, Debug)]
pub(super) struct Glyph {
    pub bbox: BBox,
    pub area: usize,
    /// Mean stroke thickness estimate: 2·area / boundary pixels.
    pub stroke: f64,
}

impl Glyph {
    pub(super) fn cy(&self) -> f64 {
        (self.bbox.y0 + self.bbox.y1) as f64 / 2.0
    }
}

/// Summed-area table of a grey plane, for O(1) local means.
pub(super) struct Integral {
    w: usize,
    h: usize,
    sum: Vec<f64>,
}

impl Integral {
    pub(super) fn new(plane: &[f32], w: usize, h: usize) -> Self {
        let mut sum = vec![0f64; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0f64;
            for x in 0..w {
                row += f64::from(plane[y * w + x]);
                sum[(y + 1) * (w + 1) + x + 1] = sum[y * (w + 1) + x + 1] + row;
            }
        }
        Self { w, h, sum }
    }

    /// The plane of means over the window of `radius` around each pixel,
    /// clipped to the image. Window bounds and reciprocal sizes are per
    /// column and per row, so the per-pixel work is four lookups.
    pub(super) fn local_means(&self, radius: usize) -> Vec<f32> {
        let span = |i: usize, n: usize| (i.saturating_sub(radius), (i + radius + 1).min(n));
        let cols: Vec<(usize, usize, f64)> = (0..self.w)
            .map(|x| {
                let (a, b) = span(x, self.w);
                (a, b, 1.0 / (b - a) as f64)
            })
            .collect();
        let stride = self.w + 1;
        let mut out = Vec::with_capacity(self.w * self.h);
        for y in 0..self.h {
            let (y0, y1) = span(y, self.h);
            let inv_h = 1.0 / (y1 - y0) as f64;
            let (top, bottom) = (&self.sum[y0 * stride..], &self.sum[y1 * stride..]);
            for &(x0, x1, inv_w) in &cols {
                let total = bottom[x1] - bottom[x0] - top[x1] + top[x0];
                out.push((total * inv_w * inv_h) as f32);
            }
        }
        out
    }
}

/// The ink of one polarity under one [`InkRule`] on a grey plane, with its
/// ground: where glyphs are found, and whose flatness around a whole line
/// decides whether the line is believed.
pub(super) struct InkPass<'a> {
    y: &'a [f32],
    ink: Vec<bool>,
    ground: Background,
    rule: InkRule,
    w: usize,
    h: usize,
}

impl<'a> InkPass<'a> {
    /// Ink: pixels `rule.margin` grey levels darker (or lighter) than
    /// their local mean.
    pub(super) fn new(
        y: &'a [f32],
        local_mean: &[f32],
        polarity: Polarity,
        rule: InkRule,
        w: usize,
        h: usize,
    ) -> Self {
        let is_ink = |v: f32, m: f32| match polarity {
            Polarity::Dark => v < m - rule.margin,
            Polarity::Light => v > m + rule.margin,
        };
        let ink: Vec<bool> = y
            .iter()
            .zip(local_mean)
            .map(|(&v, &m)| is_ink(v, m))
            .collect();
        let ground = Background::new(y, &ink, w, h);
        Self {
            y,
            ink,
            ground,
            rule,
            w,
            h,
        }
    }

    /// Components of the ink accepted as glyphs.
    pub(super) fn glyphs(&self) -> Vec<Glyph> {
        let max_h = ((self.h as f64 * MAX_GLYPH_H_SHARE) as usize).max(MIN_GLYPH_H);
        components(&self.ink, self.y, self.w, self.h)
            .iter()
            .filter_map(|c| {
                let g = measure(c);
                let ink_mean = c.sum / c.area as f64;
                (shape_ok(&g, max_h) && self.ground_ok(&g, ink_mean)).then_some(g)
            })
            .collect()
    }

    /// Whether the ground around a line of glyphs is flat enough for the
    /// rule ([`InkRule::line_ground`]).
    pub(super) fn line_ground_ok(&self, line: &BBox) -> bool {
        let Some(most) = self.rule.line_ground else {
            return true;
        };
        let around = line.padded(line.h(), self.w, self.h);
        self.ground
            .stats(&around)
            .is_some_and(|(_, std)| std <= most)
    }

    fn ground_ok(&self, g: &Glyph, ink_mean: f64) -> bool {
        let around = g.bbox.padded((g.bbox.h() / 3).max(2), self.w, self.h);
        let Some((bg_mean, bg_std)) = self.ground.stats(&around) else {
            return false;
        };
        let contrast = (bg_mean - ink_mean).abs();
        bg_std <= (MAX_BG_NOISE_SHARE * contrast).max(self.rule.flat_ground)
    }
}

/// Grey levels of the background: pixels not within one pixel of ink, so
/// the anti-aliased rims of strokes do not count as background noise.
///
/// A busy photograph asks for the ground around many candidate glyphs,
/// and a branch per pixel on whether it counts cost its text detection 5
/// of 22 ms. So the ground is kept as grey with the ink's neighbourhood
/// set to zero, plus which pixels count: a box is summed without a
/// branch, in the same order as pixel by pixel, so to the same bits
/// (adding zero changes no sum).
struct Background {
    grey: Vec<f32>,
    kept: Vec<u8>,
    w: usize,
}

impl Background {
    fn new(y: &[f32], ink: &[bool], w: usize, h: usize) -> Self {
        let near_ink = dilate(ink, w, h);
        Self {
            grey: y
                .iter()
                .zip(&near_ink)
                .map(|(&v, &near)| if near { 0.0 } else { v })
                .collect(),
            kept: near_ink.iter().map(|&near| u8::from(!near)).collect(),
            w,
        }
    }

    /// (mean, std) of background grey in a box; None when it has too few pixels.
    fn stats(&self, b: &BBox) -> Option<(f64, f64)> {
        let (mut n, mut s, mut s2) = (0usize, 0f64, 0f64);
        for yy in b.y0..b.y1 {
            let span = yy * self.w + b.x0..yy * self.w + b.x1;
            for (&v, &kept) in self.grey[span.clone()].iter().zip(&self.kept[span]) {
                let v = f64::from(v);
                n += usize::from(kept);
                s += v;
                s2 += v * v;
            }
        }
        if n < 4 {
            return None;
        }
        let mean = s / n as f64;
        Some((mean, (s2 / n as f64 - mean * mean).max(0.0).sqrt()))
    }
}

/// 3x3 dilation, as a horizontal then a vertical 3-tap OR over whole rows
/// (slice-wise, so it vectorises).
fn dilate(mask: &[bool], w: usize, h: usize) -> Vec<bool> {
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let mut across = mask.to_vec();
    for (src, dst) in mask.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
        for (d, &s) in dst[1..].iter_mut().zip(&src[..w - 1]) {
            *d |= s;
        }
        for (d, &s) in dst[..w - 1].iter_mut().zip(&src[1..]) {
            *d |= s;
        }
    }
    let mut out = across.clone();
    for y in 0..h {
        let row = &mut out[y * w..(y + 1) * w];
        if y > 0 {
            for (d, &s) in row.iter_mut().zip(&across[(y - 1) * w..y * w]) {
                *d |= s;
            }
        }
        if y + 1 < h {
            for (d, &s) in row.iter_mut().zip(&across[(y + 1) * w..(y + 2) * w]) {
                *d |= s;
            }
        }
    }
    out
}

fn measure(c: &Component) -> Glyph {
    Glyph {
        bbox: BBox {
            x0: c.x0,
            y0: c.y0,
            x1: c.x1,
            y1: c.y1,
        },
        area: c.area,
        stroke: 2.0 * c.area as f64 / c.boundary.max(1) as f64,
    }
}

fn shape_ok(g: &Glyph, max_h: usize) -> bool {
    let (bw, bh) = (g.bbox.w() as f64, g.bbox.h() as f64);
    let fill = g.area as f64 / (bw * bh);
    g.bbox.h() >= MIN_GLYPH_H
        && g.bbox.h() <= max_h
        && g.area >= MIN_GLYPH_AREA
        && (FILL_RANGE.0..=FILL_RANGE.1).contains(&fill)
        && bw <= MAX_ASPECT * bh
        && g.stroke <= (MAX_STROKE_SHARE * bh).max(2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3-pixel-thick ring (like an "o") on a flat background.
    fn ring(w: usize, h: usize, bg: f32, ink: f32) -> Vec<f32> {
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32 - 15.0, (i / w) as f32 - 15.0);
                let r = (x * x + y * y).sqrt();
                if (5.0..8.0).contains(&r) {
                    ink
                } else {
                    bg
                }
            })
            .collect()
    }

    #[test]
    fn a_letter_on_flat_ground_is_a_glyph() {
        let (w, h) = (61, 61);
        let y = ring(w, h, 230.0, 20.0);
        let mean = Integral::new(&y, w, h).local_means(10);
        let g = InkPass::new(&y, &mean, Polarity::Dark, CLEAR_INK, w, h).glyphs();
        assert_eq!(g.len(), 1);
        assert!(g[0].bbox.h() >= 14);
    }

    #[test]
    fn a_faint_letter_is_found_by_the_faint_rule_on_flat_ground_only() {
        let (w, h) = (61, 61);
        let found = |y: &[f32], rule| {
            let mean = Integral::new(y, w, h).local_means(10);
            InkPass::new(y, &mean, Polarity::Dark, rule, w, h)
                .glyphs()
                .len()
        };
        let faint = ring(w, h, 240.0, 226.0);
        assert_eq!(found(&faint, CLEAR_INK), 0);
        assert_eq!(found(&faint, FAINT_INK), 1);
        // The same letter on a ground that varies by ±4 grey levels.
        let noisy: Vec<f32> = faint
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v == 240.0 {
                    v + if (i / w + i) % 2 == 0 { 4.0 } else { -4.0 }
                } else {
                    v
                }
            })
            .collect();
        assert_eq!(found(&noisy, FAINT_INK), 0);
    }

    #[test]
    fn dilation_grows_by_one_pixel() {
        let mut mask = vec![false; 25];
        mask[12] = true;
        let d = dilate(&mask, 5, 5);
        let set: Vec<usize> = (0..25).filter(|&i| d[i]).collect();
        assert_eq!(set, vec![6, 7, 8, 11, 12, 13, 16, 17, 18]);
        assert_eq!(dilate(&[true], 1, 1), vec![true]);
    }

    #[test]
    fn a_solid_blob_is_not() {
        let (w, h) = (31, 31);
        let y: Vec<f32> = (0..w * h)
            .map(|i| {
                if (10..20).contains(&(i % w)) && (10..20).contains(&(i / w)) {
                    0.0
                } else {
                    255.0
                }
            })
            .collect();
        let mean = Integral::new(&y, w, h).local_means(10);
        assert!(InkPass::new(&y, &mean, Polarity::Dark, CLEAR_INK, w, h)
            .glyphs()
            .is_empty());
    }
}
