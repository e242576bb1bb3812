//! The working image: the canonical image scaled by area averaging so its
//! longer side is at most [`WORK_SIDE`], reproducing OpenCV's `INTER_AREA`
//! (including fractional scales, where border source pixels are split
//! between two output pixels by their covered fraction).

use rayon::prelude::*;

use super::decode::Canonical;
use super::Threads;

/// Longer side of the working image used for edges, layout and typography.
pub(super) const WORK_SIDE: usize = 512;

/// A small float RGB image (0..255), row-major.
#[derive(Clone, Debug)]
pub(super) struct SmallImage {
    pub w: usize,
    pub h: usize,
    pub rgb: Vec<[f32; 3]>,
}

/// One source→destination contribution of a separable area filter.
#[derive(Clone, Copy, Debug)]
struct Tap {
    dst: usize,
    src: usize,
    weight: f64,
}

/// Output size exactly as the reference computes it:
/// `round(side * 512 / longer)` with Python's round-half-to-even, at least 1.
pub(super) fn working_size(w: usize, h: usize) -> (usize, usize) {
    fitted_size(w, h, WORK_SIDE)
}

/// `w` x `h` scaled so the longer side is at most `longer`, each side
/// rounded half to even and at least 1; unchanged when already that small.
fn fitted_size(w: usize, h: usize, longer: usize) -> (usize, usize) {
    let scale = longer as f64 / w.max(h) as f64;
    if scale >= 1.0 {
        return (w, h);
    }
    let side = |s: usize| ((s as f64 * scale).round_ties_even() as usize).max(1);
    (side(w), side(h))
}

/// Destination rows per work unit of [`Threads::Pool`]'s resize.
const BAND_ROWS: usize = 64;

/// Builds the working image (a plain copy when no downscale is needed).
pub(super) fn working_image(img: &Canonical, threads: Threads) -> SmallImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (dw, dh) = working_size(w, h);
    if (dw, dh) == (w, h) {
        let mut rgb = vec![[0f32; 3]; w * h];
        for (y, row) in rgb.chunks_exact_mut(w).enumerate() {
            img.row_f32(y, row);
        }
        return SmallImage { w, h, rgb };
    }
    area_resize(img, dw, dh, threads)
}

/// OpenCV `computeResizeAreaTab`: taps of destination cells of width
/// `scale` source pixels, weights normalised by the cell width and rounded
/// to f32 as OpenCV stores them.
fn area_taps(src: usize, dst: usize) -> Vec<Tap> {
    let scale = 1.0 / (dst as f64 / src as f64);
    let mut taps = Vec::with_capacity(src * 2);
    let f32w = |v: f64| f64::from(v as f32);
    for dx in 0..dst {
        let fsx1 = dx as f64 * scale;
        let fsx2 = fsx1 + scale;
        let cell = scale.min(src as f64 - fsx1);
        let mut sx1 = fsx1.ceil() as usize;
        let sx2 = (fsx2.floor() as usize).min(src - 1);
        sx1 = sx1.min(sx2);
        if sx1 as f64 - fsx1 > 1e-3 {
            taps.push(Tap {
                dst: dx,
                src: sx1 - 1,
                weight: f32w((sx1 as f64 - fsx1) / cell),
            });
        }
        for sx in sx1..sx2 {
            taps.push(Tap {
                dst: dx,
                src: sx,
                weight: f32w(1.0 / cell),
            });
        }
        if fsx2 - sx2 as f64 > 1e-3 {
            taps.push(Tap {
                dst: dx,
                src: sx2,
                weight: f32w((fsx2 - sx2 as f64).min(1.0).min(cell) / cell),
            });
        }
    }
    taps
}

/// Separable area resampling: each source row is reduced horizontally once,
/// then added into the destination row(s) its vertical taps name, in the
/// same order as OpenCV's `ResizeArea_Invoker`. With [`Threads::Pool`],
/// bands of destination rows run in parallel; each row still sums its
/// taps in the same order, so the pixels are the same.
fn area_resize(img: &Canonical, dw: usize, dh: usize, threads: Threads) -> SmallImage {
    let w = img.width() as usize;
    let xtaps = area_taps(w, dw);
    let ytaps = area_taps(img.height() as usize, dh);
    let mut out = vec![[0f32; 3]; dw * dh];
    // The taps of each band: taps come in destination order.
    let bands: Vec<&[Tap]> = (0..dh)
        .step_by(BAND_ROWS)
        .map(|first| {
            let start = ytaps.partition_point(|t| t.dst < first);
            let end = ytaps.partition_point(|t| t.dst < first + BAND_ROWS);
            &ytaps[start..end]
        })
        .collect();
    let run = |(band, taps): (&mut [[f32; 3]], &&[Tap])| {
        if let Some(first) = taps.first() {
            resize_band(img, &xtaps, taps, dw, first.dst, band);
        }
    };
    match threads {
        Threads::One => out.chunks_mut(BAND_ROWS * dw).zip(&bands).for_each(run),
        Threads::Pool => out.par_chunks_mut(BAND_ROWS * dw).zip(&bands).for_each(run),
    }
    SmallImage {
        w: dw,
        h: dh,
        rgb: out,
    }
}

