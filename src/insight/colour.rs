//! Colour distance: palette colours (`#rrggbb`) in CIELAB and the CIEDE2000
//! colour difference between them (Sharma, Wu and Dalal 2005).

use crate::features::rgb_to_lab;

/// A CIELAB colour (L*, a*, b*; D65, 2°).
pub type Lab = [f64; 3];

/// The CIELAB colour of `#rrggbb` (the `#` is optional); `None` when it is
/// not six hex digits.
pub fn hex_to_lab(hex: &str) -> Option<Lab> {
    let digits = hex.strip_prefix('#').unwrap_or(hex);
    if digits.len() != 6 || !digits.is_ascii() {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
    Some(rgb_to_lab([
        f64::from(channel(0)?),
        f64::from(channel(2)?),
        f64::from(channel(4)?),
    ]))
}

/// `#rrggbb` of a CIELAB colour (out-of-gamut channels clamped).
pub fn lab_to_hex(lab: Lab) -> String {
    let [r, g, b] = crate::features::lab_to_rgb(lab).map(|c| (c.clamp(0.0, 255.0) + 0.5) as u8);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The CIEDE2000 difference ΔE00 between two CIELAB colours (kL = kC = kH
/// = 1). About 1 is the smallest difference a person notices side by side;
/// above 10 two colours read as different colours.
pub fn ciede2000(lab1: Lab, lab2: Lab) -> f64 {
    let [l1, a1, b1] = lab1;
    let [l2, a2, b2] = lab2;
    let pow25_7 = 25f64.powi(7);
    let c_bar = (a1.hypot(b1) + a2.hypot(b2)) / 2.0;
    let g = 0.5 * (1.0 - (c_bar.powi(7) / (c_bar.powi(7) + pow25_7)).sqrt());
    let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
    let (c1p, c2p) = (a1p.hypot(b1), a2p.hypot(b2));
    let hue = |b: f64, a: f64| {
        if a == 0.0 && b == 0.0 {
            0.0
        } else {
            b.atan2(a).to_degrees().rem_euclid(360.0)
        }
    };
    let (h1p, h2p) = (hue(b1, a1p), hue(b2, a2p));
    let chroma_product = c1p * c2p;
    let dl = l2 - l1;
    let dc = c2p - c1p;
    let dh = if chroma_product == 0.0 {
        0.0
    } else {
        let d = h2p - h1p;
        if d > 180.0 {
            d - 360.0
        } else if d < -180.0 {
            d + 360.0
        } else {
            d
        }
    };
    let dh_big = 2.0 * chroma_product.sqrt() * (dh.to_radians() / 2.0).sin();
    let l_bar = (l1 + l2) / 2.0;
    let c_bar_p = (c1p + c2p) / 2.0;
    let h_bar = if chroma_product == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= 180.0 {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 360.0 {
        (h1p + h2p + 360.0) / 2.0
    } else {
        (h1p + h2p - 360.0) / 2.0
    };
    let cos = |deg: f64| deg.to_radians().cos();
    let t =
        1.0 - 0.17 * cos(h_bar - 30.0) + 0.24 * cos(2.0 * h_bar) + 0.32 * cos(3.0 * h_bar + 6.0)
            - 0.20 * cos(4.0 * h_bar - 63.0);
    let d_theta = 30.0 * (-((h_bar - 275.0) / 25.0).powi(2)).exp();
    let r_c = 2.0 * (c_bar_p.powi(7) / (c_bar_p.powi(7) + pow25_7)).sqrt();
    let s_l = 1.0 + 0.015 * (l_bar - 50.0).powi(2) / (20.0 + (l_bar - 50.0).powi(2)).sqrt();
    let s_c = 1.0 + 0.045 * c_bar_p;
    let s_h = 1.0 + 0.015 * c_bar_p * t;
    let r_t = -(2.0 * d_theta).to_radians().sin() * r_c;
    let (tl, tc, th) = (dl / s_l, dc / s_c, dh_big / s_h);
    (tl * tl + tc * tc + th * th + r_t * tc * th)
        .max(0.0)
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs from the test data of Sharma, Wu and Dalal (2005), Table 1.
    #[test]
    fn ciede2000_matches_sharmas_test_data() {
        let pairs = [
            ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
            ([50.0, 2.49, -0.001], [50.0, -2.49, 0.0009], 7.1792),
            ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3669),
            ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
            (
                [60.2574, -34.0099, 36.2677],
                [60.4626, -34.1751, 39.4387],
                1.2644,
            ),
            (
                [22.7233, 20.0904, -46.694],
                [23.0331, 14.973, -42.5619],
                2.0373,
            ),
        ];
        for (a, b, expected) in pairs {
            let got = ciede2000(a, b);
            assert!((got - expected).abs() < 1e-4, "{a:?} {b:?}: {got}");
            assert!((ciede2000(b, a) - expected).abs() < 1e-4, "symmetric");
        }
        assert_eq!(ciede2000([40.0, 10.0, 5.0], [40.0, 10.0, 5.0]), 0.0);
    }

    #[test]
    fn hex_colours_convert_and_bad_ones_are_refused() {
        let white = hex_to_lab("#ffffff").unwrap();
        assert!(
            (white[0] - 100.0).abs() < 1e-2 && white[1].abs() < 1e-2,
            "{white:?}"
        );
        assert_eq!(lab_to_hex(hex_to_lab("#3366cc").unwrap()), "#3366cc");
        assert_eq!(hex_to_lab("#12345"), None);
        assert_eq!(hex_to_lab("#gg0000"), None);
        assert_eq!(hex_to_lab("#ééé"), None);
    }
}
