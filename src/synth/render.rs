//! Drawing a design into pixels (at full size for the image, or scaled
//! down to measure its properties), encoding it, pixel statistics, and the
//! contact sheet.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};

use super::design::{Background, Design, Focal, FocalKind, ImageFormat, Panel, Shape, ShapeKind};
use super::palette::{mix, Rgb};
use super::text;

/// JPEG quality of photo-like designs.
const JPEG_QUALITY: u8 = 90;

/// An RGB raster being drawn on.
pub struct Canvas {
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
    /// RGB bytes, row-major.
    pub px: Vec<u8>,
}

impl Canvas {
    fn new(w: u32, h: u32) -> Canvas {
        Canvas {
            w,
            h,
            px: vec![0; w as usize * h as usize * 3],
        }
    }

    /// Blends `colour` over pixel (x, y) with opacity `a`; outside is ignored.
    pub fn blend(&mut self, x: i64, y: i64, colour: Rgb, a: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.w) || y >= i64::from(self.h) || a <= 0.0 {
            return;
        }
        let i = (y as usize * self.w as usize + x as usize) * 3;
        let a = a.min(1.0);
        for (k, c) in colour.iter().enumerate() {
            let p = f32::from(self.px[i + k]);
            self.px[i + k] = (p + (f32::from(*c) - p) * a + 0.5) as u8;
        }
    }

    /// Into an `image` buffer.
    pub fn into_image(self) -> RgbImage {
        RgbImage::from_raw(self.w, self.h, self.px).expect("buffer matches its size")
    }
}

/// Renders `design` at `scale` (1 = its native size).
pub fn render(design: &Design, scale: f32) -> Canvas {
    let w = ((design.width as f32 * scale).round() as u32).max(1);
    let h = ((design.height as f32 * scale).round() as u32).max(1);
    let mut canvas = Canvas::new(w, h);
    paint_background(&mut canvas, &design.background, scale);
    for shape in &design.shapes {
        paint_shape(&mut canvas, shape, scale);
    }
    if let Some(focal) = &design.focal {
        paint_focal(&mut canvas, focal, scale);
    }
    for panel in &design.panels {
        paint_panel(&mut canvas, panel, scale);
    }
    for line in &design.text {
        text::draw(&mut canvas, line, scale);
    }
    canvas
}

/// The design's image file: rendered at native size and encoded in its format.
pub fn encode(design: &Design) -> Vec<u8> {
    encode_as(design, design.format)
}

/// The design rendered at native size and encoded as `format`.
pub fn encode_as(design: &Design, format: ImageFormat) -> Vec<u8> {
    let canvas = render(design, 1.0);
    let (w, h) = (canvas.w, canvas.h);
    let mut out = Vec::with_capacity(canvas.px.len() / 8);
    match format {
        ImageFormat::Png => {
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Paeth)
                .write_image(&canvas.px, w, h, image::ExtendedColorType::Rgb8)
                .expect("encoding an in-memory RGB buffer to PNG cannot fail");
        }
        // jpeg-encoder (scalar, so the bytes are the same on every CPU),
        // with 4:2:0 chroma as photo JPEGs usually have: it is the slowest
        // step of a photo-like design, and halving the chroma work shows.
        ImageFormat::Jpeg => {
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY);
            encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
            encoder
                .encode(&canvas.px, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
                .expect("design sizes fit JPEG's 16-bit dimensions")
        }
    }
    out
}

/// A 256-step colour ramp through `stops` (evenly spaced).
fn ramp(stops: &[Rgb]) -> Vec<Rgb> {
    (0..256)
        .map(|i| {
            let t = i as f64 / 255.0 * (stops.len() - 1) as f64;
            let k = (t.floor() as usize).min(stops.len() - 2);
            mix(stops[k], stops[k + 1], t - k as f64)
        })
        .collect()
}

