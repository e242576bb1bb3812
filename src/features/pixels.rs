//! One pass over the full-resolution canonical pixels collecting every
//! global statistic (FEATURES.md "Pixel statistics" plus the hue histogram
//! for `hue_count` and `scheme_fit`).
//!
//! Brightness, contrast and colorfulness are linear in R, G, B, so their
//! means and variances follow from the first and second moments of the
//! channels; for 8-bit input those moments are exact integer sums. Grey
//! images reduce to a 256-bin histogram.

use rayon::prelude::*;

use super::decode::{composite8, Canonical, Pixels};
use super::lab::{lab_block, lab_block_weighted, lab_from_xyz_exact, xyz8_exact, LabSums, Tables};
use super::Threads;

/// Rows per work unit. Fixed, so the summation order (and therefore every
/// bit of the result) is the same whether or not the chunks run in parallel.
const ROWS_PER_CHUNK: usize = 64;
/// Below this many pixels a second thread costs more than it saves. At 2
/// megapixels, a 1080x1080 photograph's statistics were one job, and its
/// features took 46 ms on 2 threads; split, so that the thread done first
/// with the working image's stages takes the last chunks, 42 ms.
const PARALLEL_MIN_PIXELS: usize = 1 << 19;
/// Pixels per vectorised Lab block.
const BLOCK: usize = 256;
/// Hue bins of Ke et al. (2006).
pub(super) const HUE_BINS: usize = 20;
/// Histogram copies written round-robin: neighbouring pixels usually fall
/// in the same bin, and one counter would serialise on its own increments.
const HIST_LANES: usize = 4;

/// BT.601 luma weights, applied in this order as the reference does.
const WR: f64 = 0.299;
const WG: f64 = 0.587;
const WB: f64 = 0.114;

/// Raw sums over the pixels of one chunk (or the whole image).
#[derive(Clone, Debug)]
pub(super) struct Sums {
    n: u64,
    /// Σ R, Σ G, Σ B.
    m1: [f64; 3],
    /// Σ RR, Σ GG, Σ BB, Σ RG, Σ RB, Σ GB.
    m2: [f64; 6],
    grey_hist: [[u64; 256]; HIST_LANES],
    /// One extra slot per lane collects the pixels that do not count.
    hue_hist: [[u64; HUE_BINS + 1]; HIST_LANES],
    sat: f64,
    sat2: f64,
    lab: LabSums,
}

impl Default for Sums {
    fn default() -> Self {
        Self {
            n: 0,
            m1: [0.0; 3],
            m2: [0.0; 6],
            grey_hist: [[0; 256]; HIST_LANES],
            hue_hist: [[0; HUE_BINS + 1]; HIST_LANES],
            sat: 0.0,
            sat2: 0.0,
            lab: LabSums::default(),
        }
    }
}

impl Sums {
    fn merge(&mut self, o: &Sums) {
        self.n += o.n;
        for i in 0..3 {
            self.m1[i] += o.m1[i];
        }
        for i in 0..6 {
            self.m2[i] += o.m2[i];
        }
        for (mine, theirs) in self.grey_hist.iter_mut().zip(&o.grey_hist) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (mine, theirs) in self.hue_hist.iter_mut().zip(&o.hue_hist) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        self.sat += o.sat;
        self.sat2 += o.sat2;
        self.lab.add(&o.lab);
    }
}

/// The global statistics of FEATURES.md, ready to store.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct GlobalStats {
    pub brightness: f64,
    pub contrast_rms: f64,
    pub grey_entropy: f64,
    pub saturation_mean: f64,
    pub saturation_std: f64,
    pub colorfulness: f64,
    pub lab_l_mean: f64,
    pub lab_a_mean: f64,
    pub lab_b_mean: f64,
    pub lab_l_std: f64,
    pub hue_hist: [u64; HUE_BINS],
}

/// Runs the single statistics pass over `img`; with [`Threads::Pool`] a
/// large image is split over rayon's pool.
pub(super) fn global_stats(img: &Canonical, threads: Threads) -> GlobalStats {
    let sums = match img.storage() {
        Pixels::Grey8(p) => grey_sums(p),
        _ => chunked_sums(img, threads),
    };
    finish(&sums)
}

fn chunked_sums(img: &Canonical, threads: Threads) -> Sums {
    let h = img.height() as usize;
    let w = img.width() as usize;
    let chunks: Vec<usize> = (0..h).step_by(ROWS_PER_CHUNK).collect();
    let run = |&y0: &usize| chunk_sums(img, y0, (y0 + ROWS_PER_CHUNK).min(h));
    let parts: Vec<Sums> = if threads == Threads::Pool && w * h >= PARALLEL_MIN_PIXELS {
        chunks.par_iter().map(run).collect()
    } else {
        chunks.iter().map(run).collect()
    };
    let mut total = Sums::default();
    for p in &parts {
        total.merge(p);
    }
    total
}

/// The sums of rows `y0..y1`. A release build targets the x86-64 baseline,
/// whose vectors are 4 floats wide and lack byte minimum and maximum; on a
/// CPU with AVX2 the same code is compiled for it as well and taken, which
/// took a 1080x1080 photograph's statistics from 18 to 15 ms.
fn chunk_sums(img: &Canonical, y0: usize, y1: usize) -> Sums {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked.
        return unsafe { chunk_sums_avx2(img, y0, y1) };
    }
    chunk_sums_any(img, y0, y1)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn chunk_sums_avx2(img: &Canonical, y0: usize, y1: usize) -> Sums {
    chunk_sums_any(img, y0, y1)
}

