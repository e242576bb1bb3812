//! Drawing for the ground-truth tests: an RGB canvas with rectangles,
//! discs, photo backgrounds and anti-aliased text in a 5x7 capital font at
//! any size, which returns the box each line of text covers.

use creativeiq::features::{extract, Canonical, DesignFeatures};

/// A line of text as drawn: its box `[x0, y0, x1, y1)` in pixels.
pub type TextBox = [f64; 4];

/// An RGB canvas (0..255 floats while drawing, so anti-aliasing composes).
pub struct Canvas {
    pub w: usize,
    pub h: usize,
    rgb: Vec<[f32; 3]>,
}

impl Canvas {
    pub fn new(w: usize, h: usize) -> Self {
        Self::filled(w, h, [255, 255, 255])
    }

    pub fn filled(w: usize, h: usize, c: [u8; 3]) -> Self {
        Self {
            w,
            h,
            rgb: vec![c.map(f32::from); w * h],
        }
    }

    /// Top-to-bottom blend of two colours.
    pub fn gradient(w: usize, h: usize, top: [u8; 3], bottom: [u8; 3]) -> Self {
        let mut c = Self::new(w, h);
        for y in 0..h {
            let t = y as f32 / (h.max(2) - 1) as f32;
            let px = [0, 1, 2].map(|k| f32::from(top[k]) * (1.0 - t) + f32::from(bottom[k]) * t);
            c.rgb[y * w..(y + 1) * w].fill(px);
        }
        c
    }

    /// Fills the box with `photo` scaled (nearest pixel) to cover it.
    pub fn photo(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, photo: &image::RgbImage) {
        let (pw, ph) = (photo.width() as usize, photo.height() as usize);
        let (bw, bh) = (x1 - x0, y1 - y0);
        let scale = (pw as f64 / bw as f64).min(ph as f64 / bh as f64);
        for y in y0..y1.min(self.h) {
            for x in x0..x1.min(self.w) {
                let sx = (((x - x0) as f64 + 0.5) * scale) as u32;
                let sy = (((y - y0) as f64 + 0.5) * scale) as u32;
                let p = photo
                    .get_pixel(sx.min(pw as u32 - 1), sy.min(ph as u32 - 1))
                    .0;
                self.rgb[y * self.w + x] = p.map(f32::from);
            }
        }
    }

    pub fn fill_rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for y in y0..y1.min(self.h) {
            for x in x0..x1.min(self.w) {
                self.rgb[y * self.w + x] = c.map(f32::from);
            }
        }
    }

    pub fn disc(&mut self, cx: f64, cy: f64, r: f64, c: [u8; 3]) {
        for y in 0..self.h {
            for x in 0..self.w {
                if (x as f64 + 0.5 - cx).hypot(y as f64 + 0.5 - cy) <= r {
                    self.rgb[y * self.w + x] = c.map(f32::from);
                }
            }
        }
    }

    /// Mean colour of a box, to pick a text colour that reads on it.
    pub fn mean(&self, b: TextBox) -> [f32; 3] {
        let (x0, y0) = (b[0] as usize, b[1] as usize);
        let (x1, y1) = ((b[2] as usize).min(self.w), (b[3] as usize).min(self.h));
        let mut s = [0f64; 3];
        let mut n = 0f64;
        for y in y0..y1 {
            for x in x0..x1 {
                for (acc, &v) in s.iter_mut().zip(&self.rgb[y * self.w + x]) {
                    *acc += f64::from(v);
                }
                n += 1.0;
            }
        }
        s.map(|v| (v / n.max(1.0)) as f32)
    }

    /// Draws `text` with its top-left corner at (x, y), each font cell
    /// `cell` pixels wide (a 7-cell-high capital), anti-aliased by exact
    /// area coverage. Returns the box of the drawn line.
    pub fn text(&mut self, x: f64, y: f64, cell: f64, text: &str, c: [u8; 3]) -> TextBox {
        let mut alpha = vec![0f32; self.w * self.h];
        let mut cx = x;
        for ch in text.chars() {
            if let Some(rows) = glyph(ch) {
                for (r, bits) in rows.iter().enumerate() {
                    for col in 0..5 {
                        if bits & (0x10 >> col) != 0 {
                            let x0 = cx + col as f64 * cell;
                            let y0 = y + r as f64 * cell;
                            self.cover(&mut alpha, [x0, y0, x0 + cell, y0 + cell]);
                        }
                    }
                }
            }
            cx += 6.0 * cell;
        }
        let ink = c.map(f32::from);
        for (p, &a) in self.rgb.iter_mut().zip(&alpha) {
            let a = a.min(1.0);
            for k in 0..3 {
                p[k] = p[k] * (1.0 - a) + ink[k] * a;
            }
        }
        [x, y, cx - cell, y + 7.0 * cell]
    }

    /// Adds the area of `r` inside each pixel to `alpha`.
    fn cover(&self, alpha: &mut [f32], r: [f64; 4]) {
        let (x0, y0) = (
            r[0].floor().max(0.0) as usize,
            r[1].floor().max(0.0) as usize,
        );
        let (x1, y1) = (
            (r[2].ceil() as usize).min(self.w),
            (r[3].ceil() as usize).min(self.h),
        );
        for py in y0..y1 {
            let oy = (r[3].min(py as f64 + 1.0) - r[1].max(py as f64)).max(0.0);
            for px in x0..x1 {
                let ox = (r[2].min(px as f64 + 1.0) - r[0].max(px as f64)).max(0.0);
                alpha[py * self.w + px] += (ox * oy) as f32;
            }
        }
    }

    pub fn canonical(&self) -> Canonical {
        let bytes = self
            .rgb
            .iter()
            .flat_map(|p| p.map(|v| (v + 0.5).clamp(0.0, 255.0) as u8))
            .collect();
        Canonical::from_rgb8(self.w as u32, self.h as u32, bytes).expect("valid canvas")
    }

    pub fn features(&self) -> DesignFeatures {
        extract(&self.canonical())
    }
}

/// Width in pixels of `text` at `cell`, as [`Canvas::text`] draws it.
pub fn text_width(text: &str, cell: f64) -> f64 {
    (6.0 * text.chars().count() as f64 - 1.0) * cell
}

/// Classic 5x7 capitals and digits.
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        _ => return None,
    })
}
