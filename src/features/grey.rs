//! Luma planes of the working image: float `Y` for statistics and the
//! rounded 8-bit `g8` that Canny and Sobel run on.

use super::resize::{area_resize_plane, SmallImage};

/// BT.601 luma of the working image, float and rounded.
#[derive(Clone, Debug)]
pub(super) struct Grey {
    pub y: Vec<f32>,
    pub g8: Vec<u8>,
}

/// BT.601 luma `Y` of a canonical colour (0..255), in f64 as FEATURES.md
/// defines it.
pub(super) fn luma(rgb: [f32; 3]) -> f64 {
    let [r, g, b] = rgb.map(f64::from);
    0.299 * r + 0.587 * g + 0.114 * b
}

impl Grey {
    pub(super) fn new(img: &SmallImage) -> Self {
        let mut y = Vec::with_capacity(img.rgb.len());
        let mut g8 = Vec::with_capacity(img.rgb.len());
        for &p in &img.rgb {
            let luma = luma(p);
            y.push(luma as f32);
            // floor(Y + 0.5) clamped to 0..255, in f64 as the reference;
            // for Y >= 0 the saturating cast truncates, which is the floor.
            g8.push((luma + 0.5) as u8);
        }
        Self { y, g8 }
    }
}

/// Longer side of the thumbnail [`thumbnail_edges`] looks at: about the
/// size of a post in a scrolling feed.
const THUMB_SIDE: usize = 160;

/// Luma step (grey levels, to the right plus downward) that stays visible
/// at thumbnail size.
const THUMB_STEP: f32 = 48.0;

/// Share of the pixels of a [`THUMB_SIDE`] thumbnail (area averaged from
/// the working image's luma `y`, `w` x `h`) whose luma steps by more than
/// [`THUMB_STEP`] to the right and downward neighbours together: how busy
/// the design looks in a feed. The step is the simulator's definition of
/// complexity, on the same thumbnail size. Canny on the 512-px working image
/// (`edge_density`) also counts fine texture that vanishes at that size.
pub(super) fn thumbnail_edges(y: &[f32], w: usize, h: usize) -> f64 {
    let (t, tw, th) = area_resize_plane(y, w, h, THUMB_SIDE);
    // A pixel on the last row or column has one neighbour to step to; a
    // banner's one-row thumbnail still counts its steps.
    let mut steps = 0usize;
    for row in 0..th {
        for x in 0..tw {
            let v = t[row * tw + x];
            let right = if x + 1 < tw {
                (t[row * tw + x + 1] - v).abs()
            } else {
                0.0
            };
            let down = if row + 1 < th {
                (t[(row + 1) * tw + x] - v).abs()
            } else {
                0.0
            };
            if right + down > THUMB_STEP {
                steps += 1;
            }
        }
    }
    steps as f64 / (tw * th).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnail_edges_count_coarse_steps_and_not_fine_grain() {
        let (w, h) = (640, 320);
        // Vertical bars 64 px wide: 16 px wide at thumbnail size.
        let bars: Vec<f32> = (0..w * h)
            .map(|i| if (i % w) / 64 % 2 == 0 { 30.0 } else { 220.0 })
            .collect();
        // A one-pixel checkerboard averages to flat grey.
        let grain: Vec<f32> = (0..w * h)
            .map(|i| if (i % w + i / w) % 2 == 0 { 0.0 } else { 255.0 })
            .collect();
        let flat = vec![128f32; w * h];
        let b = thumbnail_edges(&bars, w, h);
        // 9 boundaries, each one thumbnail column of 80 rows.
        assert!((b - 9.0 * 80.0 / (160.0 * 80.0)).abs() < 1e-9, "{b}");
        // The same bars in a one-row banner: 9 steps in 160 pixels.
        let banner: Vec<f32> = (0..w * 4).map(|i| bars[i % w]).collect();
        let one_row = thumbnail_edges(&banner, w, 4);
        assert!((one_row - 9.0 / 160.0).abs() < 1e-9, "{one_row}");
        assert!(thumbnail_edges(&grain, w, h) < 0.001);
        assert_eq!(thumbnail_edges(&flat, w, h), 0.0);
    }

    #[test]
    fn the_thumbnail_averages_the_area_each_pixel_covers() {
        let (w, h) = (640, 320);
        let plane: Vec<f32> = (0..w * h).map(|i| ((i * 7919) % 251) as f32).collect();
        let (t, tw, th) = area_resize_plane(&plane, w, h, 160);
        assert_eq!((tw, th), (160, 80));
        for (ty, tx) in [(0, 0), (13, 77), (79, 159)] {
            let mean: f32 = (0..16)
                .map(|k| plane[(ty * 4 + k / 4) * w + tx * 4 + k % 4])
                .sum::<f32>()
                / 16.0;
            assert!((t[ty * tw + tx] - mean).abs() < 1e-3, "({tx}, {ty})");
        }
        // A fractional scale keeps the plane's mean.
        let (t, tw, th) = area_resize_plane(&plane, 500, 300, 160);
        assert_eq!((tw, th), (160, 96));
        let mean = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        let source = &plane[..500 * 300];
        assert!(
            (mean(&t) - mean(source)).abs() < 1e-3,
            "{} vs {}",
            mean(&t),
            mean(source)
        );
    }
}