#[inline(always)]
fn chunk_sums_any(img: &Canonical, y0: usize, y1: usize) -> Sums {
    let w = img.width() as usize;
    let mut sums = Sums::default();
    let mut scratch = Scratch::default();
    match img.storage() {
        Pixels::Rgb8(p) => {
            for y in y0..y1 {
                rgb8_row(&p[3 * y * w..3 * (y + 1) * w], &mut sums, &mut scratch);
            }
        }
        Pixels::Rgba8(p) => {
            for y in y0..y1 {
                rgba8_row(&p[4 * y * w..4 * (y + 1) * w], &mut sums, &mut scratch);
            }
        }
        _ => {
            let mut row = vec![[0f32; 3]; w];
            for y in y0..y1 {
                img.row_f32(y, &mut row);
                float_row(&row, &mut sums, &mut scratch);
            }
        }
    }
    sums
}

/// Per-thread buffers for the Lab block (normalised X, Y, Z columns, and
/// the pixels each entry stands for on the run-length path).
struct Scratch {
    tx: [f32; BLOCK],
    ty: [f32; BLOCK],
    tz: [f32; BLOCK],
    weight: [f32; BLOCK],
    columns: Columns,
}

impl Default for Scratch {
    fn default() -> Self {
        Self {
            tx: [0.0; BLOCK],
            ty: [0.0; BLOCK],
            tz: [0.0; BLOCK],
            weight: [0.0; BLOCK],
            columns: Columns {
                r: [0; BLOCK],
                g: [0; BLOCK],
                b: [0; BLOCK],
                grey: [0; BLOCK],
                hue: [0; BLOCK],
                sat: [0.0; BLOCK],
            },
        }
    }
}

/// A block of 8-bit pixels as channel columns, with each pixel's luma
/// bin, hue slot and saturation.
struct Columns {
    r: [u8; BLOCK],
    g: [u8; BLOCK],
    b: [u8; BLOCK],
    grey: [u8; BLOCK],
    hue: [u8; BLOCK],
    sat: [f32; BLOCK],
}

/// 8-bit lookup tables for the hot loop.
struct Luts {
    /// `0.299 * v`, `0.587 * v`, `0.114 * v` exactly as f64 products.
    y: [[f64; 256]; 3],
    /// `1 / v` (0 for v = 0) for the HSV saturation.
    inv: [f32; 256],
}

/// `luts().inv[v]`, computed: a table lookup per pixel would not run
/// several pixels at a time. An f32 division rounds to the same value as
/// the table's f64 one narrowed, for every `v` (`inverse_is_the_table`),
/// with twice the lanes of an f64 one.
#[inline(always)]
fn inverse(v: u8) -> f32 {
    if v == 0 {
        0.0
    } else {
        1.0 / f32::from(v)
    }
}

fn luts() -> &'static Luts {
    static L: std::sync::OnceLock<Luts> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        let mut y = [[0f64; 256]; 3];
        let mut inv = [0f32; 256];
        for v in 0..256 {
            let f = v as f64;
            y[0][v] = WR * f;
            y[1][v] = WG * f;
            y[2][v] = WB * f;
            inv[v] = if v == 0 { 0.0 } else { (1.0 / f) as f32 };
        }
        Luts { y, inv }
    })
}

/// `floor(Y + 0.5)` of an 8-bit pixel in exact integer arithmetic
/// (Y·1000 = 299 R + 587 G + 114 B). Only exact .5 ties go through the f64
/// expression, where the reference's rounding of the products decides.
#[inline(always)]
fn grey_bin8(l: &Luts, r: usize, g: usize, b: usize) -> u8 {
    let y1000 = 299 * r + 587 * g + 114 * b + 500;
    let bin = y1000 / 1000;
    if bin * 1000 == y1000 {
        grey_bin(l.y[0][r] + l.y[1][g] + l.y[2][b])
    } else {
        // At most (255 * 1000 + 500) / 1000 = 255.
        bin as u8
    }
}

/// `floor(Y + 0.5)` for Y >= 0: the saturating cast truncates and clamps.
#[inline(always)]
fn grey_bin(y: f64) -> u8 {
    (y + 0.5) as u8
}

/// Slot in the hue histogram: the Ke et al. bin (0..20) of a pixel that
/// passes their gates (S > 0.2, 0.15 < V < 0.95), or the discard slot
/// [`HUE_BINS`]. Selects rather than early returns: the gates flip
/// unpredictably between neighbouring pixels of a photograph.
/// `inv_d` is `1 / (max - min)` (0 for a grey pixel).
#[inline(always)]
fn hue_slot(rgb: [f32; 3], max: f32, sat: f32, inv_d: f32) -> usize {
    let [r, g, b] = rgb;
    let (num, offset) = if max == r {
        (g - b, 0.0)
    } else if max == g {
        (b - r, 2.0)
    } else {
        (r - g, 4.0)
    };
    let mut h = num * inv_d + offset;
    if h < 0.0 {
        h += 6.0;
    }
    // 6 hue sextants onto 20 bins of 18 degrees.
    let bin = ((h * (HUE_BINS as f32 / 6.0)) as usize).min(HUE_BINS - 1);
    let counted = sat > 0.2 && max > 0.15 * 255.0 && max < 0.95 * 255.0;
    if counted {
        bin
    } else {
        HUE_BINS
    }
}

/// Exact first and second channel moments of 8-bit pixels.
#[derive(Default)]
struct Moments8 {
    m1: [u64; 3],
    m2: [u64; 6],
}

impl Moments8 {
    /// `count` equal pixels (a constant 1 on the per-pixel path).
    #[inline(always)]
    fn add(&mut self, r: u64, g: u64, b: u64, count: u64) {
        self.m1[0] += r * count;
        self.m1[1] += g * count;
        self.m1[2] += b * count;
        self.m2[0] += r * r * count;
        self.m2[1] += g * g * count;
        self.m2[2] += b * b * count;
        self.m2[3] += r * g * count;
        self.m2[4] += r * b * count;
        self.m2[5] += g * b * count;
    }

