//! Visual feature extraction for CreativeIQ: image bytes in, one
//! [`DesignFeatures`] record out, as defined in `FEATURES.md`.
//!
//! # What the stage computes
//!
//! 1. [`decode`] turns JPEG/PNG/WebP/GIF bytes into [`Canonical`] pixels
//!    (RGB 0..255, alpha composited over white), refusing oversized, empty,
//!    truncated or unsupported inputs with a typed [`DecodeError`] before any
//!    large allocation.
//! 2. One pass over the full-resolution pixels (`pixels.rs`) yields the global
//!    statistics: luma brightness, contrast and entropy, HSV saturation,
//!    Hasler–Süsstrunk colourfulness, CIELAB means, and the hue histogram.
//! 3. The image is area-averaged to at most 512 px on its longer side
//!    (`resize.rs`, matching OpenCV `INTER_AREA`). That working image feeds
//!    Canny edges (`canny.rs`), the k-means palette (`palette.rs`), colour
//!    harmony (`harmony.rs`), composition (`layout.rs`) and text detection
//!    (`typography.rs`).
//!
//! # Adding a feature
//!
//! Define it in `FEATURES.md` first. Compute it in the file whose job it
//! matches (or a new file with one job), from the full-resolution pass only
//! if it needs every pixel, otherwise from the working image. Add a field to
//! [`DesignFeatures`] with the FEATURES.md name, append the name to
//! [`FEATURE_NAMES`] and the value to [`DesignFeatures::values`] (the record
//! test checks they agree), fill it in [`extract`], and bump
//! [`EXTRACTOR_VERSION`] so stored rows can be recomputed.
//!
//! The batch job over the lake is [`FeatureJob`] (`batch.rs`): it reads
//! `raw/images` and the blobs, and writes `features/design`.

mod batch;
mod budget;
mod canny;
mod components;
mod context;
mod decode;
mod glyphs;
mod grey;
mod harmony;
mod lab;
mod layout;
mod palette;
mod pixels;
mod record;
mod resize;
mod typography;

pub use self::batch::{
    peak_rss_bytes, FeatureError, FeatureJob, FeatureReport, DEFAULT_MEMORY_BUDGET,
};
pub use self::context::{native_ratios, platform_aspect_fit};
pub use self::decode::{decode, Canonical, DecodeError, DecodeLimits};
pub use self::palette::PaletteColor;
pub use self::record::{DesignFeatures, FEATURE_NAMES};

/// sRGB 0..255 to and from CIELAB (D65), exact: for stages that compare palettes.
pub(crate) use self::lab::{lab_to_rgb, rgb_to_lab};

/// Version of the extraction rules; stored with every feature row.
pub const EXTRACTOR_VERSION: &str = "7";

/// Canny hysteresis thresholds of FEATURES.md.
const CANNY_LOW: i32 = 100;
const CANNY_HIGH: i32 = 200;

/// Computes every feature of one decoded image.
///
/// Deterministic: the same pixels give bit-identical features whatever the
/// thread count. The stages that share no data run side by side on rayon's
/// pool, and the work split within a stage (the statistics pass of images
/// of half a megapixel and more, the resize's bands of rows, text detection's
/// passes) is summed or joined in a fixed order. Never panics.
pub fn extract(img: &Canonical) -> DesignFeatures {
    extract_with(img, Threads::Pool)
}

/// Whether one image's work may spread over rayon's pool.
///
/// The batch job runs one image per pool thread and passes [`Threads::One`]:
/// a thread that waits for its own split work steals other jobs, which
/// would start decoding more images than there are threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Threads {
    /// On the calling thread only.
    One,
    /// Large images split over the pool.
    Pool,
}

/// [`extract`] with the choice of [`Threads`].
pub(crate) fn extract_with(img: &Canonical, threads: Threads) -> DesignFeatures {
    extract_timed(img, threads, &mut |_| {})
}

