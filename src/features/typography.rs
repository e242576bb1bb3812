//! Text lines found from pixels alone (FEATURES.md "Typography"): found on
//! the working image, their contrast read at full resolution.
//!
//! 1. Ink maps (`glyphs.rs`): pixels darker, or lighter, than their local
//!    mean by a margin; two window sizes so that both body text and large
//!    headlines have a surrounding to stand out from, and two margins: the
//!    clear one, and a low one for faint text that is believed only on
//!    near-flat ground.
//! 2. Glyphs: components of ink with letter-like height, fill and stroke,
//!    on flat background.
//! 3. Lines: glyphs of similar height and stroke, vertically overlapping and
//!    horizontally close, chained by union-find; a line needs several glyphs
//!    of consistent height and must be wider than tall. Links tolerate some
//!    vertical drift so slanted or handwritten lines still chain.
//! 4. Lines found by several passes are de-duplicated: a clear line wins
//!    over a faint copy of it (whose low margin takes in the anti-aliased
//!    rims), then the inkiest wins.
//! 5. Each line's contrast: its stroke core against the ground around its
//!    box, on the full-resolution image.

use rayon::prelude::*;

use super::decode::Canonical;
use super::glyphs::{BBox, Glyph, InkPass, InkRule, Integral, Polarity, CLEAR_INK, FAINT_INK};
use super::grey::{luma, Grey};
use super::lab::{contrast_ratio, Tables};
use super::resize::SmallImage;
use super::Threads;

/// Local-mean window radii (pixels of the working image).
const RADII: [usize; 2] = [10, 32];
/// Ink passes, each for dark and for light ink: an index into [`RADII`] and
/// a rule. Faint text is sought with the small window only: on 300
/// synthetic designs the large one found no more of it, and with both the
/// illustrations of `make bench-features` were extracted 10% slower than
/// before the faint passes (3% with the small window alone).
const PASSES: [(usize, InkRule); 3] = [(0, CLEAR_INK), (1, CLEAR_INK), (0, FAINT_INK)];
/// Linking rules between neighbouring glyphs, relative to the taller one.
const MAX_HEIGHT_RATIO: f64 = 2.5;
const MAX_CENTRE_SHIFT: f64 = 0.6;
const MAX_GAP: f64 = 2.0;
const MAX_STROKE_RATIO: f64 = 2.5;
/// A line needs this many glyphs, this height consistency (coefficient of
/// variation) and this width over height.
const MIN_GLYPHS: usize = 3;
const MAX_HEIGHT_CV: f64 = 0.5;
const MIN_LINE_ASPECT: f64 = 1.2;
/// A line's box may be at most this many median glyph heights tall, and its
/// tallest glyph at most [`MAX_TALLEST`] of them: links tolerate some drift
/// and lowercase ascenders and descenders (a lowercase line is about twice
/// its x-height), but a chain that wanders down a texture (wood grain,
/// foliage, highlights) or strings blobs of every size is not a line.
const MAX_LINE_HEIGHT: f64 = 2.5;
const MAX_TALLEST: f64 = 2.0;
/// Two lines overlapping by more than this share of the smaller are one.
const DUPLICATE_OVERLAP: f64 = 0.3;
/// Ink percentile taken as the text colour: the stroke core rather than its
/// anti-aliased rim.
const INK_CORE: f64 = 0.1;
/// Grey levels by which a full-resolution pixel of a line's box must differ
/// from the ground's median to count as stroke: low, so that faint text
/// still has strokes to measure.
const STROKE_MARGIN: f32 = 8.0;
/// Most full-resolution pixels read per line; a bigger box is read on a
/// grid, which keeps every stroke's share of the samples.
const MAX_LINE_SAMPLES: usize = 1 << 16;

/// Typography features, in FEATURES.md order.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Typography {
    pub text_coverage: f64,
    pub text_lines: u32,
    pub text_contrast: f64,
    pub text_hierarchy: f64,
    pub readability: f64,
    /// Where the lines are, so composition can tell text from the subject.
    pub line_boxes: Vec<BBox>,
}