/// The background's colour at full-size pixel (x, y) of a `w` x `h`
/// design, for the smooth kinds (a texture answers with its middle colour).
pub fn background_at(bg: &Background, x: f32, y: f32, w: f32, h: f32) -> Rgb {
    match bg {
        Background::Flat { colour } => *colour,
        Background::Linear { from, to, angle } => {
            mix(*from, *to, f64::from(linear_t(*angle, x, y, w, h)))
        }
        Background::Radial {
            inner,
            outer,
            centre,
        } => mix(*inner, *outer, f64::from(radial_t(*centre, x, y, w, h))),
        Background::Split {
            first,
            second,
            at,
            vertical,
        } => {
            let second_side = if *vertical { x >= at * w } else { y >= at * h };
            if second_side {
                *second
            } else {
                *first
            }
        }
        Background::Texture { colours, .. } => colours[1],
    }
}

/// Length of (x, y). `f32::hypot` guards against overflow at a large cost
/// per call; pixel offsets cannot overflow.
#[inline]
fn len(x: f32, y: f32) -> f32 {
    (x * x + y * y).sqrt()
}

fn linear_t(angle: f32, x: f32, y: f32, w: f32, h: f32) -> f32 {
    let (dy, dx) = angle.to_radians().sin_cos();
    let extent = (w * dx).abs() + (h * dy).abs();
    (((x - 0.5 * w) * dx + (y - 0.5 * h) * dy) / extent.max(1.0) + 0.5).clamp(0.0, 1.0)
}

fn radial_t(centre: [f32; 2], x: f32, y: f32, w: f32, h: f32) -> f32 {
    let (cx, cy) = (centre[0] * w, centre[1] * h);
    let far = len(cx.max(w - cx), cy.max(h - cy));
    (len(x - cx, y - cy) / far.max(1.0)).clamp(0.0, 1.0)
}

/// Fills every row of `px` (rows of `w` pixels) with a copy of `row`.
fn fill_rows(px: &mut [u8], row: &[u8]) {
    for r in px.chunks_exact_mut(row.len()) {
        r.copy_from_slice(row);
    }
}

/// A row of `w` pixels of one colour.
fn solid_row(w: usize, colour: Rgb) -> Vec<u8> {
    colour.iter().copied().cycle().take(w * 3).collect()
}

fn paint_background(canvas: &mut Canvas, bg: &Background, scale: f32) {
    let (w, h) = (canvas.w as usize, canvas.h as usize);
    let (wf, hf) = (w as f32, h as f32);
    match bg {
        Background::Flat { colour } => fill_rows(&mut canvas.px, &solid_row(w, *colour)),
        Background::Linear { from, to, angle } => {
            let lut = ramp(&[*from, *to]);
            let (dy, dx) = angle.to_radians().sin_cos();
            let extent = ((wf * dx).abs() + (hf * dy).abs()).max(1.0);
            // Along x the ramp index moves by a constant step: one row of
            // offsets serves every row.
            let along: Vec<f32> = (0..w)
                .map(|x| (x as f32 + 0.5 - 0.5 * wf) * dx / extent)
                .collect();
            for (y, row) in canvas.px.chunks_exact_mut(w * 3).enumerate() {
                let base = ((y as f32 + 0.5 - 0.5 * hf) * dy) / extent + 0.5;
                for (p, a) in row.chunks_exact_mut(3).zip(&along) {
                    p.copy_from_slice(&lut[((base + a).clamp(0.0, 1.0) * 255.0) as usize]);
                }
            }
        }
        Background::Radial {
            inner,
            outer,
            centre,
        } => {
            let lut = ramp(&[*inner, *outer]);
            let (cx, cy) = (centre[0] * wf, centre[1] * hf);
            let scale = 1.0 / len(cx.max(wf - cx), cy.max(hf - cy)).max(1.0);
            for (y, row) in canvas.px.chunks_exact_mut(w * 3).enumerate() {
                let dy = y as f32 + 0.5 - cy;
                for (x, p) in row.chunks_exact_mut(3).enumerate() {
                    let t = (len(x as f32 + 0.5 - cx, dy) * scale).min(1.0);
                    p.copy_from_slice(&lut[(t * 255.0) as usize]);
                }
            }
        }
        Background::Split {
            first,
            second,
            at,
            vertical,
        } => {
            if *vertical {
                let cut = ((at * wf - 0.5).ceil().max(0.0) as usize).min(w);
                let mut row = solid_row(w, *first);
                row[cut * 3..].copy_from_slice(&solid_row(w - cut, *second));
                fill_rows(&mut canvas.px, &row);
            } else {
                let cut = ((at * hf - 0.5).ceil().max(0.0) as usize).min(h);
                let (top, bottom) = canvas.px.split_at_mut(cut * w * 3);
                fill_rows(top, &solid_row(w, *first));
                fill_rows(bottom, &solid_row(w, *second));
            }
        }
        Background::Texture {
            colours,
            cell,
            grain,
            seed,
        } => {
            paint_texture(canvas, colours, cell * scale, *grain, *seed);
        }
    }
}

