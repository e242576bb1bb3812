//! Landing images: bytes stored once by content hash under `blobs/images/`,
//! and one `raw/images` row per fetched image with whether it decodes.

use std::io::Cursor;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::contract::{table, Contract};
use crate::lake::{Lake, LakeError};

use super::landing::{Landing, LandingStats};
use super::value::{day_of, Cell};

/// Limits that keep a hostile or broken image from taking the machine down.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Largest decoded size accepted, in pixels (a decompression bomb is bigger).
    pub max_pixels: u64,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_bytes: 50 * 1024 * 1024,
            max_pixels: 100_000_000,
        }
    }
}

/// What a look at an image's bytes found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageProbe {
    /// png, jpeg, gif, webp; None when not recognised.
    pub format: Option<&'static str>,
    /// Width from the header.
    pub width: Option<u32>,
    /// Height from the header.
    pub height: Option<u32>,
    /// `ok`, or one of `empty`, `unsupported`, `too_large`, `truncated`, `corrupt`.
    pub status: &'static str,
    /// The reason, when the status is not `ok`.
    pub error: Option<String>,
}

impl ImageProbe {
    fn failed(format: Option<&'static str>, status: &'static str, error: String) -> ImageProbe {
        ImageProbe {
            format,
            width: None,
            height: None,
            status,
            error: Some(error),
        }
    }

    /// Whether the image decodes.
    pub fn is_ok(&self) -> bool {
        self.status == "ok"
    }

    /// The blob's file extension.
    pub fn extension(&self) -> &'static str {
        extension_for(self.format)
    }
}

/// Checks that `bytes` are an image that decodes within `limits`: the header
/// first (so a bomb is refused before anything is allocated), then a full
/// decode, then the format's end marker (decoders pad a truncated JPEG
/// instead of failing).
pub fn probe(bytes: &[u8], limits: &ImageLimits) -> ImageProbe {
    use image::ImageFormat;
    if bytes.is_empty() {
        return ImageProbe::failed(None, "empty", "zero bytes".into());
    }
    if bytes.len() > limits.max_bytes {
        return ImageProbe::failed(
            None,
            "too_large",
            format!("{} bytes, the limit is {}", bytes.len(), limits.max_bytes),
        );
    }
    let format = match image::guess_format(bytes) {
        Ok(ImageFormat::Png) => "png",
        Ok(ImageFormat::Jpeg) => "jpeg",
        Ok(ImageFormat::Gif) => "gif",
        Ok(ImageFormat::WebP) => "webp",
        Ok(other) => {
            return ImageProbe::failed(
                None,
                "unsupported",
                format!("{other:?} images are not supported (png, jpeg, gif, webp are)"),
            )
        }
        Err(_) => {
            return ImageProbe::failed(None, "unsupported", "not an image (unknown format)".into())
        }
    };
    let reader = || {
        image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .expect("reading from memory cannot fail")
    };
    let (width, height) = match reader().into_dimensions() {
        Ok(dims) => dims,
        Err(e) => return ImageProbe::failed(Some(format), classify(&e), e.to_string()),
    };
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return ImageProbe::failed(
            Some(format),
            "too_large",
            format!(
                "{width}x{height} is {} megapixels, the limit is {} (a decompression bomb?)",
                pixels / 1_000_000,
                limits.max_pixels / 1_000_000
            ),
        );
    }
    let mut decoder = reader();
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(pixels * 8 + (64 << 20));
    decoder.limits(image_limits);
    if let Err(e) = decoder.decode() {
        return ImageProbe::failed(Some(format), classify(&e), e.to_string());
    }
    if let Some(missing) = missing_end_marker(format, bytes) {
        return ImageProbe::failed(Some(format), "truncated", missing.into());
    }
    ImageProbe {
        format: Some(format),
        width: Some(width),
        height: Some(height),
        status: "ok",
        error: None,
    }
}

fn classify(error: &image::ImageError) -> &'static str {
    let text = error.to_string().to_lowercase();
    let eof = matches!(error, image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof);
    if eof || text.contains("eof") || text.contains("end of") || text.contains("truncat") {
        "truncated"
    } else if matches!(error, image::ImageError::Limits(_)) {
        "too_large"
    } else if matches!(error, image::ImageError::Unsupported(_)) {
        "unsupported"
    } else {
        "corrupt"
    }
}

fn missing_end_marker(format: &str, bytes: &[u8]) -> Option<&'static str> {
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    match format {
        "jpeg" if !tail.windows(2).any(|w| w == [0xFF, 0xD9]) => {
            Some("the JPEG ends before its end-of-image marker")
        }
        "png" if !tail.windows(4).any(|w| w == b"IEND") => {
            Some("the PNG ends before its IEND chunk")
        }
        _ => None,
    }
}

/// The blob file extension of an image format (`raw.images.format`).
pub fn extension_for(format: Option<&str>) -> &'static str {
    match format {
        Some("jpeg") => "jpg",
        Some("png") => "png",
        Some("gif") => "gif",
        Some("webp") => "webp",
        _ => "bin",
    }
}

/// The sha256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Where an image's bytes live in the lake.
pub fn blob_path(sha256: &str, extension: &str) -> String {
    format!(
        "blobs/images/{}/{sha256}.{extension}",
        &sha256[..2.min(sha256.len())]
    )
}