/// The extraction, calling `lap` with each stage's name as it ends (for
/// [`profile_stages`], on one thread).
fn extract_timed(
    img: &Canonical,
    threads: Threads,
    lap: &mut dyn FnMut(&'static str),
) -> DesignFeatures {
    let (stats, working) = match threads {
        Threads::One => {
            let stats = pixels::global_stats(img, threads);
            lap("pixel statistics");
            (stats, working_features(img, threads, lap))
        }
        // The full-resolution pass and the working image's stages share no
        // data: one image's features take the time of the longer of the
        // two, not their sum (`creativeiq predict` scores one design).
        Threads::Pool => rayon::join(
            || pixels::global_stats(img, threads),
            || working_features(img, threads, &mut |_| {}),
        ),
    };
    let Working {
        edge_density,
        swatches,
        hue_arcs,
        text,
        layout,
        thumbnail_edges,
    } = working;
    let palette_contrast = harmony::palette_contrast(&swatches);
    let features = DesignFeatures {
        width: img.width(),
        height: img.height(),
        aspect_ratio: f64::from(img.width()) / f64::from(img.height()),
        brightness: stats.brightness,
        contrast_rms: stats.contrast_rms,
        grey_entropy: stats.grey_entropy,
        saturation_mean: stats.saturation_mean,
        saturation_std: stats.saturation_std,
        colorfulness: stats.colorfulness,
        lab_l_mean: stats.lab_l_mean,
        lab_a_mean: stats.lab_a_mean,
        lab_b_mean: stats.lab_b_mean,
        lab_l_std: stats.lab_l_std,
        edge_density,
        palette: swatches.iter().map(palette::Swatch::to_public).collect(),
        hue_count: harmony::hue_count(&stats.hue_hist),
        color_harmony: harmony::color_harmony(&swatches),
        palette_contrast,
        wcag_aa: u8::from(palette_contrast >= harmony::WCAG_AA),
        rule_of_thirds: layout.rule_of_thirds,
        balance_lr: layout.balance_lr,
        balance_tb: layout.balance_tb,
        symmetry_lr: layout.symmetry_lr,
        whitespace: layout.whitespace,
        grid_alignment: layout.grid_alignment,
        focal_points: layout.focal_points,
        subject_thirds: layout.subject_thirds,
        text_coverage: text.text_coverage,
        text_lines: text.text_lines,
        text_contrast: text.text_contrast,
        text_hierarchy: text.text_hierarchy,
        readability: text.readability,
        scheme_fit: harmony::scheme_fit(
            &stats.hue_hist,
            u64::from(img.width()) * u64::from(img.height()),
        ),
        thumbnail_edges,
        hue_arc_small: hue_arcs[0],
        hue_arc_mid: hue_arcs[1],
        hue_arc_large: hue_arcs[2],
    };
    lap("harmony, record");
    features
}

/// What the working image (at most 512 px) gives.
struct Working {
    edge_density: f64,
    swatches: Vec<palette::Swatch>,
    hue_arcs: [f64; 3],
    text: typography::Typography,
    layout: layout::Layout,
    thumbnail_edges: f64,
}

/// The stages on the working image; with [`Threads::Pool`], text
/// detection runs beside layout and colour.
fn working_features(
    img: &Canonical,
    threads: Threads,
    lap: &mut dyn FnMut(&'static str),
) -> Working {
    let small = resize::working_image(img, threads);
    lap("resize to 512");
    let grey = grey::Grey::new(&small);
    let grad = canny::sobel(&grey.g8, small.w, small.h);
    let edges = canny::canny(&grad, CANNY_LOW, CANNY_HIGH);
    lap("grey, sobel, canny");
    let text = |threads| typography::typography(&small, &grey, img, threads);
    let layout = || layout::layout_before_text(&small, &grey, &grad, &edges);
    let colours = || match threads {
        Threads::One => (palette::palette(&small), harmony::hue_arcs(&small)),
        // Split, so that the thread done with its share first takes one.
        Threads::Pool => rayon::join(|| palette::palette(&small), || harmony::hue_arcs(&small)),
    };
    let (text, (layout, weight), (swatches, hue_arcs)) = match threads {
        Threads::One => {
            let text = text(threads);
            lap("typography");
            let layout = layout();
            lap("layout");
            let colours = colours();
            lap("palette, hue arcs");
            (text, layout, colours)
        }
        // Text detection, the longest, on this thread (its passes split
        // further); the rest left for the thread the statistics pass frees.
        Threads::Pool => {
            let (text, (layout, colours)) =
                rayon::join(|| text(threads), || rayon::join(layout, colours));
            (text, layout, colours)
        }
    };
    let layout = weight.subject_thirds(layout, &small, &grad, &text.line_boxes);
    lap("subject thirds");
    Working {
        edge_density: edges.iter().filter(|&&e| e).count() as f64 / edges.len().max(1) as f64,
        swatches,
        hue_arcs,
        text,
        layout,
        thumbnail_edges: grey::thumbnail_edges(&grey.y, small.w, small.h),
    }
}

/// Decodes `bytes` under `limits` and extracts its features: the whole
/// stage for one stored image.
pub fn analyze_bytes(bytes: &[u8], limits: &DecodeLimits) -> Result<DesignFeatures, DecodeError> {
    decode(bytes, limits).map(|img| extract(&img))
}

/// [`analyze_bytes`] on the calling thread alone, as the batch job runs
/// each image (for benchmarks that run many images side by side).
pub fn analyze_bytes_on_this_thread(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> Result<DesignFeatures, DecodeError> {
    decode(bytes, limits).map(|img| extract_with(&img, Threads::One))
}

/// Where the time of one image's extraction goes, stage by stage.
#[derive(Clone, Debug, Default)]
pub struct StageProfile {
    /// The image's size.
    pub megapixels: f64,
    /// Seconds per stage, in order, starting with decoding.
    pub seconds: Vec<(&'static str, f64)>,
}

/// Decodes and extracts `bytes` on the calling thread, timing each stage.
pub fn profile_stages(bytes: &[u8], limits: &DecodeLimits) -> Result<StageProfile, DecodeError> {
    let mut last = std::time::Instant::now();
    let img = decode(bytes, limits)?;
    let mut profile = StageProfile {
        megapixels: f64::from(img.width()) * f64::from(img.height()) / 1e6,
        seconds: vec![("decode", last.elapsed().as_secs_f64())],
    };
    last = std::time::Instant::now();
    extract_timed(&img, Threads::One, &mut |stage| {
        profile.seconds.push((stage, last.elapsed().as_secs_f64()));
        last = std::time::Instant::now();
    });
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_image_split_over_the_pool_gives_the_features_of_one_thread() {
        // 1,100 x 700: a fractional downscale to 512 x 326, over several
        // bands of the resize; flat blocks of colour (with "text" strokes)
        // on noise, so every stage has something to find.
        let (w, h) = (1100usize, 700usize);
        let mut state = 5u64;
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 58) as u8;
                let px = match (x / 137, y / 91) {
                    (1..=3, 1..=2) => [200, 40 + noise, 60],
                    (5, 4..=6) if x % 11 < 3 => [10, 10, 10],
                    (5..=7, 4..=6) => [240, 240, 235],
                    _ => [30 + noise, 90, 160 + noise],
                };
                rgb.extend(px);
            }
        }
        let img = Canonical::from_rgb8(w as u32, h as u32, rgb).unwrap();
        let alone = extract_with(&img, Threads::One);
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        assert_eq!(two.install(|| extract_with(&img, Threads::Pool)), alone);
        assert!(alone.edge_density > 0.0 && !alone.palette.is_empty());
    }
}