    fn add_to(&self, sums: &mut Sums) {
        for (acc, &v) in sums.m1.iter_mut().zip(&self.m1) {
            *acc += v as f64;
        }
        for (acc, &v) in sums.m2.iter_mut().zip(&self.m2) {
            *acc += v as f64;
        }
    }
}

impl Sums {
    /// Hue histogram entry for one pixel.
    #[inline(always)]
    fn add_hue(&mut self, lane: usize, rgb: [f32; 3], max: f32, sat: f32, inv_d: f32, count: u64) {
        self.hue_hist[lane][hue_slot(rgb, max, sat, inv_d)] += count;
    }
}

/// Per-row accumulators, kept in registers: summing into [`Sums`] per
/// pixel would round-trip memory (it aliases the histograms written
/// alongside).
#[derive(Default)]
struct RowAcc {
    /// Exact moments of the 8-bit pixels.
    moments: Moments8,
    /// Moments of the pixels with fractional values (composited, 16-bit).
    m1: [f64; 3],
    m2: [f64; 6],
    sat: f64,
    sat2: f64,
}

impl RowAcc {
    fn add_to(&self, sums: &mut Sums, pixels: usize) {
        sums.n += pixels as u64;
        sums.sat += self.sat;
        sums.sat2 += self.sat2;
        self.moments.add_to(sums);
        for (acc, v) in sums.m1.iter_mut().zip(self.m1) {
            *acc += v;
        }
        for (acc, v) in sums.m2.iter_mut().zip(self.m2) {
            *acc += v;
        }
    }
}

/// `count` equal 8-bit pixels at block position `i`: integer moments,
/// table-driven luma bin, saturation, hue slot and normalised XYZ for the
/// Lab block. The per-pixel path passes a constant 1, which folds away.
#[inline(always)]
fn pixel8(px: [u8; 3], count: u32, i: usize, acc: &mut RowAcc, sums: &mut Sums, s: &mut Scratch) {
    let t = Tables::get();
    let l = luts();
    let (r, g, b) = (usize::from(px[0]), usize::from(px[1]), usize::from(px[2]));
    let n = u64::from(count);
    acc.moments.add(r as u64, g as u64, b as u64, n);
    let lane = i % HIST_LANES;
    sums.grey_hist[lane][usize::from(grey_bin8(l, r, g, b))] += n;
    let max = px[0].max(px[1]).max(px[2]);
    let min = px[0].min(px[1]).min(px[2]);
    let sat = f32::from(max - min) * l.inv[usize::from(max)];
    acc.sat += f64::from(sat) * f64::from(count);
    acc.sat2 += f64::from(sat * sat) * f64::from(count);
    sums.add_hue(
        lane,
        px.map(f32::from),
        f32::from(max),
        sat,
        l.inv[usize::from(max - min)],
        n,
    );
    s.tx[i] = t.xyz8[0][0][r] + t.xyz8[0][1][g] + t.xyz8[0][2][b];
    s.ty[i] = t.xyz8[1][0][r] + t.xyz8[1][1][g] + t.xyz8[1][2][b];
    s.tz[i] = t.xyz8[2][0][r] + t.xyz8[2][1][g] + t.xyz8[2][2][b];
}

/// `count` equal pixels with fractional values at block position `i`, in
/// floating point. A count of 1 gives the bits of adding the pixel alone
/// (a product by 1.0 is exact).
#[inline(always)]
fn pixel_f(
    rgb: [f32; 3],
    count: u32,
    i: usize,
    acc: &mut RowAcc,
    sums: &mut Sums,
    s: &mut Scratch,
) {
    let [r, g, b] = rgb;
    let (rd, gd, bd) = (f64::from(r), f64::from(g), f64::from(b));
    let c = f64::from(count);
    let (mut m1, mut m2) = ([0f64; 3], [0f64; 6]);
    add_moments(&mut m1, &mut m2, [rd, gd, bd]);
    for (acc, v) in acc.m1.iter_mut().zip(m1) {
        *acc += v * c;
    }
    for (acc, v) in acc.m2.iter_mut().zip(m2) {
        *acc += v * c;
    }
    let lane = i % HIST_LANES;
    sums.grey_hist[lane][usize::from(grey_bin(WR * rd + WG * gd + WB * bd))] += u64::from(count);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let sat = if max > 0.0 { (max - min) / max } else { 0.0 };
    acc.sat += f64::from(sat) * c;
    acc.sat2 += f64::from(sat * sat) * c;
    let inv_d = if max > min { 1.0 / (max - min) } else { 0.0 };
    sums.add_hue(lane, rgb, max, sat, inv_d, u64::from(count));
    let [x, y, z] = Tables::get().xyz_f32(rgb);
    s.tx[i] = x;
    s.ty[i] = y;
    s.tz[i] = z;
}

/// An 8-bit RGB row: pixel by pixel, or run by run when it has at most
/// half as many runs of equal pixels as pixels (the flat fills of a
/// designed graphic; photographs almost never).
#[inline(always)]
fn rgb8_row(row: &[u8], sums: &mut Sums, s: &mut Scratch) {
    if is_run_heavy::<3>(row) {
        runs_row::<3>(row, sums, s, rgb8_entry);
    } else {
        rgb8_pixels_row(row, sums, s);
    }
}

/// At most half as many runs as pixels (of `N` bytes). Stops at the change
/// that rules the run path out, so a photograph's row is scanned about
/// halfway, not twice.
#[inline(always)]
fn is_run_heavy<const N: usize>(row: &[u8]) -> bool {
    let pixels = row.len() / N;
    if pixels < 2 {
        return false;
    }
    let max_changes = pixels / 2 - 1;
    let mut changes = 0;
    for (a, b) in row.chunks_exact(N).zip(row.chunks_exact(N).skip(1)) {
        if a != b {
            changes += 1;
            if changes > max_changes {
                return false;
            }
        }
    }
    true
}