/// What an ink pass looked for: dark or light ink, clear or faint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pass {
    polarity: Polarity,
    faint: bool,
}

/// A detected text line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Line {
    pub bbox: BBox,
    ink: usize,
    pass: Pass,
}

/// Detects text lines on the working image `img` and summarises them; the
/// strokes' contrast is measured on the full-resolution `full`, where thin
/// strokes are not yet blended into their ground.
pub(super) fn typography(
    img: &SmallImage,
    grey: &Grey,
    full: &Canonical,
    threads: Threads,
) -> Typography {
    let means = local_means(img, grey);
    let lines = detect_lines(img, grey, &means, threads);
    summarise(&lines, img, full)
}

/// Local-mean planes, one per entry of [`RADII`].
pub(super) fn local_means(img: &SmallImage, grey: &Grey) -> Vec<Vec<f32>> {
    let integral = Integral::new(&grey.y, img.w, img.h);
    RADII.iter().map(|&r| integral.local_means(r)).collect()
}

/// All text lines of the working image, de-duplicated across passes. The
/// passes are independent: with [`Threads::Pool`] they run in parallel,
/// their lines kept in pass order (a busy photograph's passes are the
/// longest stage of one design's features).
pub(super) fn detect_lines(
    img: &SmallImage,
    grey: &Grey,
    means: &[Vec<f32>],
    threads: Threads,
) -> Vec<Line> {
    let passes: Vec<(usize, InkRule, Polarity)> = PASSES
        .iter()
        .flat_map(|&(radius, rule)| {
            [Polarity::Dark, Polarity::Light].map(|polarity| (radius, rule, polarity))
        })
        .collect();
    let run = |&(radius, rule, polarity): &(usize, InkRule, Polarity)| {
        let pass = Pass {
            polarity,
            faint: rule == FAINT_INK,
        };
        let ink = InkPass::new(&grey.y, &means[radius], polarity, rule, img.w, img.h);
        let found = group_lines(&ink.glyphs(), pass);
        found
            .into_iter()
            .filter(|l| ink.line_ground_ok(&l.bbox))
            .collect::<Vec<_>>()
    };
    let found: Vec<Vec<Line>> = match threads {
        Threads::One => passes.iter().map(run).collect(),
        Threads::Pool => passes.par_iter().map(run).collect(),
    };
    deduplicate(found.into_iter().flatten().collect())
}

/// Whether two glyphs belong to the same line.
fn linked(a: &Glyph, b: &Glyph) -> bool {
    let (ha, hb) = (a.bbox.h() as f64, b.bbox.h() as f64);
    let (hmax, hmin) = (ha.max(hb), ha.min(hb));
    if hmax > MAX_HEIGHT_RATIO * hmin || (a.cy() - b.cy()).abs() > MAX_CENTRE_SHIFT * hmax {
        return false;
    }
    let gap = a.bbox.x0.max(b.bbox.x0) as f64 - a.bbox.x1.min(b.bbox.x1) as f64;
    gap <= MAX_GAP * hmax && a.stroke.max(b.stroke) <= MAX_STROKE_RATIO * a.stroke.min(b.stroke)
}

