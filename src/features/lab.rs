//! Colour-space arithmetic: sRGB transfer curve, CIELAB (D65, 2°) with the
//! constants of scikit-image's `rgb2lab`, WCAG luminance, HSV, and the fast
//! cube root used by the per-pixel pass.

use std::sync::OnceLock;

/// scikit-image's `xyz_from_rgb` matrix (sRGB primaries, D65).
const XYZ_FROM_RGB: [[f64; 3]; 3] = [
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
];
/// D65 2° white point used to normalise XYZ before the Lab non-linearity.
const WHITE: [f64; 3] = [0.95047, 1.0, 1.08883];
/// scikit-image uses these rounded CIE constants, not 216/24389 and 841/108.
const LAB_EPS: f64 = 0.008856;
const LAB_SLOPE: f64 = 7.787;
const LAB_OFFSET: f64 = 16.0 / 116.0;

/// Samples per unit of the 0..255 scale in the float linearisation table;
/// integers fall exactly on nodes, so 8-bit values come out exact.
const LIN_STEPS: usize = 16;

/// IEC 61966-2-1 decoding of one channel given on 0..1.
pub(super) fn srgb_to_linear(c: f64) -> f64 {
    if c > 0.04045 {
        ((c + 0.055) / 1.055).powf(2.4)
    } else {
        c / 12.92
    }
}

/// Inverse of [`srgb_to_linear`], returning 0..1.
pub(super) fn linear_to_srgb(l: f64) -> f64 {
    if l > 0.0031308 {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    } else {
        12.92 * l
    }
}

fn lab_f(t: f64) -> f64 {
    if t > LAB_EPS {
        t.cbrt()
    } else {
        LAB_SLOPE * t + LAB_OFFSET
    }
}

fn lab_f_inv(f: f64) -> f64 {
    let t = f * f * f;
    if t > LAB_EPS {
        t
    } else {
        (f - LAB_OFFSET) / LAB_SLOPE
    }
}

/// Exact (f64) sRGB 0..255 to CIELAB; the reference for the fast path.
pub(crate) fn rgb_to_lab(rgb: [f64; 3]) -> [f64; 3] {
    let lin = rgb.map(|c| srgb_to_linear(c / 255.0));
    let t: [f64; 3] = [0, 1, 2].map(|i| {
        let m = XYZ_FROM_RGB[i];
        (m[0] * lin[0] + m[1] * lin[1] + m[2] * lin[2]) / WHITE[i]
    });
    let f = t.map(lab_f);
    [
        116.0 * f[1] - 16.0,
        500.0 * (f[0] - f[1]),
        200.0 * (f[1] - f[2]),
    ]
}

/// CIELAB back to sRGB 0..255 (unclamped).
pub(crate) fn lab_to_rgb(lab: [f64; 3]) -> [f64; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let f = [fy + lab[1] / 500.0, fy, fy - lab[2] / 200.0];
    let xyz: [f64; 3] = [0, 1, 2].map(|i| lab_f_inv(f[i]) * WHITE[i]);
    let inv = invert3(XYZ_FROM_RGB);
    [0, 1, 2].map(|i| {
        let m = inv[i];
        let lin = m[0] * xyz[0] + m[1] * xyz[1] + m[2] * xyz[2];
        255.0 * linear_to_srgb(lin)
    })
}

fn invert3(m: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let c = |r: usize, k: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (k1, k2) = ((k + 1) % 3, (k + 2) % 3);
        m[r1][k1] * m[r2][k2] - m[r1][k2] * m[r2][k1]
    };
    let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2);
    // Transposed cofactors over the determinant.
    [0, 1, 2].map(|i| [0, 1, 2].map(|j| c(j, i) / det))
}

/// WCAG 2.x relative luminance of an sRGB 0..255 colour.
pub(super) fn relative_luminance(rgb: [f64; 3]) -> f64 {
    let l = rgb.map(|c| srgb_to_linear((c / 255.0).clamp(0.0, 1.0)));
    0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]
}

/// WCAG contrast ratio (1..21) between two relative luminances.
pub(super) fn contrast_ratio(l1: f64, l2: f64) -> f64 {
    let (hi, lo) = if l1 >= l2 { (l1, l2) } else { (l2, l1) };
    (hi + 0.05) / (lo + 0.05)
}