/// The hot loop for 8-bit RGB: what [`pixel8`] does pixel by pixel, as
/// simple loops over a block's channel columns that the compiler runs
/// eight pixels at a time. The sums are the same to the bit: the integer
/// ones are exact in any order, and the saturation's floating-point sums
/// still add pixel after pixel. Lab runs per block on the XYZ columns.
#[inline(always)]
fn rgb8_pixels_row(row: &[u8], sums: &mut Sums, s: &mut Scratch) {
    let mut acc = RowAcc::default();
    let t = Tables::get();
    let l = luts();
    for block in row.chunks(3 * BLOCK) {
        let n = block.len() / 3;
        let c = &mut s.columns;
        for (i, px) in block.chunks_exact(3).enumerate() {
            (c.r[i], c.g[i], c.b[i]) = (px[0], px[1], px[2]);
        }
        let (r, g, b) = (&c.r[..n], &c.g[..n], &c.b[..n]);
        // At most 256 * 255 * 255 in a block: u32 holds them.
        let (mut m1, mut m2) = ([0u32; 3], [0u32; 6]);
        for i in 0..n {
            add_moments(&mut m1, &mut m2, [r[i], g[i], b[i]].map(u32::from));
        }
        for (acc, v) in acc.moments.m1.iter_mut().zip(m1) {
            *acc += u64::from(v);
        }
        for (acc, v) in acc.moments.m2.iter_mut().zip(m2) {
            *acc += u64::from(v);
        }
        // Luma bins in integers, with the rare exact .5 tie flagged for
        // `grey_bin8`'s floating-point rule.
        let mut ties = false;
        for i in 0..n {
            let y1000 = 299 * u32::from(r[i]) + 587 * u32::from(g[i]) + 114 * u32::from(b[i]) + 500;
            let bin = y1000 / 1000;
            ties |= bin * 1000 == y1000;
            c.grey[i] = bin as u8;
        }
        if ties {
            for i in 0..n {
                let (r, g, b) = (usize::from(r[i]), usize::from(g[i]), usize::from(b[i]));
                c.grey[i] = grey_bin8(l, r, g, b);
            }
        }
        for i in 0..n {
            let max = r[i].max(g[i]).max(b[i]);
            let min = r[i].min(g[i]).min(b[i]);
            let sat = f32::from(max - min) * inverse(max);
            c.sat[i] = sat;
            c.hue[i] = hue_slot(
                [r[i], g[i], b[i]].map(f32::from),
                f32::from(max),
                sat,
                inverse(max - min),
            ) as u8;
        }
        for i in 0..n {
            let lane = i % HIST_LANES;
            sums.grey_hist[lane][usize::from(c.grey[i])] += 1;
            sums.hue_hist[lane][usize::from(c.hue[i])] += 1;
        }
        for &sat in &c.sat[..n] {
            acc.sat += f64::from(sat);
            acc.sat2 += f64::from(sat * sat);
        }
        for i in 0..n {
            let (r, g, b) = (usize::from(r[i]), usize::from(g[i]), usize::from(b[i]));
            s.tx[i] = t.xyz8[0][0][r] + t.xyz8[0][1][g] + t.xyz8[0][2][b];
            s.ty[i] = t.xyz8[1][0][r] + t.xyz8[1][1][g] + t.xyz8[1][2][b];
            s.tz[i] = t.xyz8[2][0][r] + t.xyz8[2][1][g] + t.xyz8[2][2][b];
        }
        sums.lab.add(&lab_block(&s.tx[..n], &s.ty[..n], &s.tz[..n]));
    }
    acc.add_to(sums, row.len() / 3);
}

/// One entry per run of equal pixels of `N` bytes, weighted by its
/// length: `entry` sums a run (its pixel, length and block position) as
/// that many pixels. Every sum is the per-pixel path's (integer ones
/// exactly).
#[inline(always)]
fn runs_row<const N: usize>(
    row: &[u8],
    sums: &mut Sums,
    s: &mut Scratch,
    entry: impl Fn(&[u8], u32, usize, &mut RowAcc, &mut Sums, &mut Scratch),
) {
    let mut acc = RowAcc::default();
    let mut pixels = row.chunks_exact(N);
    let Some(mut current) = pixels.next() else {
        return;
    };
    let mut count = 1u32;
    let mut n = 0;
    let mut add = |px: &[u8], count: u32, acc: &mut RowAcc, sums: &mut Sums| {
        entry(px, count, n, acc, sums, s);
        s.weight[n] = count as f32;
        n += 1;
        if n == BLOCK {
            sums.lab
                .add(&lab_block_weighted(&s.tx, &s.ty, &s.tz, &s.weight));
            n = 0;
        }
    };
    for px in pixels {
        if px == current {
            count += 1;
        } else {
            add(current, count, &mut acc, sums);
            (current, count) = (px, 1);
        }
    }
    add(current, count, &mut acc, sums);
    if n > 0 {
        sums.lab
            .add(&lab_block_weighted(&s.tx, &s.ty, &s.tz, &s.weight[..n]));
    }
    acc.add_to(sums, row.len() / N);
}

/// `count` equal 8-bit RGB pixels.
#[inline(always)]
fn rgb8_entry(px: &[u8], count: u32, i: usize, acc: &mut RowAcc, sums: &mut Sums, s: &mut Scratch) {
    pixel8([px[0], px[1], px[2]], count, i, acc, sums, s);
}

/// An 8-bit RGBA row: pixel by pixel, or run by run when it has at most
/// half as many runs as pixels (an illustration's clear ground and flat
/// fills), as [`rgb8_row`].
#[inline(always)]
fn rgba8_row(row: &[u8], sums: &mut Sums, s: &mut Scratch) {
    if is_run_heavy::<4>(row) {
        runs_row::<4>(row, sums, s, rgba8_entry);
    } else {
        rgba8_pixels_row(row, sums, s);
    }
}