/// An image as landed.
#[derive(Debug, Clone)]
pub struct LandedImage {
    /// Its content hash.
    pub sha256: String,
    /// Its blob's lake path (written only when within the size limit).
    pub blob: String,
    /// Its size in bytes.
    pub bytes: usize,
    /// What the decode check found.
    pub probe: ImageProbe,
}

/// Checks one fetched image and stores its bytes once under
/// `blobs/images/` (a broken image too, so its reject can be inspected),
/// unless it is larger than the limit.
pub async fn store(
    lake: &Lake,
    url: &str,
    bytes: Bytes,
    limits: ImageLimits,
) -> Result<LandedImage, LakeError> {
    let checked = bytes.clone();
    // Hashing and decoding are CPU work: off the async workers, and no more
    // at once than there are cores, since each decoded image is held whole
    // in memory while it is checked.
    let permit = checks_in_flight()
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let checked_result =
        tokio::task::spawn_blocking(move || (sha256_hex(&checked), probe(&checked, &limits))).await;
    drop(permit);
    let (sha256, probe) = checked_result.map_err(|e| LakeError::BadLocation {
        location: url.to_string(),
        message: format!("the image check stopped: {e}"),
    })?;
    let blob = blob_path(&sha256, probe.extension());
    let size = bytes.len();
    if size <= limits.max_bytes {
        lake.put_once(&blob, bytes).await?;
    }
    Ok(LandedImage {
        sha256,
        blob,
        bytes: size,
        probe,
    })
}

/// The process-wide limit on image checks running at once: one per core.
fn checks_in_flight() -> &'static tokio::sync::Semaphore {
    static CHECKS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    CHECKS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

/// Collects `raw/images` rows.
pub struct ImageLog {
    contract: &'static Contract,
    landing: Landing,
    limits: ImageLimits,
}

impl ImageLog {
    /// A log whose files are named from `stem` (derive it from the input).
    pub fn new(stem: &str, limits: ImageLimits) -> ImageLog {
        let contract = table("raw.images").expect("raw.images is a built-in contract");
        ImageLog {
            contract,
            landing: Landing::new(contract, format!("{stem}-images")),
            limits,
        }
    }

    /// Checks, stores (once) and registers one fetched image.
    pub async fn land(
        &mut self,
        lake: &Lake,
        url: &str,
        bytes: Bytes,
        fetched_at_micros: i64,
    ) -> Result<LandedImage, LakeError> {
        let landed = store(lake, url, bytes, self.limits).await?;
        self.push(url, &landed, fetched_at_micros);
        Ok(landed)
    }

    /// Registers an image stored before with [`store`].
    pub fn push(&mut self, url: &str, image: &LandedImage, fetched_at_micros: i64) {
        let probe = &image.probe;
        let text = |v: Option<&str>| v.map_or(Cell::Null, |s| Cell::Str(s.to_string().into()));
        let number = |v: Option<u32>| v.map_or(Cell::Null, |n| Cell::Int(i64::from(n)));
        let row: Vec<Cell> = self
            .contract
            .columns
            .iter()
            .map(|c| match c.name.as_str() {
                "dt" => Cell::Str(day_of(fetched_at_micros).into()),
                "sha256" => Cell::Str(image.sha256.clone().into()),
                "url" => Cell::Str(url.to_string().into()),
                "bytes" => Cell::Int(image.bytes as i64),
                "format" => text(probe.format),
                "width" => number(probe.width),
                "height" => number(probe.height),
                "decode_status" => Cell::Str(probe.status.to_string().into()),
                "decode_error" => text(probe.error.as_deref()),
                "fetched_at" => Cell::Time(fetched_at_micros),
                _ => Cell::Null,
            })
            .collect();
        self.landing.push(&row);
    }

    /// Writes the rows.
    pub async fn finish(self, lake: &Lake) -> Result<LandingStats, LakeError> {
        self.landing.finish(lake).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn jpeg() -> Vec<u8> {
        let image =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn good_images_pass_and_bad_ones_say_why() {
        let limits = ImageLimits::default();
        let ok = probe(&png(40, 30), &limits);
        assert_eq!((ok.status, ok.width, ok.height), ("ok", Some(40), Some(30)));
        assert!(probe(&jpeg(), &limits).is_ok());

        assert_eq!(probe(b"", &limits).status, "empty");
        assert_eq!(
            probe(b"<html>not an image</html>", &limits).status,
            "unsupported"
        );
        let good = png(200, 200);
        assert_eq!(probe(&good[..good.len() / 2], &limits).status, "truncated");
        let j = jpeg();
        assert_eq!(probe(&j[..j.len() - 40], &limits).status, "truncated");
        let mut corrupt = good.clone();
        for b in corrupt.iter_mut().skip(60).take(200) {
            *b ^= 0x5A;
        }
        assert!(matches!(
            probe(&corrupt, &limits).status,
            "corrupt" | "truncated"
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A valid PNG whose IHDR (with its CRC fixed up) claims 30000x30000.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&30000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&30000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let found = probe(&bomb, &ImageLimits::default());
        assert_eq!(found.status, "too_large", "{found:?}");
        assert!(found.error.unwrap().contains("900 megapixels"));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn blobs_are_content_addressed() {
        let sha = sha256_hex(b"abc");
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(blob_path(&sha, "png"), format!("blobs/images/ba/{sha}.png"));
    }
}