/// HSV hue in degrees (0..360) and saturation (0..1) of an RGB colour.
pub(super) fn hue_saturation(rgb: [f64; 3]) -> (f64, f64) {
    let [r, g, b] = rgb;
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let d = max - min;
    if max <= 0.0 || d <= 0.0 {
        return (0.0, 0.0);
    }
    let h = if max == r {
        ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    (h * 60.0, d / max)
}

/// Lookup tables shared by every image; built once per process.
pub(super) struct Tables {
    /// XYZ/white contribution of each 8-bit channel value, per output axis:
    /// `t_axis = tab[axis][0][r] + tab[axis][1][g] + tab[axis][2][b]`.
    pub xyz8: [[[f32; 256]; 3]; 3],
    /// Linear light on the 0..255 float scale, sampled every 1/16.
    lin: Vec<f32>,
}

impl Tables {
    pub(super) fn get() -> &'static Tables {
        static T: OnceLock<Tables> = OnceLock::new();
        T.get_or_init(Tables::build)
    }

    fn build() -> Tables {
        let mut xyz8 = [[[0f32; 256]; 3]; 3];
        for (axis, per_axis) in xyz8.iter_mut().enumerate() {
            for (ch, table) in per_axis.iter_mut().enumerate() {
                let k = XYZ_FROM_RGB[axis][ch] / WHITE[axis];
                for (v, out) in table.iter_mut().enumerate() {
                    *out = (k * srgb_to_linear(v as f64 / 255.0)) as f32;
                }
            }
        }
        let lin = (0..=255 * LIN_STEPS + 1)
            .map(|i| srgb_to_linear((i as f64 / LIN_STEPS as f64 / 255.0).min(1.0)) as f32)
            .collect();
        Tables { xyz8, lin }
    }

    /// Linear light of a float channel value on 0..255 (piecewise linear
    /// between nodes 1/16 apart; error below 1e-7).
    #[inline]
    pub(super) fn linear(&self, v: f32) -> f32 {
        let x = v.clamp(0.0, 255.0) * LIN_STEPS as f32;
        let i = x as usize;
        let frac = x - i as f32;
        let a = self.lin[i];
        let b = self.lin[i + 1];
        a + (b - a) * frac
    }

    /// WCAG relative luminance of a float colour on 0..255.
    #[inline]
    pub(super) fn luminance(&self, rgb: [f32; 3]) -> f64 {
        let [r, g, b] = rgb.map(|c| f64::from(self.linear(c)));
        0.2126 * r + 0.7152 * g + 0.0722 * b
    }

    /// Normalised XYZ (`X/Xn, Y/Yn, Z/Zn`) of a float colour on 0..255.
    #[inline]
    pub(super) fn xyz_f32(&self, rgb: [f32; 3]) -> [f32; 3] {
        let lin = rgb.map(|c| self.linear(c));
        [0, 1, 2].map(|axis| {
            let m = XYZ_FROM_RGB[axis];
            let w = WHITE[axis];
            ((m[0] / w) as f32) * lin[0]
                + ((m[1] / w) as f32) * lin[1]
                + ((m[2] / w) as f32) * lin[2]
        })
    }
}

/// Cube root for t >= LAB_EPS to ~4e-7 relative: bit-trick estimate of
/// t^(-1/3), three division-free Newton steps, then t * y^2. No branches,
/// divisions or float-to-int casts, so blocks of it vectorise.
#[inline(always)]
fn cbrt_fast(t: f32) -> f32 {
    let mut y = f32::from_bits(0x54a2_1d2a_u32.wrapping_sub(t.to_bits() / 3));
    for _ in 0..3 {
        y = y * (4.0 - t * y * y * y) * (1.0 / 3.0);
    }
    t * y * y
}

/// The Lab companding function on f32, branch-free.
#[inline(always)]
fn lab_f32(t: f32) -> f32 {
    let c = cbrt_fast(t.max(LAB_EPS as f32));
    let lin = LAB_SLOPE as f32 * t + LAB_OFFSET as f32;
    if t > LAB_EPS as f32 {
        c
    } else {
        lin
    }
}

