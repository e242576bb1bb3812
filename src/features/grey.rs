//! Luma planes of the working image: float `Y` for statistics and the
//! rounded 8-bit `g8` that Canny and Sobel run on.

use super::resize::SmallImage;

/// BT.601 luma of the working image, float and rounded.
#[derive(Clone, Debug)]
pub(super) struct Grey {
    pub y: Vec<f32>,
    pub g8: Vec<u8>,
}

impl Grey {
    pub(super) fn new(img: &SmallImage) -> Self {
        let mut y = Vec::with_capacity(img.rgb.len());
        let mut g8 = Vec::with_capacity(img.rgb.len());
        for p in &img.rgb {
            let [r, g, b] = p.map(f64::from);
            let luma = 0.299 * r + 0.587 * g + 0.114 * b;
            y.push(luma as f32);
            // floor(Y + 0.5) clamped to 0..255, in f64 as the reference;
            // for Y >= 0 the saturating cast truncates, which is the floor.
            g8.push((luma + 0.5) as u8);
        }
        Self { y, g8 }
    }
}