/// Union-find chaining of linked glyphs; glyphs are visited left to right
/// and a glyph only looks as far right as any partner could be.
fn group_lines(glyphs: &[Glyph], pass: Pass) -> Vec<Line> {
    let mut order: Vec<usize> = (0..glyphs.len()).collect();
    order.sort_by_key(|&i| glyphs[i].bbox.x0);
    let mut parent: Vec<usize> = (0..glyphs.len()).collect();
    for (k, &i) in order.iter().enumerate() {
        let a = &glyphs[i];
        let reach = a.bbox.x1 as f64 + MAX_GAP * MAX_HEIGHT_RATIO * a.bbox.h() as f64;
        for &j in &order[k + 1..] {
            let b = &glyphs[j];
            if b.bbox.x0 as f64 > reach {
                break;
            }
            if linked(a, b) {
                let (ra, rb) = (find(&mut parent, i), find(&mut parent, j));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); glyphs.len()];
    for i in 0..glyphs.len() {
        let r = find(&mut parent, i);
        members[r].push(i);
    }
    members
        .iter()
        .filter_map(|m| line_from(m, glyphs, pass))
        .collect()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn line_from(members: &[usize], glyphs: &[Glyph], pass: Pass) -> Option<Line> {
    if members.len() < MIN_GLYPHS {
        return None;
    }
    let heights: Vec<f64> = members.iter().map(|&i| glyphs[i].bbox.h() as f64).collect();
    let n = heights.len() as f64;
    let mean = heights.iter().sum::<f64>() / n;
    let cv = (heights.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt() / mean;
    if cv > MAX_HEIGHT_CV {
        return None;
    }
    let bbox = members
        .iter()
        .map(|&i| glyphs[i].bbox)
        .reduce(|a, b| a.union(&b))?;
    if (bbox.w() as f64) < MIN_LINE_ASPECT * bbox.h() as f64 {
        return None;
    }
    let mut sorted = heights;
    let median_h = quantile(&mut sorted, 0.5);
    let tallest = sorted.last().copied().unwrap_or(0.0);
    if bbox.h() as f64 > MAX_LINE_HEIGHT * median_h || tallest > MAX_TALLEST * median_h {
        return None;
    }
    Some(Line {
        bbox,
        ink: members.iter().map(|&i| glyphs[i].area).sum(),
        pass,
    })
}

/// Keeps, among overlapping lines, a clear one before a faint one, then the
/// one with the most ink.
fn deduplicate(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by_key(|l| (l.pass.faint, std::cmp::Reverse(l.ink)));
    let mut kept: Vec<Line> = Vec::new();
    for l in lines {
        let dup = kept.iter().any(|k| {
            let inter = k.bbox.intersection(&l.bbox) as f64;
            inter > DUPLICATE_OVERLAP * k.bbox.area().min(l.bbox.area()) as f64
        });
        if !dup {
            kept.push(l);
        }
    }
    kept
}

fn summarise(lines: &[Line], img: &SmallImage, full: &Canonical) -> Typography {
    if lines.is_empty() {
        return Typography {
            text_coverage: 0.0,
            text_lines: 0,
            text_contrast: 1.0,
            text_hierarchy: 1.0,
            readability: 0.0,
            line_boxes: Vec::new(),
        };
    }
    let contrasts: Vec<f64> = lines
        .iter()
        .map(|l| stroke_contrast(l, img, full))
        .collect();
    let heights: Vec<f64> = lines.iter().map(|l| l.bbox.h() as f64).collect();
    let text_contrast = median(&contrasts);
    let median_h = median(&heights);
    let text_hierarchy = if lines.len() < 2 {
        1.0
    } else {
        heights.iter().copied().fold(0.0, f64::max) / median_h
    };
    Typography {
        text_coverage: coverage(lines, img.w, img.h),
        text_lines: lines.len() as u32,
        text_contrast,
        text_hierarchy,
        readability: readability(text_contrast, median_h / img.h as f64),
        line_boxes: lines.iter().map(|l| l.bbox).collect(),
    }
}

/// Share of the image inside at least one line box.
fn coverage(lines: &[Line], w: usize, h: usize) -> f64 {
    let mut covered = vec![false; w * h];
    for l in lines {
        for y in l.bbox.y0..l.bbox.y1 {
            covered[y * w + l.bbox.x0..y * w + l.bbox.x1].fill(true);
        }
    }
    covered.iter().filter(|&&c| c).count() as f64 / (w * h).max(1) as f64
}

/// WCAG contrast between the stroke core and the ground around the line,
/// read at full resolution: on the working image a thin stroke is averaged
/// with its ground and reads fainter than it is. The ground is a ring a
/// quarter of the line's height wide around its box (the box itself may be
/// mostly ink in bold type); stroke pixels are the box's pixels
/// [`STROKE_MARGIN`] grey levels past the ground's median, towards the
/// line's polarity.
fn stroke_contrast(line: &Line, img: &SmallImage, full: &Canonical) -> f64 {
    let (fw, fh) = (full.width() as usize, full.height() as usize);
    let to_full = |v: usize, small: usize, big: usize| (v * big / small.max(1)).min(big);
    let inner = BBox {
        x0: to_full(line.bbox.x0, img.w, fw),
        y0: to_full(line.bbox.y0, img.h, fh),
        x1: to_full(line.bbox.x1, img.w, fw),
        y1: to_full(line.bbox.y1, img.h, fh),
    };
    if inner.x1 <= inner.x0 || inner.y1 <= inner.y0 {
        return 1.0;
    }
    let pad = (inner.h() / 4).max(2);
    let outer = inner.padded(pad, fw, fh);
    let step = ((outer.area() as f64 / MAX_LINE_SAMPLES as f64)
        .sqrt()
        .ceil() as usize)
        .max(1);
    let lin = Tables::get();
    let mut row = vec![[0f32; 3]; outer.w()];
    // (grey, luminance) of the box's pixels and of the ring's.
    let mut boxed: Vec<(f32, f64)> = Vec::new();
    let mut ring: Vec<(f32, f64)> = Vec::new();
    for y in (outer.y0..outer.y1).step_by(step) {
        full.span_f32(y, outer.x0..outer.x1, &mut row);
        for (x, &rgb) in (outer.x0..outer.x1).zip(&row).step_by(step) {
            let sample = (luma(rgb) as f32, lin.luminance(rgb));
            let inside = (inner.x0..inner.x1).contains(&x) && (inner.y0..inner.y1).contains(&y);
            match inside {
                true => boxed.push(sample),
                false => ring.push(sample),
            }
        }
    }
    // A line at the image's edge on every side has no ring: its box's own
    // median stands in for the ground.
    let ground_samples = if ring.is_empty() { &boxed } else { &ring };
    let mut greys: Vec<f64> = ground_samples.iter().map(|s| f64::from(s.0)).collect();
    let ground_grey = quantile(&mut greys, 0.5) as f32;
    let mut ground: Vec<f64> = ground_samples.iter().map(|s| s.1).collect();
    let is_stroke = |grey: f32| match line.pass.polarity {
        Polarity::Dark => grey < ground_grey - STROKE_MARGIN,
        Polarity::Light => grey > ground_grey + STROKE_MARGIN,
    };
    let mut ink: Vec<f64> = boxed
        .iter()
        .filter(|s| is_stroke(s.0))
        .map(|s| s.1)
        .collect();
    if ink.is_empty() || ground.is_empty() {
        return 1.0;
    }
    let core = match line.pass.polarity {
        Polarity::Dark => INK_CORE,
        Polarity::Light => 1.0 - INK_CORE,
    };
    contrast_ratio(quantile(&mut ink, core), quantile(&mut ground, 0.5))
}

/// 0..100: 60 points for contrast (45 at WCAG AA 4.5, all 60 at AAA 7,
/// rising linearly from ratio 1) and 40 for size (median line height from
/// 1% to 4% of the image height; below 1% text is fine print at feed
/// viewing sizes).
fn readability(contrast: f64, height_share: f64) -> f64 {
    let c = if contrast >= 7.0 {
        1.0
    } else if contrast >= 4.5 {
        0.75 + 0.25 * (contrast - 4.5) / 2.5
    } else {
        0.75 * (contrast - 1.0) / 3.5
    };
    let s = ((height_share - 0.01) / 0.03).clamp(0.0, 1.0);
    (100.0 * (0.6 * c.clamp(0.0, 1.0) + 0.4 * s)).clamp(0.0, 100.0)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    quantile(&mut v, 0.5)
}

/// Nearest-rank quantile (q in 0..1); 0 for an empty slice.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let idx = ((v.len() - 1) as f64 * q).round() as usize;
    v[idx.min(v.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readability_rewards_contrast_and_size() {
        assert!(readability(21.0, 0.05) > 99.9);
        assert!(readability(4.5, 0.05) > readability(3.0, 0.05));
        assert!(readability(7.0, 0.005) < readability(7.0, 0.03));
        assert_eq!(readability(1.0, 0.0), 0.0);
    }

    #[test]
    fn quantile_picks_nearest_rank() {
        let mut v = vec![5.0, 1.0, 3.0];
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert_eq!(quantile(&mut [], 0.5), 0.0);
    }

    #[test]
    fn glyphs_in_a_row_make_one_line() {
        let g = |x0: usize| Glyph {
            bbox: BBox {
                x0,
                y0: 10,
                x1: x0 + 8,
                y1: 22,
            },
            area: 40,
            stroke: 2.0,
        };
        let pass = Pass {
            polarity: Polarity::Dark,
            faint: false,
        };
        let lines = group_lines(&[g(0), g(10), g(20), g(200)], pass);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].bbox.x1, 28);
    }

    #[test]
    fn a_chain_wandering_down_a_texture_is_not_a_line() {
        // Each glyph links to the next (a 5 px drift on 12 px glyphs), but
        // the chain spans four glyph heights.
        let g = |k: usize| Glyph {
            bbox: BBox {
                x0: 10 * k,
                y0: 10 + 5 * k,
                x1: 10 * k + 8,
                y1: 22 + 5 * k,
            },
            area: 40,
            stroke: 2.0,
        };
        let pass = Pass {
            polarity: Polarity::Dark,
            faint: false,
        };
        let glyphs: Vec<Glyph> = (0..8).map(g).collect();
        assert!(group_lines(&glyphs, pass).is_empty());
        assert_eq!(group_lines(&glyphs[..2], pass).len(), 0, "too few glyphs");
    }

    fn line(bbox: BBox, ink: usize, faint: bool) -> Line {
        Line {
            bbox,
            ink,
            pass: Pass {
                polarity: Polarity::Dark,
                faint,
            },
        }
    }

    #[test]
    fn a_clear_line_wins_over_its_inkier_faint_copy() {
        let b = BBox {
            x0: 10,
            y0: 10,
            x1: 90,
            y1: 22,
        };
        let wider = BBox { x1: 92, ..b };
        let kept = deduplicate(vec![line(wider, 900, true), line(b, 600, false)]);
        assert_eq!(kept.len(), 1);
        assert!(!kept[0].pass.faint);
        assert_eq!(kept[0].bbox, b);
    }

    /// Bold black type filling 80% of its box on white: the ground comes
    /// from around the box, so the strokes still read 21:1 (with the box's
    /// own median as ground, the median is ink and nothing is stroke).
    #[test]
    fn bold_type_that_fills_its_box_keeps_its_contrast() {
        let (w, h) = (120usize, 60usize);
        let bbox = BBox {
            x0: 20,
            y0: 20,
            x1: 100,
            y1: 40,
        };
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                let inside = (bbox.x0..bbox.x1).contains(&x) && (bbox.y0..bbox.y1).contains(&y);
                let ink = inside && !(x - bbox.x0).is_multiple_of(5);
                [if ink { 0 } else { 255 }; 3]
            })
            .collect();
        let full = Canonical::from_rgb8(w as u32, h as u32, rgb).expect("an image");
        let small = SmallImage {
            w,
            h,
            rgb: Vec::new(),
        };
        let c = stroke_contrast(&line(bbox, 1280, false), &small, &full);
        assert!((c - 21.0).abs() < 1e-9, "{c}");
    }
}
