//! Statistics shared by the stages: the normal and chi-square
//! distributions (DataFusion has no `erf`), the tests the pipeline's
//! decisions rest on, and the drift measure. Pure functions on slices.
//!
//! - [`normal_cdf`], [`normal_quantile`], [`chi2_sf`]: distributions;
//! - [`two_proportion_z`]: the A/B test of two rates;
//! - [`benjamini_hochberg`]: false-discovery-rate adjusted p-values;
//! - [`wilcoxon_signed_rank`]: the paired test of two models' errors;
//! - [`population_stability_index`]: how far a distribution has moved.

/// Φ(x), through `erfc` so that the far tails keep their precision.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p): Acklam's rational approximation (relative error 1.15e-9)
/// refined by one Halley step on `erfc`, which brings it to about 1e-15.
pub fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// P(X > x) for X ~ chi-square(df): the regularized upper incomplete gamma
/// Q(df/2, x/2), by its series below a + 1 and its continued fraction above
/// (Numerical Recipes, `gammq`).
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let (a, x) = (df / 2.0, x / 2.0);
    let log_prefix = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            n += 1.0;
            term *= x / n;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        1.0 - sum * log_prefix.exp()
    } else {
        // Lentz's method for the continued fraction.
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        log_prefix.exp() * h
    }
}

/// The two-sided two-proportion z-test of `x1/n1` against `x2/n2` (pooled
/// standard error): `(z, p)`. `None` when a side has no trials or the pooled
/// rate is 0 or 1 (no variance, nothing to test).
pub fn two_proportion_z(x1: f64, n1: f64, x2: f64, n2: f64) -> Option<(f64, f64)> {
    if n1 <= 0.0 || n2 <= 0.0 {
        return None;
    }
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se.is_nan() || se <= 0.0 {
        return None;
    }
    let z = (x1 / n1 - x2 / n2) / se;
    Some((z, 2.0 * normal_cdf(-z.abs())))
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the input's order:
/// a finding is kept at false-discovery rate `q` when its value is `<= q`.
/// NaN p-values stay NaN and do not count as tests.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| !p_values[i].is_nan())
        .collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len() as f64;
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut running_min = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let q = p_values[i] * m / (rank + 1) as f64;
        running_min = running_min.min(q);
        adjusted[i] = running_min;
    }
    adjusted
}

/// The outcome of a Wilcoxon signed-rank test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedRankTest {
    /// Non-zero differences ranked (zeros are dropped, Wilcoxon's way).
    pub n: usize,
    /// The sum of the ranks of the positive differences.
    pub w_plus: f64,
    /// The normal approximation's statistic, tie-corrected; positive when
    /// the differences lean positive.
    pub z: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

/// The Wilcoxon signed-rank test that the paired differences `d` are
/// centred on zero, by the normal approximation with the tie correction
/// (sound from about 20 non-zero pairs; fewer give a p-value of 1, which
/// is the honest answer for a promotion decision).
pub fn wilcoxon_signed_rank(differences: &[f64]) -> SignedRankTest {
    let mut nonzero: Vec<f64> = differences
        .iter()
        .copied()
        .filter(|d| d.is_finite() && *d != 0.0)
        .collect();
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let n = nonzero.len();
    let mut w_plus = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && nonzero[j + 1].abs() == nonzero[i].abs() {
            j += 1;
        }
        // Tied magnitudes share the mean of their ranks.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let ties = (j - i + 1) as f64;
        tie_term += ties * ties * ties - ties;
        w_plus += rank * nonzero[i..=j].iter().filter(|d| **d > 0.0).count() as f64;
        i = j + 1;
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let variance = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
    if n < 20 || variance.is_nan() || variance <= 0.0 {
        return SignedRankTest {
            n,
            w_plus,
            z: 0.0,
            p_value: 1.0,
        };
    }
    let z = (w_plus - mean) / variance.sqrt();
    SignedRankTest {
        n,
        w_plus,
        z,
        p_value: 2.0 * normal_cdf(-z.abs()),
    }
}

