//! Sobel gradients and Canny edges as OpenCV's `cv::Canny(img, 100, 200)`
//! computes them: 3x3 Sobel with replicated borders, L1 magnitude, the
//! integer tan(22.5°) sector test for non-maximum suppression (with its
//! asymmetric `>` / `>=` comparisons), and 8-connected hysteresis.

/// `tan(22.5°)` in Q15 fixed point, as OpenCV's `TG22`.
const CANNY_SHIFT: u32 = 15;
const TG22: i64 = 13573; // (0.4142135623730950488 * (1 << 15) + 0.5) as int

/// Horizontal and vertical 3x3 Sobel responses of an 8-bit image.
#[derive(Clone, Debug)]
pub(super) struct Gradients {
    pub w: usize,
    pub h: usize,
    pub dx: Vec<i16>,
    pub dy: Vec<i16>,
}

impl Gradients {
    /// L1 magnitude `|dx| + |dy|` at index `i`.
    #[inline]
    pub(super) fn l1(&self, i: usize) -> i32 {
        i32::from(self.dx[i]).abs() + i32::from(self.dy[i]).abs()
    }
}

/// Sobel with `BORDER_REPLICATE`, as `cv::Sobel(src, CV_16S, ...)`.
pub(super) fn sobel(g8: &[u8], w: usize, h: usize) -> Gradients {
    let mut dx = vec![0i16; w * h];
    let mut dy = vec![0i16; w * h];
    if w == 0 || h == 0 || g8.len() < w * h {
        return Gradients { w, h, dx, dy };
    }
    // Rows padded by one replicated pixel each side keep the inner loop
    // branch-free (and vectorisable).
    let pad = |y: usize| -> Vec<i16> {
        let row = &g8[y * w..(y + 1) * w];
        let mut out = Vec::with_capacity(w + 2);
        out.push(i16::from(row[0]));
        out.extend(row.iter().map(|&v| i16::from(v)));
        out.push(i16::from(row[w - 1]));
        out
    };
    let mut above = pad(0);
    let mut here = above.clone();
    for y in 0..h {
        let below = pad((y + 1).min(h - 1));
        let (ox, oy) = (&mut dx[y * w..(y + 1) * w], &mut dy[y * w..(y + 1) * w]);
        for x in 0..w {
            // |gx|, |gy| <= 1020, always inside i16.
            ox[x] =
                (above[x + 2] - above[x]) + 2 * (here[x + 2] - here[x]) + (below[x + 2] - below[x]);
            oy[x] = (below[x] + 2 * below[x + 1] + below[x + 2])
                - (above[x] + 2 * above[x + 1] + above[x + 2]);
        }
        above = std::mem::replace(&mut here, below);
    }
    Gradients { w, h, dx, dy }
}

/// Pixel states of OpenCV's edge map.
const MAYBE: u8 = 0;
const NOT: u8 = 1;
const EDGE: u8 = 2;

/// Canny edge map (true = edge) from precomputed gradients.
pub(super) fn canny(g: &Gradients, low: i32, high: i32) -> Vec<bool> {
    let (w, h) = (g.w, g.h);
    // Map with a one-pixel frame of NOT so hysteresis never leaves the image.
    let mw = w + 2;
    let mut map = vec![NOT; mw * (h + 2)];
    let mut stack: Vec<usize> = Vec::new();
    // Magnitude outside the image counts as 0, as in OpenCV's padded rows.
    let mag = |x: isize, y: isize| -> i32 {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize {
            0
        } else {
            g.l1(y as usize * w + x as usize)
        }
    };
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let m = g.l1(i);
            if m <= low {
                continue;
            }
            let (xi, yi) = (x as isize, y as isize);
            let xs = i64::from(g.dx[i]);
            let ys = i64::from(g.dy[i]);
            let ax = xs.abs();
            let ay = ys.abs() << CANNY_SHIFT;
            let tg22x = ax * TG22;
            let is_max = if ay < tg22x {
                m > mag(xi - 1, yi) && m >= mag(xi + 1, yi)
            } else {
                let tg67x = tg22x + (ax << (CANNY_SHIFT + 1));
                if ay > tg67x {
                    m > mag(xi, yi - 1) && m >= mag(xi, yi + 1)
                } else {
                    let s: isize = if (xs ^ ys) < 0 { -1 } else { 1 };
                    m > mag(xi - s, yi - 1) && m > mag(xi + s, yi + 1)
                }
            };
            if !is_max {
                continue;
            }
            let mi = (y + 1) * mw + x + 1;
            if m > high {
                map[mi] = EDGE;
                stack.push(mi);
            } else {
                map[mi] = MAYBE;
            }
        }
    }
    while let Some(mi) = stack.pop() {
        for n in [
            mi - mw - 1,
            mi - mw,
            mi - mw + 1,
            mi - 1,
            mi + 1,
            mi + mw - 1,
            mi + mw,
            mi + mw + 1,
        ] {
            if map[n] == MAYBE {
                map[n] = EDGE;
                stack.push(n);
            }
        }
    }
    let mut edges = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            edges[y * w + x] = map[(y + 1) * mw + x + 1] == EDGE;
        }
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tg22_matches_opencv_constant() {
        let v = (0.414_213_562_373_095_05_f64 * f64::from(1u32 << CANNY_SHIFT) + 0.5) as i64;
        assert_eq!(v, TG22);
    }

    #[test]
    fn step_edge_is_one_pixel_wide() {
        let (w, h) = (16, 8);
        let g8: Vec<u8> = (0..w * h)
            .map(|i| if i % w < 8 { 0 } else { 255 })
            .collect();
        let g = sobel(&g8, w, h);
        let e = canny(&g, 100, 200);
        for y in 0..h {
            let row: Vec<usize> = (0..w).filter(|&x| e[y * w + x]).collect();
            assert_eq!(row.len(), 1, "row {y}: {row:?}");
        }
    }

    #[test]
    fn flat_image_has_no_edges() {
        let g = sobel(&[7u8; 30], 6, 5);
        assert!(canny(&g, 100, 200).iter().all(|&e| !e));
    }
}
