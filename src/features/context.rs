//! Context features that depend on the post's platform rather than on the
//! pixels alone.

/// The native aspect ratios (width / height) of each platform's feed, from
/// FEATURES.md.
pub fn native_ratios(platform: &str) -> &'static [f64] {
    match platform {
        "instagram" => &[1.0, 0.8, 1.91, 9.0 / 16.0],
        "linkedin" => &[1.91, 1.0],
        "facebook" => &[1.91, 1.0, 0.8],
        "tiktok" => &[9.0 / 16.0],
        "x" => &[16.0 / 9.0],
        // Portfolio sites show any ratio; 4:3 is their thumbnail.
        "dribbble" | "behance" => &[4.0 / 3.0],
        _ => &[],
    }
}

/// `platform_aspect_fit`: the distance of `aspect_ratio` to the platform's
/// nearest native ratio, as |ln(ratio / native)|: 0 is a perfect fit, and a
/// crop to half the width or height costs the same (ln 2) either way. None
/// for a platform without native ratios.
pub fn platform_aspect_fit(aspect_ratio: f64, platform: &str) -> Option<f64> {
    if !(aspect_ratio.is_finite() && aspect_ratio > 0.0) {
        return None;
    }
    native_ratios(platform)
        .iter()
        .map(|native| (aspect_ratio / native).ln().abs())
        .min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vertical_video_fits_tiktok_and_not_linkedin() {
        let vertical = 1080.0 / 1920.0;
        assert!(platform_aspect_fit(vertical, "tiktok").unwrap() < 1e-9);
        assert!(platform_aspect_fit(vertical, "linkedin").unwrap() > 0.5);
        assert!(
            platform_aspect_fit(1.91, "tiktok").unwrap()
                > platform_aspect_fit(vertical, "tiktok").unwrap()
        );
        assert_eq!(platform_aspect_fit(1.0, "myspace"), None);
    }
}