/// The population stability index of `current` against `reference`, over
/// `bins` bins cut at the reference's quantiles (ties merge bins), with
/// empty bins floored at 1e-4 so the logarithm stays finite. `None` when
/// either side has no finite value. The usual reading: below 0.1 stable,
/// 0.1 to 0.25 moved, above 0.25 shifted.
pub fn population_stability_index(reference: &[f64], current: &[f64], bins: usize) -> Option<f64> {
    let finite = |v: &[f64]| -> Vec<f64> {
        let mut f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        f.sort_by(f64::total_cmp);
        f
    };
    let (reference, current) = (finite(reference), finite(current));
    if reference.is_empty() || current.is_empty() || bins == 0 {
        return None;
    }
    let mut edges: Vec<f64> = (1..bins)
        .map(|b| reference[(b * reference.len() / bins).min(reference.len() - 1)])
        .collect();
    edges.dedup();
    let shares = |values: &[f64]| -> Vec<f64> {
        let mut counts = vec![0usize; edges.len() + 1];
        for v in values {
            // A value on an edge belongs below it, so a constant reference
            // still has a bin above it.
            counts[edges.partition_point(|e| e < v)] += 1;
        }
        counts
            .iter()
            .map(|&c| (c as f64 / values.len() as f64).max(1e-4))
            .collect()
    };
    let (expected, actual) = (shares(&reference), shares(&current));
    Some(
        expected
            .iter()
            .zip(&actual)
            .map(|(e, a)| (a - e) * (a / e).ln())
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_matches_known_values() {
        // Values from any statistics table (R: pnorm).
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert!((normal_cdf(-3.0) - 0.001_349_898_031_630_094_6).abs() < 1e-15);
        assert!((normal_cdf(-8.0) - 6.220_960_574_271_785e-16).abs() < 1e-24);
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        for p in [1e-10, 0.001, 0.02, 0.3, 0.5, 0.8, 0.99, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() < 1e-12 * p.max(1e-3), "{p}");
        }
        assert!(normal_quantile(0.0).is_nan() && normal_quantile(1.0).is_nan());
    }

    #[test]
    fn chi2_sf_matches_known_values() {
        // R: pchisq(x, df, lower.tail = FALSE)
        assert!((chi2_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-12);
        assert!((chi2_sf(10.0, 3.0) - 0.018_566_135_463_043_5).abs() < 1e-12);
        assert!((chi2_sf(1.0, 5.0) - 0.962_565_773_247_062).abs() < 1e-12);
        // df = 1 is the two-sided normal tail: P(|Z| > z).
        let z: f64 = 2.5;
        assert!((chi2_sf(z * z, 1.0) - 2.0 * normal_cdf(-z)).abs() < 1e-13);
        assert_eq!(chi2_sf(0.0, 2.0), 1.0);
    }

    #[test]
    fn two_proportion_z_matches_a_hand_computation() {
        // 120/1000 against 90/1000: pooled 0.105; scipy.stats.norm.sf
        // gives z 2.188266, p 0.028650.
        let (z, p) = two_proportion_z(120.0, 1000.0, 90.0, 1000.0).unwrap();
        assert!((z - 2.188_266).abs() < 1e-6, "{z}");
        assert!((p - 0.028_650).abs() < 1e-6, "{p}");
        assert!(two_proportion_z(0.0, 10.0, 0.0, 10.0).is_none());
        assert!(two_proportion_z(1.0, 0.0, 0.0, 10.0).is_none());
    }

    #[test]
    fn benjamini_hochberg_matches_r() {
        // scipy.stats.false_discovery_control([0.01, 0.04, 0.03, 0.005, 0.5])
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.5]);
        let r = [0.025, 0.05, 0.05, 0.025, 0.5];
        for (a, b) in q.iter().zip(r) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[f64::NAN, 0.2])[0].is_nan());
    }

    #[test]
    fn wilcoxon_matches_r_normal_approximation() {
        // scipy.stats.wilcoxon(np.arange(1, 26) - 5.5, method="approx",
        // correction=False): W- = 27.5, p = 0.000279868 (ties corrected).
        let d: Vec<f64> = (1..=25).map(|i| f64::from(i) - 5.5).collect();
        let t = wilcoxon_signed_rank(&d);
        assert_eq!(t.n, 25);
        assert_eq!(t.w_plus, 325.0 - 27.5);
        assert!((t.p_value - 0.000_279_868).abs() < 1e-8, "{t:?}");
        assert!(t.z > 0.0);
        let flipped: Vec<f64> = d.iter().map(|x| -x).collect();
        let f = wilcoxon_signed_rank(&flipped);
        assert!((f.p_value - t.p_value).abs() < 1e-12 && f.z < 0.0);
        // Too few pairs to decide anything.
        assert_eq!(wilcoxon_signed_rank(&[1.0, 2.0, 3.0]).p_value, 1.0);
    }

    #[test]
    fn psi_is_zero_for_the_same_distribution_and_grows_with_a_shift() {
        let reference: Vec<f64> = (0..1000).map(f64::from).collect();
        let same = population_stability_index(&reference, &reference, 10).unwrap();
        assert!(same.abs() < 1e-12);
        let shifted: Vec<f64> = reference.iter().map(|x| x + 300.0).collect();
        let moved = population_stability_index(&reference, &shifted, 10).unwrap();
        assert!(moved > 0.25, "{moved}");
        let slightly: Vec<f64> = reference.iter().map(|x| x + 20.0).collect();
        let small = population_stability_index(&reference, &slightly, 10).unwrap();
        assert!(small > 0.0 && small < 0.1, "{small}");
        assert!(population_stability_index(&[], &reference, 10).is_none());
        // A constant reference still compares.
        assert!(population_stability_index(&[1.0; 50], &[2.0; 50], 10).unwrap() > 1.0);
    }
}
