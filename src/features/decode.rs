//! Bytes to canonical pixels: format sniffing, size checks before any pixel
//! allocation, and the alpha/bit-depth rules of FEATURES.md "Canonical pixels".

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::error::{ImageError, LimitErrorKind};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// Resource limits applied before and during decoding.
///
/// The header is read first and checked against `max_dimension` and
/// `max_pixels`, so an oversized image is refused before its pixel buffer
/// exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Largest accepted `width * height`.
    pub max_pixels: u64,
    /// Largest accepted width or height, in pixels.
    pub max_dimension: u32,
}

impl Default for DecodeLimits {
    /// 64 MiB of input, 100 megapixels, 20000 px per side.
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_pixels: 100_000_000,
            max_dimension: 20_000,
        }
    }
}

/// Why an input could not be turned into canonical pixels.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input has no bytes at all.
    #[error("empty input: zero bytes")]
    Empty,
    /// The input is larger than `DecodeLimits::max_bytes`.
    #[error("input is {len} bytes, above the limit of {max} bytes")]
    InputTooLarge {
        /// Input length in bytes.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// The leading bytes match no known image signature (random bytes, SVG, text).
    #[error("unrecognised format: the bytes are not a JPEG, PNG, WebP or GIF image")]
    UnrecognizedFormat,
    /// A known image format that this build does not decode (BMP, TIFF, ...).
    #[error("unsupported image format {format}: only JPEG, PNG, WebP and GIF are decoded")]
    UnsupportedFormat {
        /// Name of the detected format.
        format: String,
    },
    /// The header declares a width or height of zero.
    #[error("image header declares an empty image ({width}x{height})")]
    ZeroSize {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The header declares more pixels or a longer side than the limits allow.
    #[error("image is {width}x{height}, above the limits of {max_dimension} px per side and {max_pixels} pixels")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Side limit in force.
        max_dimension: u32,
        /// Pixel-count limit in force.
        max_pixels: u64,
    },
    /// The data ends before the image is complete.
    #[error("truncated image data: the file ends before the image is complete")]
    Truncated,
    /// The data is malformed in some other way.
    #[error("corrupt image data: {0}")]
    Corrupt(String),
}

/// Decoded image in the canonical colour space of FEATURES.md: RGB, 0..255,
/// alpha already composited over white.
///
/// Storage stays as close to the decoded form as possible: 8-bit grey and RGB
/// keep one byte per sample, partially transparent 8-bit images keep their
/// RGBA bytes and are composited on the fly (exactly the floating-point rule
/// of FEATURES.md), and only 16-bit or float sources are widened to `f32`.
#[derive(Debug, Clone)]
pub struct Canonical {
    width: u32,
    height: u32,
    pixels: Pixels,
}

/// Pixel storage variants; see [`Canonical`].
#[derive(Debug, Clone)]
pub(super) enum Pixels {
    Grey8(Vec<u8>),
    Rgb8(Vec<u8>),
    /// Straight (non-premultiplied) alpha; composited over white when read.
    Rgba8(Vec<u8>),
    /// Already composited, 0..255.
    RgbF32(Vec<f32>),
}