#[inline(always)]
fn rgba8_pixels_row(row: &[u8], sums: &mut Sums, s: &mut Scratch) {
    let mut acc = RowAcc::default();
    for block in row.chunks(4 * BLOCK) {
        let n = block.len() / 4;
        for (i, px) in block.chunks_exact(4).enumerate() {
            rgba8_entry(px, 1, i, &mut acc, sums, s);
        }
        sums.lab.add(&lab_block(&s.tx[..n], &s.ty[..n], &s.tz[..n]));
    }
    acc.add_to(sums, row.len() / 4);
}

/// `count` equal 8-bit RGBA pixels: opaque and fully transparent ones
/// (their composite over white is exact in 8 bits) take the integer path,
/// the partly transparent rim of a cut-out the floating-point one.
#[inline(always)]
fn rgba8_entry(
    px: &[u8],
    count: u32,
    i: usize,
    acc: &mut RowAcc,
    sums: &mut Sums,
    s: &mut Scratch,
) {
    match px[3] {
        255 => pixel8([px[0], px[1], px[2]], count, i, acc, sums, s),
        0 => pixel8([255; 3], count, i, acc, sums, s),
        _ => pixel_f(composite8(px), count, i, acc, sums, s),
    }
}

/// The general path for 16-bit or float pixels.
fn float_row(row: &[[f32; 3]], sums: &mut Sums, s: &mut Scratch) {
    let mut acc = RowAcc::default();
    for block in row.chunks(BLOCK) {
        for (i, &rgb) in block.iter().enumerate() {
            pixel_f(rgb, 1, i, &mut acc, sums, s);
        }
        let n = block.len();
        sums.lab.add(&lab_block(&s.tx[..n], &s.ty[..n], &s.tz[..n]));
    }
    acc.add_to(sums, row.len());
}

/// Raw first and second moments of one pixel.
#[inline(always)]
fn add_moments<T>(m1: &mut [T; 3], m2: &mut [T; 6], [r, g, b]: [T; 3])
where
    T: Copy + std::ops::AddAssign + std::ops::Mul<Output = T>,
{
    m1[0] += r;
    m1[1] += g;
    m1[2] += b;
    m2[0] += r * r;
    m2[1] += g * g;
    m2[2] += b * b;
    m2[3] += r * g;
    m2[4] += r * b;
    m2[5] += g * b;
}

/// Grey images: every statistic is a function of the value, so a histogram
/// is all the pass needs.
fn grey_sums(p: &[u8]) -> Sums {
    // Four interleaved histograms avoid the store-to-load stall when runs of
    // equal values hit the same counter back to back.
    let mut h4 = [[0u64; 256]; 4];
    let mut chunks = p.chunks_exact(4);
    for c in &mut chunks {
        h4[0][c[0] as usize] += 1;
        h4[1][c[1] as usize] += 1;
        h4[2][c[2] as usize] += 1;
        h4[3][c[3] as usize] += 1;
    }
    for &v in chunks.remainder() {
        h4[0][v as usize] += 1;
    }
    let mut sums = Sums::default();
    for v in 0..=255u8 {
        let c: u64 = h4.iter().map(|h| h[usize::from(v)]).sum();
        if c == 0 {
            continue;
        }
        let cf = c as f64;
        let f = f64::from(v);
        sums.n += c;
        sums.m1.iter_mut().for_each(|m| *m += cf * f);
        sums.m2.iter_mut().for_each(|m| *m += cf * f * f);
        sums.grey_hist[0][usize::from(grey_bin(WR * f + WG * f + WB * f))] += c;
        let lab = lab_from_xyz_exact(xyz8_exact([v; 3]));
        sums.lab.l += cf * lab[0];
        sums.lab.l2 += cf * lab[0] * lab[0];
        sums.lab.a += cf * lab[1];
        sums.lab.b += cf * lab[2];
    }
    sums
}

fn finish(s: &Sums) -> GlobalStats {
    if s.n == 0 {
        return GlobalStats::default();
    }
    let n = s.n as f64;
    let [sr, sg, sb] = s.m1.map(|v| v / n);
    let [rr, gg, bb, rg, rb, gb] = s.m2.map(|v| v / n);
    // Mean and variance of a linear form c·(R,G,B) from the moments.
    let linear = |c: [f64; 3]| {
        let mean = c[0] * sr + c[1] * sg + c[2] * sb;
        let sq = c[0] * c[0] * rr
            + c[1] * c[1] * gg
            + c[2] * c[2] * bb
            + 2.0 * (c[0] * c[1] * rg + c[0] * c[2] * rb + c[1] * c[2] * gb);
        (mean, (sq - mean * mean).max(0.0))
    };
    let (y_mean, y_var) = linear([WR, WG, WB]);
    let (rg_mean, rg_var) = linear([1.0, -1.0, 0.0]);
    let (yb_mean, yb_var) = linear([0.5, 0.5, -1.0]);
    let sat_mean = s.sat / n;
    let l_mean = s.lab.l / n;
    GlobalStats {
        brightness: y_mean / 255.0,
        contrast_rms: y_var.sqrt() / 255.0,
        grey_entropy: entropy(&fold_lanes(&s.grey_hist), s.n),
        saturation_mean: sat_mean,
        saturation_std: (s.sat2 / n - sat_mean * sat_mean).max(0.0).sqrt(),
        colorfulness: (rg_var + yb_var).sqrt()
            + 0.3 * (rg_mean * rg_mean + yb_mean * yb_mean).sqrt(),
        lab_l_mean: l_mean,
        lab_a_mean: s.lab.a / n,
        lab_b_mean: s.lab.b / n,
        lab_l_std: (s.lab.l2 / n - l_mean * l_mean).max(0.0).sqrt(),
        hue_hist: counted_hues(&fold_lanes(&s.hue_hist)),
    }
}