/// Destination rows from `first_dst` on, into `out`, from their vertical taps.
fn resize_band(
    img: &Canonical,
    xtaps: &[Tap],
    ytaps: &[Tap],
    dw: usize,
    first_dst: usize,
    out: &mut [[f32; 3]],
) {
    let mut src_row = vec![[0f32; 3]; img.width() as usize];
    let mut hrow = vec![[0f64; 3]; dw];
    let mut sum = vec![[0f64; 3]; dw];
    let mut loaded = usize::MAX;
    let mut cur_dy = first_dst;
    let row = |dy: usize| (dy - first_dst) * dw..(dy - first_dst + 1) * dw;
    for yt in ytaps {
        if yt.src != loaded {
            img.row_f32(yt.src, &mut src_row);
            reduce_row(&src_row, xtaps, &mut hrow);
            loaded = yt.src;
        }
        if yt.dst != cur_dy {
            store_row(&mut sum, &mut out[row(cur_dy)]);
            cur_dy = yt.dst;
        }
        for (s, v) in sum.iter_mut().zip(&hrow) {
            for c in 0..3 {
                s[c] += yt.weight * v[c];
            }
        }
    }
    store_row(&mut sum, &mut out[row(cur_dy)]);
}

/// A single plane (such as luma) scaled by area averaging so its longer
/// side is at most `side`; returns it with its width and height.
pub(super) fn area_resize_plane(
    plane: &[f32],
    w: usize,
    h: usize,
    side: usize,
) -> (Vec<f32>, usize, usize) {
    let (dw, dh) = fitted_size(w, h, side);
    if (dw, dh) == (w, h) {
        return (plane.to_vec(), w, h);
    }
    let xtaps = area_taps(w, dw);
    let ytaps = area_taps(h, dh);
    let mut hrow = vec![0f64; dw];
    let mut out = vec![0f64; dw * dh];
    let mut loaded = usize::MAX;
    for yt in &ytaps {
        if yt.src != loaded {
            hrow.fill(0.0);
            for t in &xtaps {
                hrow[t.dst] += f64::from(plane[yt.src * w + t.src]) * t.weight;
            }
            loaded = yt.src;
        }
        let row = &mut out[yt.dst * dw..(yt.dst + 1) * dw];
        for (o, v) in row.iter_mut().zip(&hrow) {
            *o += yt.weight * v;
        }
    }
    (out.into_iter().map(|v| v as f32).collect(), dw, dh)
}

fn reduce_row(src: &[[f32; 3]], taps: &[Tap], out: &mut [[f64; 3]]) {
    out.fill([0.0; 3]);
    for t in taps {
        let s = src[t.src];
        let o = &mut out[t.dst];
        for c in 0..3 {
            o[c] += f64::from(s[c]) * t.weight;
        }
    }
}

fn store_row(sum: &mut [[f64; 3]], out: &mut [[f32; 3]]) {
    for (o, s) in out.iter_mut().zip(sum.iter_mut()) {
        *o = s.map(|v| v as f32);
        *s = [0.0; 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_python_rounding() {
        assert_eq!(working_size(1136, 640), (512, 288));
        assert_eq!(working_size(768, 1024), (384, 512));
        assert_eq!(working_size(741, 500), (512, 345));
        assert_eq!(working_size(300, 200), (300, 200));
        assert_eq!(working_size(5000, 1), (512, 1));
    }

    #[test]
    fn taps_cover_each_cell_with_unit_weight() {
        for (src, dst) in [(1136, 512), (741, 512), (10, 3), (1024, 512)] {
            let taps = area_taps(src, dst);
            let mut total = vec![0f64; dst];
            for t in &taps {
                total[t.dst] += t.weight;
            }
            for s in total {
                assert!((s - 1.0).abs() < 1e-6, "{src}->{dst}: {s}");
            }
        }
    }

    #[test]
    fn halving_averages_blocks() {
        let rgb: Vec<u8> = (0..16).flat_map(|v| [v as u8 * 10; 3]).collect();
        let img = Canonical::from_rgb8(4, 4, rgb).expect("valid image");
        let out = area_resize(&img, 2, 2, Threads::One);
        // Top-left 2x2 block holds 0, 10, 40, 50.
        assert!((out.rgb[0][0] - 25.0).abs() < 1e-4);
    }
}