impl Canonical {
    /// Wraps 8-bit RGB bytes (row-major, 3 bytes per pixel). Returns `None` if
    /// a side is zero or the length does not match.
    pub fn from_rgb8(width: u32, height: u32, rgb: Vec<u8>) -> Option<Self> {
        let n = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(3)?;
        (width > 0 && height > 0 && rgb.len() == n).then_some(Self {
            width,
            height,
            pixels: Pixels::Rgb8(rgb),
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Canonical RGB (0..255) of one pixel, `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[f32; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = y as usize * self.width as usize + x as usize;
        Some(match &self.pixels {
            Pixels::Grey8(p) => [f32::from(p[i]); 3],
            Pixels::Rgb8(p) => [p[3 * i], p[3 * i + 1], p[3 * i + 2]].map(f32::from),
            Pixels::Rgba8(p) => composite8(&p[4 * i..4 * i + 4]),
            Pixels::RgbF32(p) => [p[3 * i], p[3 * i + 1], p[3 * i + 2]],
        })
    }

    /// Wraps raw storage; for tests of the per-layout fast paths.
    #[cfg(test)]
    pub(super) fn from_pixels(width: u32, height: u32, pixels: Pixels) -> Self {
        Self {
            width,
            height,
            pixels,
        }
    }

    pub(super) fn storage(&self) -> &Pixels {
        &self.pixels
    }

    /// Writes canonical row `y` into `out` (length `width`).
    pub(super) fn row_f32(&self, y: usize, out: &mut [[f32; 3]]) {
        self.span_f32(y, 0..self.width as usize, out);
    }

    /// Writes the pixels `xs` of canonical row `y` into `out` (at least
    /// `xs.len()` long).
    pub(super) fn span_f32(&self, y: usize, xs: std::ops::Range<usize>, out: &mut [[f32; 3]]) {
        debug_assert!(xs.end <= self.width as usize, "a span inside the row");
        let first = y * self.width as usize + xs.start;
        let (start, end) = (first, first + xs.len());
        let out = &mut out[..xs.len()];
        match &self.pixels {
            Pixels::Grey8(p) => {
                for (o, &v) in out.iter_mut().zip(&p[start..end]) {
                    *o = [f32::from(v); 3];
                }
            }
            Pixels::Rgb8(p) => {
                for (o, s) in out.iter_mut().zip(p[3 * start..3 * end].chunks_exact(3)) {
                    *o = [f32::from(s[0]), f32::from(s[1]), f32::from(s[2])];
                }
            }
            Pixels::Rgba8(p) => {
                for (o, s) in out.iter_mut().zip(p[4 * start..4 * end].chunks_exact(4)) {
                    *o = composite8(s);
                }
            }
            Pixels::RgbF32(p) => {
                for (o, s) in out.iter_mut().zip(p[3 * start..3 * end].chunks_exact(3)) {
                    *o = [s[0], s[1], s[2]];
                }
            }
        }
    }
}

/// `c * a + 255 * (1 - a)` with `a = alpha / 255`, evaluated in f64 as the
/// definition says, then stored as f32. Opaque and fully transparent
/// pixels (most of a cut-out illustration) are exact without it.
#[inline]
pub(super) fn composite8(px: &[u8]) -> [f32; 3] {
    match px[3] {
        255 => return [px[0], px[1], px[2]].map(f32::from),
        0 => return [255.0; 3],
        _ => {}
    }
    let a = f64::from(px[3]) / 255.0;
    let k = 255.0 * (1.0 - a);
    [0, 1, 2].map(|c| (f64::from(px[c]) * a + k) as f32)
}

/// Decodes JPEG, PNG, WebP or GIF (first frame) into canonical pixels.
///
/// The header is parsed and its dimensions checked before any pixel buffer
/// is allocated; every failure is a [`DecodeError`], never a panic.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Canonical, DecodeError> {
    decode_with(bytes, limits, |_| ()).map(|(img, ())| img)
}

/// What the header says, before any pixel buffer exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    pub width: u32,
    pub height: u32,
    /// Bytes per pixel of the buffer the codec will fill.
    pub decoded_bpp: u8,
}

impl Header {
    /// Most bytes that decoding and canonicalising this image hold at once:
    /// the codec's buffer, plus the canonical copy where the layout cannot
    /// be reused in place (grey+alpha, 16-bit, float).
    pub(super) fn peak_bytes(&self) -> u64 {
        let pixels = u64::from(self.width) * u64::from(self.height);
        let canonical_copy = match self.decoded_bpp {
            1 | 3 | 4 => 0,
            2 => 4,
            _ => 12,
        };
        pixels * (u64::from(self.decoded_bpp) + canonical_copy)
    }
}

/// [`decode`], calling `before_pixels` with the checked header before the
/// pixel buffer is allocated; its result (a memory reservation, say) is
/// handed back beside the image so it lives as long as the caller wants.
pub(super) fn decode_with<G>(
    bytes: &[u8],
    limits: &DecodeLimits,
    before_pixels: impl FnOnce(&Header) -> G,
) -> Result<(Canonical, G), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(DecodeError::InputTooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    // The codecs are third-party code fed untrusted bytes; a panic inside one
    // must not take down a batch job, so it becomes an ordinary error.
    catch_unwind(AssertUnwindSafe(|| {
        decode_checked(bytes, limits, before_pixels)
    }))
    .unwrap_or_else(|_| Err(DecodeError::Corrupt("the decoder panicked".into())))
}

fn decode_checked<G>(
    bytes: &[u8],
    limits: &DecodeLimits,
    before_pixels: impl FnOnce(&Header) -> G,
) -> Result<(Canonical, G), DecodeError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let format = reader.format().ok_or(DecodeError::UnrecognizedFormat)?;
    if !format.reading_enabled() {
        return Err(DecodeError::UnsupportedFormat {
            format: format!("{format:?}"),
        });
    }
    let mut reader = reader;
    reader.limits(codec_limits(limits));
    let decoder = reader.into_decoder().map_err(map_image_error)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let header = Header {
        width,
        height,
        decoded_bpp: decoder.color_type().bytes_per_pixel(),
    };
    let reservation = before_pixels(&header);
    let image = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    // The JPEG decoder fills a short file with grey instead of failing;
    // features of half an image would be silently wrong.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(DecodeError::Truncated);
    }
    Ok((canonicalize(image), reservation))
}

/// Whether a JPEG reaches its end-of-image marker: walks the marker
/// segments and skips each scan's entropy-coded data, so bytes appended
/// after the marker (phones store motion-photo videos there) do not count
/// and a file cut anywhere before it does.
fn jpeg_is_complete(b: &[u8]) -> bool {
    let segment_end = |i: usize| -> Option<usize> {
        let len = usize::from(u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]));
        Some(i + 2 + len)
    };
    let mut i = 2; // after SOI
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            i += 1;
            continue;
        }
        match b[i + 1] {
            0xD9 => return true,
            0xFF => i += 1,
            0x01 | 0xD0..=0xD7 => i += 2,
            0xDA => {
                let Some(mut j) = segment_end(i) else {
                    return false;
                };
                // Entropy-coded data ends at the first marker that is not a
                // stuffed byte (FF 00) or a restart marker.
                loop {
                    match b
                        .get(j..)
                        .and_then(|rest| rest.iter().position(|&v| v == 0xFF))
                    {
                        None => return false,
                        Some(k) => j += k,
                    }
                    match b.get(j + 1) {
                        None => return false,
                        Some(0x00 | 0xD0..=0xD7) => j += 2,
                        Some(0xFF) => j += 1,
                        Some(_) => break,
                    }
                }
                i = j;
            }
            _ => match segment_end(i) {
                Some(end) => i = end,
                None => return false,
            },
        }
    }
    false
}

/// A backstop for the codecs' own allocations; the real gate is
/// [`check_dimensions`], which sees the header first.
fn codec_limits(limits: &DecodeLimits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = None;
    l.max_image_height = None;
    // 8 bytes per pixel covers RGBA16, the widest layout these codecs emit.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(64 << 20));
    l
}

fn check_dimensions(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::ZeroSize { width, height });
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_dimension || height > limits.max_dimension || pixels > limits.max_pixels {
        return Err(DecodeError::TooLarge {
            width,
            height,
            max_dimension: limits.max_dimension,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

fn map_image_error(e: ImageError) -> DecodeError {
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated
        }
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                DecodeError::Corrupt(format!("decoder limit exceeded: {l}"))
            }
            _ => DecodeError::Corrupt(l.to_string()),
        },
        ImageError::Unsupported(u) => DecodeError::UnsupportedFormat {
            format: u.to_string(),
        },
        other => {
            let msg = other.to_string().trim().to_string();
            // Codecs report a short read in their own words rather than as an
            // io error, so the message is the only portable signal.
            let lower = msg.to_ascii_lowercase();
            let short = ["eof", "end of file", "truncat", "not enough bytes"];
            if short.iter().any(|s| lower.contains(s)) {
                DecodeError::Truncated
            } else {
                DecodeError::Corrupt(msg)
            }
        }
    }
}

/// Applies the FEATURES.md canonical rules while reusing the decoded buffer
/// wherever the layout already fits.
fn canonicalize(image: DynamicImage) -> Canonical {
    let (width, height) = (image.width(), image.height());
    let pixels = match image {
        DynamicImage::ImageLuma8(b) => Pixels::Grey8(b.into_raw()),
        DynamicImage::ImageRgb8(b) => Pixels::Rgb8(b.into_raw()),
        DynamicImage::ImageRgba8(b) => rgba8_pixels(b.into_raw()),
        DynamicImage::ImageLumaA8(b) => grey_alpha8_pixels(b.into_raw()),
        DynamicImage::ImageLuma16(b) => Pixels::RgbF32(
            b.as_raw()
                .iter()
                .flat_map(|&v| [f32::from(v) / 257.0; 3])
                .collect(),
        ),
        DynamicImage::ImageRgb16(b) => {
            Pixels::RgbF32(b.as_raw().iter().map(|&v| f32::from(v) / 257.0).collect())
        }
        DynamicImage::ImageLumaA16(b) => Pixels::RgbF32(
            b.as_raw()
                .chunks_exact(2)
                .flat_map(|p| composite16([p[0], p[0], p[0], p[1]]))
                .collect(),
        ),
        DynamicImage::ImageRgba16(b) => Pixels::RgbF32(
            b.as_raw()
                .chunks_exact(4)
                .flat_map(|p| composite16([p[0], p[1], p[2], p[3]]))
                .collect(),
        ),
        other => float_pixels(&other),
    };
    Canonical {
        width,
        height,
        pixels,
    }
}

/// Fully opaque RGBA is the common case for PNG exports; dropping the alpha
/// in place keeps the fast 8-bit path and frees a quarter of the memory.
fn rgba8_pixels(mut raw: Vec<u8>) -> Pixels {
    if raw.chunks_exact(4).any(|p| p[3] != 255) {
        return Pixels::Rgba8(raw);
    }
    let n = raw.len() / 4;
    for i in 0..n {
        raw.copy_within(4 * i..4 * i + 3, 3 * i);
    }
    raw.truncate(3 * n);
    raw.shrink_to_fit();
    Pixels::Rgb8(raw)
}

fn grey_alpha8_pixels(raw: Vec<u8>) -> Pixels {
    if raw.chunks_exact(2).all(|p| p[1] == 255) {
        return Pixels::Grey8(raw.chunks_exact(2).map(|p| p[0]).collect());
    }
    Pixels::Rgba8(
        raw.chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
    )
}

fn composite16(p: [u16; 4]) -> [f32; 3] {
    let a = f64::from(p[3]) / 65535.0;
    let k = 255.0 * (1.0 - a);
    [0, 1, 2].map(|c| (f64::from(p[c]) / 257.0 * a + k) as f32)
}

/// Float sources (no codec enabled here emits them, but `DynamicImage` is
/// open-ended): 0..1 floats, composited over white.
fn float_pixels(image: &DynamicImage) -> Pixels {
    let rgba = image.to_rgba32f();
    Pixels::RgbF32(
        rgba.as_raw()
            .chunks_exact(4)
            .flat_map(|p| {
                let a = unit(p[3]);
                let k = 255.0 * (1.0 - a);
                [0, 1, 2].map(|c| (unit(p[c]) * 255.0 * a + k) as f32)
            })
            .collect(),
    )
}

/// A float sample clamped to 0..1, NaN read as 0, so no NaN reaches the
/// statistics.
fn unit(v: f32) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        f64::from(v.clamp(0.0, 1.0))
    }
}
