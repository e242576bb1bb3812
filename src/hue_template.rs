//! Matsuda's harmonic hue templates as parameterised by Cohen-Or et al.
//! (2006), and how far a set of weighted hues lies outside the best of them.
//!
//! The extractor scores a design's palette with [`template_miss`]
//! (`color_harmony`). It stands apart from the extractor's modules so that
//! any stage that reasons about hue relations can use the same definition.

/// A hue template: sectors given as (centre offset, width) in degrees.
type Template = &'static [(f64, f64)];

/// The templates i, V, L, I, T, Y and X.
const TEMPLATES: [Template; 7] = [
    &[(0.0, 18.0)],                // i
    &[(0.0, 93.6)],                // V
    &[(0.0, 18.0), (90.0, 79.2)],  // L
    &[(0.0, 18.0), (180.0, 18.0)], // I
    &[(0.0, 180.0)],               // T
    &[(0.0, 93.6), (180.0, 18.0)], // Y
    &[(0.0, 93.6), (180.0, 93.6)], // X
];

/// Shortest angular distance between two hues, 0..180.
pub fn arc(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

/// Distance from a hue to the nearest sector border, 0 when inside.
fn distance_to_template(hue: f64, template: Template, rotation: f64) -> f64 {
    template
        .iter()
        .map(|&(centre, width)| (arc(hue, centre + rotation) - width / 2.0).max(0.0))
        .fold(f64::INFINITY, f64::min)
}

/// The weighted mean distance (degrees) of `hues` (hue in degrees, weight)
/// to the best template at its best rotation; `None` when no hue has
/// weight.
///
/// The cost is piecewise linear in the rotation, and its minimum lies where
/// some hue sits exactly on some sector border: those rotations are the
/// only ones tried, which makes the search exact rather than a grid.
pub fn template_miss(hues: &[(f64, f64)]) -> Option<f64> {
    let total: f64 = hues.iter().map(|&(_, w)| w).sum();
    if total <= 0.0 {
        return None;
    }
    let mut best = f64::INFINITY;
    for template in TEMPLATES {
        for &(centre, width) in template {
            for &(hue, weight) in hues {
                if weight <= 0.0 {
                    continue;
                }
                for border in [-width / 2.0, width / 2.0] {
                    let rotation = hue - centre - border;
                    let cost: f64 = hues
                        .iter()
                        .map(|&(h, w)| w * distance_to_template(h, template, rotation))
                        .sum();
                    best = best.min(cost);
                }
            }
        }
    }
    Some(best / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same search on a fine grid of rotations.
    fn grid_miss(hues: &[(f64, f64)]) -> f64 {
        let total: f64 = hues.iter().map(|&(_, w)| w).sum();
        let mut best = f64::INFINITY;
        for template in TEMPLATES {
            for k in 0..36_000 {
                let rotation = f64::from(k) * 0.01;
                let cost: f64 = hues
                    .iter()
                    .map(|&(h, w)| w * distance_to_template(h, template, rotation))
                    .sum();
                best = best.min(cost);
            }
        }
        best / total
    }

    #[test]
    fn border_rotations_find_the_grid_minimum() {
        let cases: [&[(f64, f64)]; 5] = [
            &[(0.0, 1.0), (120.0, 1.0), (240.0, 1.0)],
            &[(10.0, 0.5), (105.0, 0.2), (215.0, 0.3)],
            &[(33.0, 0.1), (77.0, 0.4), (190.0, 0.2), (290.0, 0.3)],
            &[(0.0, 1.0), (180.0, 1.0)],
            &[(300.0, 2.0)],
        ];
        for hues in cases {
            let exact = template_miss(hues).unwrap();
            let grid = grid_miss(hues);
            assert!(exact <= grid + 1e-9, "{hues:?}: {exact} > {grid}");
            assert!(grid - exact < 0.01, "{hues:?}: {exact} vs {grid}");
        }
    }

    #[test]
    fn a_triad_misses_and_a_complementary_pair_does_not() {
        // X, the widest pair of sectors, leaves one triad hue 26.4° out.
        let triad = template_miss(&[(0.0, 1.0), (120.0, 1.0), (240.0, 1.0)]).unwrap();
        assert!((triad - 26.4 / 3.0).abs() < 1e-9, "{triad}");
        assert_eq!(template_miss(&[(20.0, 1.0), (200.0, 3.0)]), Some(0.0));
        assert_eq!(template_miss(&[(20.0, 0.0)]), None);
    }
}
