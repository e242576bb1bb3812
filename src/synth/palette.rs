//! Colours: palettes from harmonious to clashing, WCAG contrast, and text
//! colours picked to reach a chosen contrast against their ground.

use serde::Serialize;

use super::rng::Rng;

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// The hue scheme a palette starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// One hue in several lightnesses.
    Monochrome,
    /// Neighbouring hues (±30°).
    Analogous,
    /// Opposite hues.
    Complementary,
    /// A hue and the two neighbours of its opposite.
    SplitComplementary,
}

impl Scheme {
    const ALL: [Scheme; 4] = [
        Scheme::Monochrome,
        Scheme::Analogous,
        Scheme::Complementary,
        Scheme::SplitComplementary,
    ];

    /// Hue offsets (degrees) of the primary, secondary and accent colours.
    fn offsets(self) -> [f64; 3] {
        match self {
            Scheme::Monochrome => [0.0, 0.0, 8.0],
            Scheme::Analogous => [0.0, 30.0, -30.0],
            Scheme::Complementary => [0.0, 180.0, 180.0],
            Scheme::SplitComplementary => [0.0, 150.0, 210.0],
        }
    }
}

/// Hue offsets that fit none of the classic schemes. Matsuda's templates
/// are more forgiving: the best rotation of X (two opposite 93.6° sectors)
/// leaves only about 11° outside in all, so `color_harmony` barely sees the
/// clash and the extractor's `scheme_fit` is what tells it.
const DISCORDANT: [f64; 3] = [0.0, 105.0, 215.0];

/// A design's colours.
#[derive(Debug, Clone, Serialize)]
pub struct Palette {
    /// The scheme it starts from.
    pub scheme: Scheme,
    /// 1 = hues exactly on the scheme's offsets, 0 = hues moved all the
    /// way to [`DISCORDANT`], which fits no classic scheme.
    pub harmony: f64,
    /// 0 = near-greys, 1 = fully saturated accents.
    pub vividness: f64,
    /// The base hue in degrees.
    pub base_hue: f64,
    /// Hues (degrees) of primary, secondary and accent.
    pub hues: [f64; 3],
    /// Background: light, dark or coloured.
    pub ground: Ground,
    /// Background colours (a gradient or texture runs between them).
    pub background: [Rgb; 2],
    /// The focal object's colour.
    pub primary: Rgb,
    /// Decorative shapes.
    pub secondary: Rgb,
    /// Calls to action and highlights.
    pub accent: Rgb,
}

/// The lightness family of a background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ground {
    /// Near-white.
    Light,
    /// Near-black.
    Dark,
    /// A mid-lightness colour.
    Coloured,
}

impl Palette {
    /// A random palette.
    pub fn random(rng: &mut Rng) -> Palette {
        let harmony = if rng.chance(0.5) {
            rng.range(0.8, 1.0)
        } else {
            rng.unit()
        };
        let vividness = rng.unit().powf(0.8);
        let scheme = *rng.pick(&Scheme::ALL);
        let ground = match rng.weighted(&[0.45, 0.3, 0.25]) {
            0 => Ground::Light,
            1 => Ground::Dark,
            _ => Ground::Coloured,
        };
        Palette::new(rng, scheme, harmony, vividness, ground)
    }

    /// A palette with the given character; the rest drawn from `rng`.
    pub fn new(
        rng: &mut Rng,
        scheme: Scheme,
        harmony: f64,
        vividness: f64,
        ground: Ground,
    ) -> Palette {
        let harmony = harmony.clamp(0.0, 1.0);
        let base_hue = rng.range(0.0, 360.0);
        let template = scheme.offsets();
        let hues = std::array::from_fn(|i| {
            let off = lerp_angle(DISCORDANT[i], template[i], harmony);
            (base_hue + off).rem_euclid(360.0)
        });
        let v = vividness.clamp(0.0, 1.0);
        // The second background colour carries the third hue, so that a
        // discordant palette covers enough area to be seen.
        let second_hue = hues[2];
        let background = match ground {
            Ground::Light => {
                let l = rng.range(0.9, 0.97);
                let s = 0.5 * v * rng.unit();
                [
                    hsl(base_hue, s, l),
                    hsl(second_hue, s, l - rng.range(0.0, 0.06)),
                ]
            }
            Ground::Dark => {
                let l = rng.range(0.07, 0.18);
                let s = 0.6 * v * rng.unit();
                [
                    hsl(base_hue, s, l),
                    hsl(second_hue, s, l + rng.range(0.0, 0.08)),
                ]
            }
            Ground::Coloured => {
                let l = rng.range(0.38, 0.62);
                let s = 0.15 + 0.7 * v;
                [
                    hsl(base_hue, s, l),
                    hsl(second_hue, s, l + rng.range(-0.1, 0.1)),
                ]
            }
        };
        Palette {
            scheme,
            harmony,
            vividness: v,
            base_hue,
            hues,
            ground,
            background,
            primary: hsl(hues[0], 0.15 + 0.85 * v, rng.range(0.42, 0.6)),
            secondary: hsl(hues[1], 0.1 + 0.8 * v, rng.range(0.5, 0.72)),
            accent: hsl(hues[2], 0.2 + 0.8 * v, rng.range(0.4, 0.55)),
        }
    }
}