/// (L, a, b) from normalised XYZ on the fast path.
#[inline(always)]
fn lab_fast(x: f32, y: f32, z: f32) -> [f32; 3] {
    let (fx, fy, fz) = (lab_f32(x), lab_f32(y), lab_f32(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Sums of L, L², a and b over a block of pixels.
#[derive(Clone, Copy, Default, Debug)]
pub(super) struct LabSums {
    pub l: f64,
    pub l2: f64,
    pub a: f64,
    pub b: f64,
}

impl LabSums {
    pub(super) fn add(&mut self, o: &LabSums) {
        self.l += o.l;
        self.l2 += o.l2;
        self.a += o.a;
        self.b += o.b;
    }
}

/// Lab statistics of a block of pixels given as normalised-XYZ columns.
/// Lane-wise f32 partial sums keep the loop vectorisable; blocks are short
/// (<= 256 pixels) so f32 loses nothing measurable before the f64 hand-off.
#[inline(always)]
pub(super) fn lab_block(tx: &[f32], ty: &[f32], tz: &[f32]) -> LabSums {
    // Multiplying by the constant 1.0 folds away: the same loop as before.
    lab_sums(tx, ty, tz, |_| 1.0)
}

/// [`lab_block`] where entry `i` stands for `weights[i]` equal pixels.
pub(super) fn lab_block_weighted(tx: &[f32], ty: &[f32], tz: &[f32], weights: &[f32]) -> LabSums {
    lab_sums(&tx[..weights.len()], ty, tz, |i| weights[i])
}

#[inline(always)]
fn lab_sums(tx: &[f32], ty: &[f32], tz: &[f32], weight: impl Fn(usize) -> f32) -> LabSums {
    const LANES: usize = 8;
    let n = tx.len().min(ty.len()).min(tz.len());
    let full = n / LANES * LANES;
    let mut acc = [[0f32; LANES]; 4];
    let columns = tx[..full]
        .chunks_exact(LANES)
        .zip(ty[..full].chunks_exact(LANES))
        .zip(tz[..full].chunks_exact(LANES));
    for (c, ((x, y), z)) in columns.enumerate() {
        for k in 0..LANES {
            let [l, a, b] = lab_fast(x[k], y[k], z[k]);
            let w = weight(c * LANES + k);
            let lw = l * w;
            acc[0][k] += lw;
            acc[1][k] += lw * l;
            acc[2][k] += a * w;
            acc[3][k] += b * w;
        }
    }
    let total = |v: &[f32; LANES]| v.iter().map(|&x| f64::from(x)).sum::<f64>();
    let mut sums = LabSums {
        l: total(&acc[0]),
        l2: total(&acc[1]),
        a: total(&acc[2]),
        b: total(&acc[3]),
    };
    for i in full..n {
        let [l, a, b] = lab_fast(tx[i], ty[i], tz[i]).map(f64::from);
        let w = f64::from(weight(i));
        sums.l += l * w;
        sums.l2 += l * l * w;
        sums.a += a * w;
        sums.b += b * w;
    }
    sums
}

/// Lab of a single normalised-XYZ triple via the fast path (used for grey
/// histograms where 256 exact evaluations would also do).
pub(super) fn lab_from_xyz_exact(t: [f64; 3]) -> [f64; 3] {
    let f = t.map(lab_f);
    [
        116.0 * f[1] - 16.0,
        500.0 * (f[0] - f[1]),
        200.0 * (f[1] - f[2]),
    ]
}

/// Normalised XYZ of an 8-bit colour in f64 (exact path).
pub(super) fn xyz8_exact(rgb: [u8; 3]) -> [f64; 3] {
    let lin = rgb.map(|c| srgb_to_linear(f64::from(c) / 255.0));
    [0, 1, 2].map(|i| {
        let m = XYZ_FROM_RGB[i];
        (m[0] * lin[0] + m[1] * lin[1] + m[2] * lin[2]) / WHITE[i]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_cube_root_is_accurate() {
        let mut worst = 0f64;
        let mut t = LAB_EPS;
        while t < 1.2 {
            let got = f64::from(cbrt_fast(t as f32));
            worst = worst.max((got / t.cbrt() - 1.0).abs());
            t *= 1.001;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
    }

    #[test]
    fn lab_round_trips() {
        for rgb in [
            [0.0, 0.0, 0.0],
            [255.0, 255.0, 255.0],
            [200.0, 30.0, 90.0],
            [12.0, 250.0, 7.0],
        ] {
            let back = lab_to_rgb(rgb_to_lab(rgb));
            for c in 0..3 {
                assert!((back[c] - rgb[c]).abs() < 1e-6, "{rgb:?} -> {back:?}");
            }
        }
        let white = rgb_to_lab([255.0; 3]);
        assert!((white[0] - 100.0).abs() < 1e-3);
    }

    #[test]
    fn float_linearisation_matches_exact_curve() {
        let t = Tables::get();
        for i in 0..=2550 {
            let v = i as f32 / 10.0;
            let exact = srgb_to_linear(f64::from(v) / 255.0);
            assert!((f64::from(t.linear(v)) - exact).abs() < 2e-6, "{v}");
        }
    }
}