/// Integer hash of a lattice point to 0..1.
fn lattice(ix: i64, iy: i64, seed: u64) -> f32 {
    let mut z = (ix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (iy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ seed;
    z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^= z >> 29;
    (z >> 40) as f32 / (1u64 << 24) as f32
}

/// Smooth value noise at (x, y) in units of lattice cells.
fn value_noise(x: f32, y: f32, seed: u64) -> f32 {
    let (ix, iy) = (x.floor(), y.floor());
    let (fx, fy) = (x - ix, y - iy);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (ix, iy) = (ix as i64, iy as i64);
    let top = lattice(ix, iy, seed) * (1.0 - sx) + lattice(ix + 1, iy, seed) * sx;
    let bottom = lattice(ix, iy + 1, seed) * (1.0 - sx) + lattice(ix + 1, iy + 1, seed) * sx;
    top * (1.0 - sy) + bottom * sy
}

/// Photo-like texture: three octaves of value noise evaluated on a coarse
/// grid and interpolated (cheap, and smooth below the finest octave),
/// through a three-colour ramp, plus per-pixel grain.
fn paint_texture(canvas: &mut Canvas, colours: &[Rgb; 3], cell: f32, grain: f32, seed: u64) {
    let (w, h) = (canvas.w as usize, canvas.h as usize);
    let cell = cell.max(4.0);
    let step = (cell / 8.0).max(1.0);
    let (gw, gh) = (
        (w as f32 / step).ceil() as usize + 2,
        (h as f32 / step).ceil() as usize + 2,
    );
    let mut grid = vec![0f32; gw * gh];
    for gy in 0..gh {
        for gx in 0..gw {
            let (x, y) = (gx as f32 * step / cell, gy as f32 * step / cell);
            let v = 0.55 * value_noise(x, y, seed)
                + 0.3 * value_noise(2.0 * x, 2.0 * y, seed ^ 1)
                + 0.15 * value_noise(4.0 * x, 4.0 * y, seed ^ 2);
            grid[gy * gw + gx] = v;
        }
    }
    let lut = ramp(colours);
    // Grain: a tile of random offsets, repeated (cheaper than a hash per pixel).
    const TILE: usize = 128;
    let tile: Vec<i16> = (0..TILE * TILE)
        .map(|i| {
            ((lattice((i % TILE) as i64, (i / TILE) as i64, seed ^ 0xA5A5) - 0.5) * 2.0 * grain)
                .round() as i16
        })
        .collect();
    let inv = 1.0 / step;
    // Where each column falls between grid nodes, computed once.
    let columns: Vec<(usize, f32)> = (0..w)
        .map(|x| {
            let gx = x as f32 * inv;
            (gx as usize, gx - gx.floor())
        })
        .collect();
    let mut between = vec![0f32; gw];
    for (y, row) in canvas.px.chunks_exact_mut(w * 3).enumerate() {
        let gy = y as f32 * inv;
        let iy = gy as usize;
        let fy = gy - iy as f32;
        let (r0, r1) = (
            &grid[iy * gw..(iy + 1) * gw],
            &grid[(iy + 1) * gw..(iy + 2) * gw],
        );
        for ((b, top), bottom) in between.iter_mut().zip(r0).zip(r1) {
            *b = top + (bottom - top) * fy;
        }
        let grain_row = &tile[(y % TILE) * TILE..(y % TILE + 1) * TILE];
        for ((p, &(ix, fx)), &g) in row
            .chunks_exact_mut(3)
            .zip(&columns)
            .zip(grain_row.iter().cycle())
        {
            let v = between[ix] + (between[ix + 1] - between[ix]) * fx;
            // Stretch the noise (it clusters around 0.5) over the ramp.
            let v = ((v - 0.5) * 2.2 + 0.5).clamp(0.0, 1.0);
            let c = lut[(v * 255.0) as usize];
            for (d, c) in p.iter_mut().zip(c) {
                *d = (i16::from(c) + g).clamp(0, 255) as u8;
            }
        }
    }
}

/// Fills the pixels where a signed distance (pixels, negative inside) is
/// below zero, anti-aliased over `soft` pixels; `paint` gives each pixel's
/// colour from its offset to the centre.
fn fill_sdf(
    canvas: &mut Canvas,
    centre: [f32; 2],
    reach: [f32; 2],
    alpha: f32,
    soft: f32,
    sdf: impl Fn(f32, f32) -> f32,
    paint: impl Fn(f32, f32) -> Rgb,
) {
    let soft = soft.max(1.0);
    let pad = soft + 1.0;
    let x0 = (centre[0] - reach[0] - pad).floor().max(0.0) as i64;
    let x1 = (centre[0] + reach[0] + pad).ceil().min(canvas.w as f32) as i64;
    let y0 = (centre[1] - reach[1] - pad).floor().max(0.0) as i64;
    let y1 = (centre[1] + reach[1] + pad).ceil().min(canvas.h as f32) as i64;
    if x0 >= x1 || y0 >= y1 || alpha <= 0.0 {
        return;
    }
    let stride = canvas.w as usize * 3;
    let inv_soft = 1.0 / soft;
    // Every sdf here is 1-Lipschitz, so one sample at a tile's centre tells
    // whether the whole tile is outside (skip it) or fully covered (no
    // per-pixel distance): most of a large shape's pixels are one or the
    // other, and only the tiles on its edge need the per-pixel work.
    const TILE: i64 = 8;
    let tile_reach = TILE as f32 * std::f32::consts::FRAC_1_SQRT_2 + 1.0;
    for ty in (y0..y1).step_by(TILE as usize) {
        let ty1 = (ty + TILE).min(y1);
        for tx in (x0..x1).step_by(TILE as usize) {
            let tx1 = (tx + TILE).min(x1);
            let cx = 0.5 * (tx + tx1) as f32 - centre[0];
            let cy = 0.5 * (ty + ty1) as f32 - centre[1];
            let d = sdf(cx, cy);
            let inside = d + tile_reach <= -0.5 * soft;
            if d - tile_reach >= 0.5 * soft {
                continue;
            }
            for y in ty..ty1 {
                let dy = y as f32 + 0.5 - centre[1];
                // The bounds above are clamped to the canvas, so each row's
                // span can be sliced once instead of checked per pixel.
                let row = &mut canvas.px[y as usize * stride..][tx as usize * 3..tx1 as usize * 3];
                for (x, p) in (tx..tx1).zip(row.chunks_exact_mut(3)) {
                    let dx = x as f32 + 0.5 - centre[0];
                    let a = if inside {
                        alpha
                    } else {
                        (0.5 - sdf(dx, dy) * inv_soft).clamp(0.0, 1.0) * alpha
                    };
                    if a >= 1.0 {
                        p.copy_from_slice(&paint(dx, dy));
                    } else if a > 0.0 {
                        for (d, c) in p.iter_mut().zip(paint(dx, dy)) {
                            let v = f32::from(*d);
                            *d = (v + (f32::from(c) - v) * a + 0.5) as u8;
                        }
                    }
                }
            }
        }
    }
}

fn ellipse_sdf(half: [f32; 2]) -> impl Fn(f32, f32) -> f32 {
    move |dx, dy| {
        let (a, b) = (half[0].max(0.5), half[1].max(0.5));
        let k = len(dx / a, dy / b);
        (k - 1.0) * a.min(b)
    }
}

fn round_rect_sdf(half: [f32; 2], radius: f32) -> impl Fn(f32, f32) -> f32 {
    move |dx, dy| {
        let r = radius.min(half[0]).min(half[1]).max(0.0);
        let qx = dx.abs() - half[0] + r;
        let qy = dy.abs() - half[1] + r;
        len(qx.max(0.0), qy.max(0.0)) + qx.max(qy).min(0.0) - r
    }
}

fn scaled(p: [f32; 2], s: f32) -> [f32; 2] {
    [p[0] * s, p[1] * s]
}

fn paint_shape(canvas: &mut Canvas, shape: &Shape, s: f32) {
    let (centre, half) = (scaled(shape.centre, s), scaled(shape.half, s));
    let colour = shape.colour;
    match shape.kind {
        ShapeKind::Ellipse => fill_sdf(
            canvas,
            centre,
            half,
            shape.alpha,
            1.0,
            ellipse_sdf(half),
            |_, _| colour,
        ),
        ShapeKind::Ring { stroke } => {
            let (r, t) = (half[0], (stroke * s).max(1.0));
            // The stroke is centred on the radius: its outer half lies
            // beyond `half`.
            let reach = r + 0.5 * t;
            fill_sdf(
                canvas,
                centre,
                [reach, reach],
                shape.alpha,
                1.0,
                move |dx, dy| (len(dx, dy) - r).abs() - 0.5 * t,
                |_, _| colour,
            )
        }
        ShapeKind::RoundRect { radius } => fill_sdf(
            canvas,
            centre,
            half,
            shape.alpha,
            1.0,
            round_rect_sdf(half, radius * s),
            |_, _| colour,
        ),
    }
}

fn paint_focal(canvas: &mut Canvas, focal: &Focal, s: f32) {
    let c = scaled(focal.centre, s);
    let r = focal.radius * s;
    let shadow = [0, 0, 0];
    match focal.kind {
        FocalKind::Orb => {
            let shadow_half = [0.95 * r, 0.22 * r];
            fill_sdf(
                canvas,
                [c[0] + 0.1 * r, c[1] + 0.95 * r],
                shadow_half,
                0.3,
                0.25 * r,
                ellipse_sdf(shadow_half),
                |_, _| shadow,
            );
            let (base, light) = (focal.colour, focal.detail);
            fill_sdf(
                canvas,
                c,
                [r, r],
                1.0,
                1.0,
                ellipse_sdf([r, r]),
                move |dx, dy| {
                    let (nx, ny) = (dx / r, dy / r);
                    let nz = (1.0 - nx * nx - ny * ny).max(0.0).sqrt();
                    let lambert = (-0.45 * nx - 0.55 * ny + 0.7 * nz).max(0.0);
                    let shade = 0.35 + 0.75 * lambert;
                    let spec = lambert.powi(24);
                    let lit: Rgb =
                        std::array::from_fn(|k| (f32::from(base[k]) * shade).min(255.0) as u8);
                    mix(lit, light, f64::from(spec * 0.8))
                },
            );
        }
        FocalKind::Tile => {
            let half = [0.85 * r, 0.85 * r];
            fill_sdf(
                canvas,
                [c[0] + 0.06 * r, c[1] + 0.12 * r],
                half,
                0.28,
                0.15 * r,
                round_rect_sdf(half, 0.25 * r),
                |_, _| shadow,
            );
            let (top, bottom) = (
                mix(focal.colour, [255, 255, 255], 0.2),
                mix(focal.colour, [0, 0, 0], 0.25),
            );
            fill_sdf(
                canvas,
                c,
                half,
                1.0,
                1.0,
                round_rect_sdf(half, 0.25 * r),
                move |_, dy| {
                    mix(
                        top,
                        bottom,
                        f64::from((dy / (1.7 * r) + 0.5).clamp(0.0, 1.0)),
                    )
                },
            );
            let detail = focal.detail;
            fill_sdf(
                canvas,
                c,
                [0.45 * r, 0.45 * r],
                1.0,
                1.0,
                ellipse_sdf([0.45 * r, 0.45 * r]),
                |_, _| detail,
            );
        }
        FocalKind::Badge => {
            let (main, detail) = (focal.colour, focal.detail);
            fill_sdf(canvas, c, [r, r], 1.0, 1.0, ellipse_sdf([r, r]), |_, _| {
                main
            });
            let (rr, t) = (0.74 * r, (0.12 * r).max(1.0));
            fill_sdf(
                canvas,
                c,
                [r, r],
                1.0,
                1.0,
                move |dx, dy| (len(dx, dy) - rr).abs() - 0.5 * t,
                |_, _| detail,
            );
            fill_sdf(
                canvas,
                c,
                [0.42 * r, 0.42 * r],
                1.0,
                1.0,
                ellipse_sdf([0.42 * r, 0.42 * r]),
                |_, _| detail,
            );
            fill_sdf(
                canvas,
                c,
                [0.18 * r, 0.18 * r],
                1.0,
                1.0,
                ellipse_sdf([0.18 * r, 0.18 * r]),
                |_, _| main,
            );
        }
    }
}

fn paint_panel(canvas: &mut Canvas, panel: &Panel, s: f32) {
    let [x0, y0, x1, y1] = panel.rect.map(|v| v * s);
    let centre = [0.5 * (x0 + x1), 0.5 * (y0 + y1)];
    let half = [0.5 * (x1 - x0), 0.5 * (y1 - y0)];
    let colour = panel.colour;
    fill_sdf(
        canvas,
        centre,
        half,
        1.0,
        1.0,
        round_rect_sdf(half, panel.radius * s),
        |_, _| colour,
    );
}

/// Whole-image statistics of a rendered design.
#[derive(Debug, Clone, Copy)]
pub struct PixelStats {
    /// Hasler–Süsstrunk M3.
    pub colorfulness: f64,
    /// Mean HSV saturation.
    pub saturation: f64,
    /// Mean BT.601 luma / 255.
    pub brightness: f64,
    /// Share of pixels whose luma steps by more than [`EDGE_STEP`] to the
    /// right or downward neighbour (L1).
    pub edge_share: f64,
}

/// Luma step (grey levels) that counts as an edge.
pub const EDGE_STEP: f64 = 48.0;

/// Statistics of a canvas.
pub fn pixel_stats(canvas: &Canvas) -> PixelStats {
    let (w, h) = (canvas.w as usize, canvas.h as usize);
    let n = (w * h).max(1) as f64;
    let (mut srg, mut syb, mut srg2, mut syb2) = (0.0, 0.0, 0.0, 0.0);
    let (mut sat, mut luma) = (0.0, 0.0);
    let mut ys = vec![0f64; w * h];
    for (i, p) in canvas.px.chunks_exact(3).enumerate() {
        let (r, g, b) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
        let rg = r - g;
        let yb = 0.5 * (r + g) - b;
        srg += rg;
        syb += yb;
        srg2 += rg * rg;
        syb2 += yb * yb;
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        if max > 0.0 {
            sat += (max - min) / max;
        }
        let y = 0.299 * r + 0.587 * g + 0.114 * b;
        ys[i] = y;
        luma += y;
    }
    let (mrg, myb) = (srg / n, syb / n);
    let vrg = (srg2 / n - mrg * mrg).max(0.0);
    let vyb = (syb2 / n - myb * myb).max(0.0);
    let mut edges = 0usize;
    for y in 0..h.saturating_sub(1) {
        for x in 0..w.saturating_sub(1) {
            let v = ys[y * w + x];
            if (ys[y * w + x + 1] - v).abs() + (ys[(y + 1) * w + x] - v).abs() > EDGE_STEP {
                edges += 1;
            }
        }
    }
    PixelStats {
        colorfulness: (vrg + vyb).sqrt() + 0.3 * (mrg * mrg + myb * myb).sqrt(),
        saturation: sat / n,
        brightness: luma / n / 255.0,
        edge_share: edges as f64 / n,
    }
}

/// A grid of designs, `columns` wide, each fitted into a `cell`-pixel
/// square on a grey ground.
pub fn contact_sheet(designs: &[Design], columns: u32, cell: u32) -> RgbImage {
    use rayon::prelude::*;
    let columns = columns.max(1);
    let rows = (designs.len() as u32).div_ceil(columns).max(1);
    let gap = (cell / 16).max(2);
    let (w, h) = (columns * (cell + gap) + gap, rows * (cell + gap) + gap);
    let mut sheet = RgbImage::from_pixel(w, h, image::Rgb([40, 42, 46]));
    let thumbs: Vec<RgbImage> = designs
        .par_iter()
        .map(|d| {
            let full = render(d, 1.0).into_image();
            let s = cell as f32 / d.width.max(d.height) as f32;
            let (tw, th) = (
                ((d.width as f32 * s).round() as u32).max(1),
                ((d.height as f32 * s).round() as u32).max(1),
            );
            image::imageops::resize(&full, tw, th, image::imageops::FilterType::Triangle)
        })
        .collect();
    for (i, thumb) in thumbs.iter().enumerate() {
        let (col, row) = (i as u32 % columns, i as u32 / columns);
        let x = gap + col * (cell + gap) + (cell - thumb.width()) / 2;
        let y = gap + row * (cell + gap) + (cell - thumb.height()) / 2;
        image::imageops::overlay(&mut sheet, thumb, i64::from(x), i64::from(y));
    }
    sheet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::layout::Recipe;

    #[test]
    fn a_flat_grey_has_no_colour_and_no_edges() {
        let canvas = Canvas {
            w: 4,
            h: 3,
            px: vec![128; 36],
        };
        let s = pixel_stats(&canvas);
        assert_eq!(
            (s.colorfulness, s.saturation, s.edge_share),
            (0.0, 0.0, 0.0)
        );
        assert!((s.brightness - 128.0 / 255.0).abs() < 1e-12);
    }

    #[test]
    fn a_ring_is_round_to_the_outside_of_its_stroke() {
        let mut canvas = Canvas {
            w: 100,
            h: 100,
            px: vec![255; 100 * 100 * 3],
        };
        let ring = Shape {
            kind: ShapeKind::Ring { stroke: 10.0 },
            centre: [50.0, 50.0],
            half: [30.0, 30.0],
            colour: [0, 0, 0],
            alpha: 1.0,
        };
        paint_shape(&mut canvas, &ring, 1.0);
        let ink = |x: f32, y: f32| canvas.px[(y as usize * 100 + x as usize) * 3] < 128;
        // 33 px out, inside the stroke's outer half (30 ± 5), straight out
        // and on the diagonal alike; 37 px out is past it.
        let diagonal = std::f32::consts::FRAC_1_SQRT_2;
        for (dx, dy) in [(1.0, 0.0), (0.0, -1.0), (diagonal, diagonal)] {
            assert!(ink(50.0 + 33.0 * dx, 50.0 + 33.0 * dy), "{dx} {dy}");
            assert!(!ink(50.0 + 37.0 * dx, 50.0 + 37.0 * dy), "{dx} {dy}");
        }
    }

    #[test]
    fn text_ink_falls_inside_the_recorded_ink_boxes() {
        for seed in [3u64, 8] {
            let mut recipe = Recipe::random(seed, Some((1200, 630)));
            recipe.layout = crate::synth::Layout::TextHeavy;
            recipe.text_contrast = 8.0;
            let design = recipe.build("t");
            assert!(!design.text.is_empty());
            let with_text = render(&design, 1.0);
            let mut bare = design.clone();
            bare.text.clear();
            let without = render(&bare, 1.0);
            let w = design.width as usize;
            let mut changed = 0;
            for (i, (a, b)) in with_text
                .px
                .chunks_exact(3)
                .zip(without.px.chunks_exact(3))
                .enumerate()
            {
                if a != b {
                    changed += 1;
                    let (x, y) = ((i % w) as u32, (i / w) as u32);
                    assert!(
                        design.text.iter().any(|l| x >= l.ink_box[0]
                            && x < l.ink_box[2]
                            && y >= l.ink_box[1]
                            && y < l.ink_box[3]),
                        "seed {seed}: ink at ({x}, {y}) outside every box"
                    );
                }
            }
            assert!(changed > 1000, "seed {seed}: {changed} pixels of text");
        }
    }

    #[test]
    fn encoding_gives_the_declared_format_and_size() {
        for seed in 0..6u64 {
            let design = Recipe::random(seed, None).build("e");
            let bytes = encode(&design);
            let format = image::guess_format(&bytes).expect("a known format");
            let expected = match design.format {
                ImageFormat::Png => image::ImageFormat::Png,
                ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            };
            assert_eq!(format, expected);
            let decoded = image::load_from_memory(&bytes).expect("decodes");
            assert_eq!(
                (decoded.width(), decoded.height()),
                (design.width, design.height)
            );
        }
    }
}