/// `a` moved towards `b` by `t` along the shorter arc (degrees).
fn lerp_angle(a: f64, b: f64, t: f64) -> f64 {
    let d = (b - a + 540.0).rem_euclid(360.0) - 180.0;
    a + d * t
}

/// HSL (hue in degrees, saturation and lightness 0..1) to sRGB.
pub fn hsl(h: f64, s: f64, l: f64) -> Rgb {
    let (s, l) = (s.clamp(0.0, 1.0), l.clamp(0.0, 1.0));
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h.rem_euclid(360.0) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let q = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    [q(r), q(g), q(b)]
}

/// WCAG 2.x relative luminance.
pub fn luminance(c: Rgb) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG 2.x contrast ratio (1..21).
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Mixes two colours: `t` = 0 gives `a`, 1 gives `b`.
pub fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    std::array::from_fn(|i| {
        (f64::from(a[i]) + (f64::from(b[i]) - f64::from(a[i])) * t)
            .round()
            .clamp(0.0, 255.0) as u8
    })
}

/// A colour of hue `hue` and saturation `sat` whose contrast against
/// `ground` is as close to `target` as that hue allows: darker than the
/// ground where that can reach the target, lighter otherwise.
pub fn colour_for_contrast(ground: Rgb, hue: f64, sat: f64, target: f64) -> Rgb {
    let lg = luminance(ground);
    let darkest = (lg + 0.05) / 0.05;
    let lightest = 1.05 / (lg + 0.05);
    let darker = match (darkest >= target, lightest >= target) {
        (true, true) => lg > 0.18,
        (true, false) => true,
        (false, true) => false,
        (false, false) => darkest >= lightest,
    };
    // Luminance rises with HSL lightness at fixed hue and saturation, so
    // "on the chosen side and at least `target`" holds on one end of the
    // lightness range: bisect for its boundary.
    let reaches = |l: f64| {
        let c = hsl(hue, sat, l);
        let lc = luminance(c);
        let side = if darker { lc <= lg } else { lc >= lg };
        side && contrast(c, ground) >= target
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..32 {
        let mid = 0.5 * (lo + hi);
        if reaches(mid) == darker {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hsl(hue, sat, if darker { lo } else { hi })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wcag_contrast_of_black_on_white_is_21() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([10, 20, 30], [10, 20, 30]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn text_colours_reach_their_target_contrast() {
        for ground in [[250, 248, 240], [20, 24, 40], [200, 60, 60], [90, 140, 200]] {
            for target in [1.5, 3.0, 4.5, 7.0] {
                let c = colour_for_contrast(ground, 210.0, 0.3, target);
                let got = contrast(c, ground);
                let best = contrast([0, 0, 0], ground).max(contrast([255, 255, 255], ground));
                if best > target + 0.5 {
                    assert!((got - target).abs() < 0.25, "{ground:?} {target}: {got}");
                }
            }
        }
    }

    #[test]
    fn harmony_moves_hues_from_template_to_discord() {
        let mut rng = Rng::new(5);
        let p = Palette::new(&mut rng, Scheme::Complementary, 1.0, 0.8, Ground::Light);
        let d = (p.hues[1] - p.hues[0]).rem_euclid(360.0);
        assert!((d - 180.0).abs() < 1e-9, "{d}");
        let q = Palette::new(&mut rng, Scheme::Complementary, 0.0, 0.8, Ground::Light);
        let d = (q.hues[1] - q.hues[0]).rem_euclid(360.0);
        assert!((d - 105.0).abs() < 1e-9, "{d}");
    }
}