fn fold_lanes<const N: usize>(lanes: &[[u64; N]; HIST_LANES]) -> [u64; N] {
    let mut out = [0u64; N];
    for lane in lanes {
        for (o, v) in out.iter_mut().zip(lane) {
            *o += v;
        }
    }
    out
}

/// The hue histogram without its discard slot.
fn counted_hues(slots: &[u64; HUE_BINS + 1]) -> [u64; HUE_BINS] {
    let mut out = [0u64; HUE_BINS];
    out.copy_from_slice(&slots[..HUE_BINS]);
    out
}

fn entropy(hist: &[u64; 256], n: u64) -> f64 {
    let n = n as f64;
    hist.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::lab::rgb_to_lab;
    use super::*;

    #[test]
    fn inverse_is_the_table() {
        for v in 0..=255u8 {
            assert_eq!(
                inverse(v).to_bits(),
                luts().inv[usize::from(v)].to_bits(),
                "1/{v}"
            );
        }
    }

    /// A plain f64 implementation of the definitions, for comparison.
    fn naive(px: &[[f64; 3]]) -> [f64; 9] {
        let n = px.len() as f64;
        let mean = |f: &dyn Fn(&[f64; 3]) -> f64| px.iter().map(f).sum::<f64>() / n;
        let std = |f: &dyn Fn(&[f64; 3]) -> f64| {
            let m = mean(f);
            (px.iter().map(|p| (f(p) - m).powi(2)).sum::<f64>() / n).sqrt()
        };
        let y = |p: &[f64; 3]| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        let sat = |p: &[f64; 3]| {
            let (mx, mn) = (p[0].max(p[1]).max(p[2]), p[0].min(p[1]).min(p[2]));
            if mx > 0.0 {
                (mx - mn) / mx
            } else {
                0.0
            }
        };
        let rg = |p: &[f64; 3]| p[0] - p[1];
        let yb = |p: &[f64; 3]| 0.5 * (p[0] + p[1]) - p[2];
        let lab = |k: usize| move |p: &[f64; 3]| rgb_to_lab(*p)[k];
        [
            mean(&y) / 255.0,
            std(&y) / 255.0,
            mean(&sat),
            std(&sat),
            (std(&rg).powi(2) + std(&yb).powi(2)).sqrt()
                + 0.3 * (mean(&rg).powi(2) + mean(&yb).powi(2)).sqrt(),
            mean(&lab(0)),
            mean(&lab(1)),
            mean(&lab(2)),
            std(&lab(0)),
        ]
    }

    fn as_array(g: &GlobalStats) -> [f64; 9] {
        [
            g.brightness,
            g.contrast_rms,
            g.saturation_mean,
            g.saturation_std,
            g.colorfulness,
            g.lab_l_mean,
            g.lab_a_mean,
            g.lab_b_mean,
            g.lab_l_std,
        ]
    }

    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 56) as u8
            })
            .collect()
    }

    fn assert_close(a: [f64; 9], b: [f64; 9], tol: f64) {
        for (k, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() < tol, "stat {k}: {x} vs {y}");
        }
    }

    #[test]
    fn rgb8_and_float_paths_match_the_definitions() {
        let (w, h) = (97u32, 53u32);
        let bytes = noise((w * h * 3) as usize, 42);
        let px: Vec<[f64; 3]> = bytes
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]].map(f64::from))
            .collect();
        let want = naive(&px);
        let rgb8 = Canonical::from_pixels(w, h, Pixels::Rgb8(bytes.clone()));
        let float = Canonical::from_pixels(
            w,
            h,
            Pixels::RgbF32(bytes.iter().map(|&v| f32::from(v)).collect()),
        );
        let a = global_stats(&rgb8, Threads::Pool);
        let b = global_stats(&float, Threads::Pool);
        assert_close(as_array(&a), want, 1e-4);
        assert_close(as_array(&b), want, 1e-4);
        assert_eq!(a.grey_entropy, b.grey_entropy);
        assert_eq!(a.hue_hist, b.hue_hist);
    }

    /// A designed graphic's rows: flat fills of random lengths, with a
    /// speck of noise now and then.
    fn flat_fills(w: usize, h: usize, seed: u64) -> Vec<u8> {
        let noise = noise(w * h * 4, seed);
        let mut out = Vec::with_capacity(w * h * 3);
        let mut k = 0;
        while out.len() < w * h * 3 {
            let colour = [noise[k], noise[k + 1], noise[k + 2]];
            let run = 1 + usize::from(noise[k + 3] % 64);
            k += 4;
            for _ in 0..run {
                out.extend_from_slice(&colour);
            }
        }
        out.truncate(w * h * 3);
        out
    }

    /// The grey and hue histograms, each with its round-robin copies added
    /// up: which copy a pixel lands in differs from path to path.
    fn histograms(s: &Sums) -> ([u64; 256], [u64; HUE_BINS + 1]) {
        (fold_lanes(&s.grey_hist), fold_lanes(&s.hue_hist))
    }

    /// The per-pixel path as it was written first: [`pixel8`] on each
    /// pixel in turn.
    fn rgb8_pixel_by_pixel(row: &[u8], sums: &mut Sums, s: &mut Scratch) {
        let mut acc = RowAcc::default();
        for block in row.chunks(3 * BLOCK) {
            let n = block.len() / 3;
            for (i, px) in block.chunks_exact(3).enumerate() {
                pixel8([px[0], px[1], px[2]], 1, i, &mut acc, sums, s);
            }
            sums.lab.add(&lab_block(&s.tx[..n], &s.ty[..n], &s.tz[..n]));
        }
        acc.add_to(sums, row.len() / 3);
    }

    #[test]
    fn column_path_sums_to_the_bits_of_pixel_by_pixel() {
        // Every grey, black and white, saturated primaries and pixels whose
        // luma is an exact .5 tie, then noise; a row of 700 pixels ends in
        // a partial block.
        let mut special: Vec<[u8; 3]> = (0..=255u8).map(|v| [v; 3]).collect();
        special.extend([
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [0, 0, 0],
            [255, 255, 255],
        ]);
        // Ties where the products' rounding in f64 puts Y below the .5.
        let l = luts();
        let ties: Vec<[u8; 3]> = (0..32usize)
            .flat_map(|r| (0..=255usize).flat_map(move |g| (0..=255usize).map(move |b| (r, g, b))))
            .filter(|&(r, g, b)| {
                let y1000 = 299 * r + 587 * g + 114 * b + 500;
                y1000 % 1000 == 0 && usize::from(grey_bin8(l, r, g, b)) != y1000 / 1000
            })
            .map(|(r, g, b)| [r as u8, g as u8, b as u8])
            .take(300)
            .collect();
        assert_eq!(ties.len(), 300);
        special.extend(ties);
        let mut bytes: Vec<u8> = special.iter().flatten().copied().collect();
        bytes.extend(noise(3 * 700 * 6, 3));
        bytes.truncate(bytes.len() / (3 * 700) * 3 * 700);
        let mut one_by_one = Sums::default();
        let mut scratch = Scratch::default();
        for row in bytes.chunks_exact(3 * 700) {
            assert!(!is_run_heavy::<3>(row));
            rgb8_pixel_by_pixel(row, &mut one_by_one, &mut scratch);
        }
        // Through the dispatch, so that the AVX2 build of the loops is the
        // one checked where the CPU has it.
        let rows = bytes.len() / (3 * 700);
        let img = Canonical::from_pixels(700, rows as u32, Pixels::Rgb8(bytes.clone()));
        let columns = chunk_sums(&img, 0, rows);
        assert_eq!(columns.n, one_by_one.n);
        assert_eq!((columns.m1, columns.m2), (one_by_one.m1, one_by_one.m2));
        assert_eq!(histograms(&columns), histograms(&one_by_one));
        assert_eq!(
            (columns.sat.to_bits(), columns.sat2.to_bits()),
            (one_by_one.sat.to_bits(), one_by_one.sat2.to_bits())
        );
        let lab = |l: &LabSums| [l.l, l.l2, l.a, l.b].map(f64::to_bits);
        assert_eq!(lab(&columns.lab), lab(&one_by_one.lab));
    }

    type Entry = fn(&[u8], u32, usize, &mut RowAcc, &mut Sums, &mut Scratch);
    type PixelsRow = fn(&[u8], &mut Sums, &mut Scratch);

    /// Sums the rows of `bytes` (`w` pixels of `N` bytes each) run by run
    /// and pixel by pixel, and checks the run path against the other:
    /// integer sums equal, floating-point ones within a millionth. Returns
    /// the run path's sums.
    fn assert_runs_sum_what_pixels_do<const N: usize>(
        bytes: &[u8],
        w: usize,
        entry: Entry,
        pixels_row: PixelsRow,
    ) -> Sums {
        let (mut runs, mut pixels) = (Sums::default(), Sums::default());
        let mut scratch = Scratch::default();
        for row in bytes.chunks_exact(N * w) {
            assert!(is_run_heavy::<N>(row));
            runs_row::<N>(row, &mut runs, &mut scratch, entry);
            pixels_row(row, &mut pixels, &mut scratch);
        }
        assert_eq!(runs.n, pixels.n);
        assert_eq!((runs.m1, runs.m2), (pixels.m1, pixels.m2));
        assert_eq!(histograms(&runs), histograms(&pixels));
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1.0);
        for (a, b) in [
            (runs.sat, pixels.sat),
            (runs.sat2, pixels.sat2),
            (runs.lab.l, pixels.lab.l),
            (runs.lab.l2, pixels.lab.l2),
            (runs.lab.a, pixels.lab.a),
            (runs.lab.b, pixels.lab.b),
        ] {
            assert!(rel(a, b) < 1e-6, "{a} vs {b}");
        }
        runs
    }

    #[test]
    fn run_length_path_sums_what_the_pixel_path_sums() {
        let (w, h) = (1080usize, 24usize);
        let bytes = flat_fills(w, h, 5);
        assert_runs_sum_what_pixels_do::<3>(&bytes, w, rgb8_entry, rgb8_pixels_row);
        // Photographs keep the per-pixel path.
        assert!(!is_run_heavy::<3>(&noise(3 * w, 9)));
        // The bound: 10 pixels in 5 runs take the run path, in 6 runs not.
        let runs_of = |lengths: &[usize]| -> Vec<u8> {
            lengths
                .iter()
                .enumerate()
                .flat_map(|(k, &n)| std::iter::repeat_n([k as u8; 3], n).flatten())
                .collect()
        };
        assert!(is_run_heavy::<3>(&runs_of(&[2, 2, 2, 2, 2])));
        assert!(!is_run_heavy::<3>(&runs_of(&[2, 2, 2, 2, 1, 1])));
        assert!(!is_run_heavy::<3>(&runs_of(&[1])));
        // And through the whole pass, the definitions.
        let px: Vec<[f64; 3]> = bytes
            .chunks_exact(3)
            .map(|p| [p[0], p[1], p[2]].map(f64::from))
            .collect();
        let img = Canonical::from_pixels(w as u32, h as u32, Pixels::Rgb8(bytes));
        assert_close(
            as_array(&global_stats(&img, Threads::One)),
            naive(&px),
            1e-4,
        );
    }

    #[test]
    fn rgba8_path_matches_compositing_every_pixel() {
        let (w, h) = (83u32, 41u32);
        let mut bytes = noise((w * h * 4) as usize, 11);
        // Mostly opaque or clear, as a cut-out illustration, with a rim.
        for (i, px) in bytes.chunks_exact_mut(4).enumerate() {
            px[3] = match i % 7 {
                0..=2 => 255,
                3 | 4 => 0,
                _ => px[3],
            };
        }
        let composited: Vec<f32> = bytes.chunks_exact(4).flat_map(composite8).collect();
        let a = global_stats(
            &Canonical::from_pixels(w, h, Pixels::Rgba8(bytes)),
            Threads::One,
        );
        let b = global_stats(
            &Canonical::from_pixels(w, h, Pixels::RgbF32(composited)),
            Threads::One,
        );
        assert_close(as_array(&a), as_array(&b), 1e-5);
        assert_eq!(a.grey_entropy, b.grey_entropy);
        assert_eq!(a.hue_hist, b.hue_hist);
    }

    #[test]
    fn rgba_run_length_path_sums_what_the_pixel_path_sums() {
        // An illustration's rows: clear ground, flat fills, and runs of a
        // half-transparent rim.
        let (w, h) = (700usize, 24usize);
        let fills = flat_fills(w, h, 8);
        let mut bytes = Vec::with_capacity(w * h * 4);
        for (i, px) in fills.chunks_exact(3).enumerate() {
            let alpha = match (i % w) / 50 {
                0 | 1 => 0,
                5 => 96 + px[0] % 2,
                _ => 255,
            };
            bytes.extend_from_slice(&[px[0], px[1], px[2], alpha]);
        }
        let runs = assert_runs_sum_what_pixels_do::<4>(&bytes, w, rgba8_entry, rgba8_pixels_row);
        // The rim went through the floating-point moments.
        assert!(runs.m1[0].fract() != 0.0);
        // And through the whole pass, compositing every pixel first.
        let composited: Vec<f32> = bytes.chunks_exact(4).flat_map(composite8).collect();
        let img = Canonical::from_pixels(w as u32, h as u32, Pixels::Rgba8(bytes));
        let float = Canonical::from_pixels(w as u32, h as u32, Pixels::RgbF32(composited));
        assert_close(
            as_array(&global_stats(&img, Threads::One)),
            as_array(&global_stats(&float, Threads::One)),
            1e-5,
        );
        // A row of single pixels keeps the per-pixel path.
        assert!(!is_run_heavy::<4>(&noise(4 * w, 12)));
    }

    #[test]
    fn grey_histogram_path_matches_rgb_path() {
        let (w, h) = (64u32, 40u32);
        let grey = noise((w * h) as usize, 7);
        let rgb: Vec<u8> = grey.iter().flat_map(|&v| [v; 3]).collect();
        let a = global_stats(
            &Canonical::from_pixels(w, h, Pixels::Grey8(grey)),
            Threads::Pool,
        );
        let b = global_stats(
            &Canonical::from_pixels(w, h, Pixels::Rgb8(rgb)),
            Threads::Pool,
        );
        assert_close(as_array(&a), as_array(&b), 1e-4);
        assert_eq!(a.grey_entropy, b.grey_entropy);
    }

    #[test]
    fn large_images_give_identical_results_in_parallel() {
        let (w, h) = (2048u32, 1100u32);
        let bytes = noise((w * h * 3) as usize, 3);
        let img = Canonical::from_pixels(w, h, Pixels::Rgb8(bytes));
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let serial = one.install(|| global_stats(&img, Threads::Pool));
        assert_eq!(serial, global_stats(&img, Threads::Pool));
        assert_eq!(serial, global_stats(&img, Threads::One));
    }

    /// Thread CPU time in ns (Linux), so other load does not count.
    fn thread_cpu_ns() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    /// `cargo test --release --lib -- --ignored --nocapture stats_pass_throughput`
    #[test]
    #[ignore = "timing, run by hand in release"]
    fn stats_pass_throughput() {
        let (w, h) = (4000u32, 3000u32);
        // Smooth colour fields with mild noise, closer to a photograph than
        // white noise (whose random hue branches no real image has).
        let grain = noise((w * h * 3) as usize, 9);
        let bytes: Vec<u8> = (0..(w * h) as usize)
            .flat_map(|i| {
                let (x, y) = ((i % w as usize) as f32, (i / w as usize) as f32);
                let base = [
                    128.0 + 100.0 * (x / 300.0).sin(),
                    128.0 + 90.0 * (y / 250.0).cos(),
                    128.0 + 80.0 * ((x + y) / 400.0).sin(),
                ];
                let n = &grain[3 * i..3 * i + 3];
                [0, 1, 2].map(|c| (base[c] + f32::from(n[c] % 16) - 8.0).clamp(0.0, 255.0) as u8)
            })
            .collect();
        let img = Canonical::from_pixels(w, h, Pixels::Rgb8(bytes));
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let runs = 5;
        let (cpu, wall) = one.install(|| {
            let start = std::time::Instant::now();
            let cpu0 = thread_cpu_ns();
            for _ in 0..runs {
                std::hint::black_box(global_stats(&img, Threads::One));
            }
            let cpu = thread_cpu_ns()
                .zip(cpu0)
                .map(|(b, a)| (b - a) as f64 * 1e-9);
            (cpu, start.elapsed().as_secs_f64())
        });
        let mp = 12.0 * f64::from(runs);
        println!(
            "statistics pass, 8-bit RGB, one thread: {:.1} MP/s wall",
            mp / wall
        );
        if let Some(cpu) = cpu {
            println!(
                "statistics pass, 8-bit RGB, one thread: {:.1} MP/s CPU time",
                mp / cpu
            );
        }
    }
}
