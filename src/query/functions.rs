//! Statistical functions the views need and DataFusion lacks (it has no
//! `erf`): registered as scalar UDFs on every session.
//!
//! - `normal_cdf(x)`: the standard normal distribution function Φ(x);
//! - `normal_quantile(p)`: its inverse, Φ⁻¹(p) (NULL outside 0 < p < 1);
//! - `chi2_sf(x, df)`: the chi-square survival function P(X > x) with `df`
//!   degrees of freedom (the p-value of a chi-square test).
//!
//! Each takes and returns `DOUBLE`; a NULL or NaN argument gives NULL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};

/// Every function of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    vec![
        unary("normal_cdf", normal_cdf),
        unary("normal_quantile", normal_quantile),
        binary("chi2_sf", chi2_sf),
    ]
}

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

fn as_float_array(value: &ColumnarValue, rows: usize) -> Result<Float64Array> {
    let array = value.to_array(rows)?;
    let array = arrow::compute::cast(&array, &DataType::Float64)?;
    Ok(array
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| DataFusionError::Internal("a cast to Float64 gives Float64".into()))?
        .clone())
}

fn finite_or_null(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn rows_of(args: &[ColumnarValue]) -> usize {
    args.iter()
        .find_map(|a| match a {
            ColumnarValue::Array(array) => Some(array.len()),
            ColumnarValue::Scalar(_) => None,
        })
        .unwrap_or(1)
}

fn unary(name: &str, f: fn(f64) -> f64) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Float64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let rows = rows_of(args);
            let x = as_float_array(&args[0], rows)?;
            let out: Float64Array = x
                .iter()
                .map(|v| v.and_then(|v| finite_or_null(f(v))))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
        }),
    )
}

fn binary(name: &str, f: fn(f64, f64) -> f64) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Float64, DataType::Float64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let rows = rows_of(args);
            let x = as_float_array(&args[0], rows)?;
            let y = as_float_array(&args[1], rows)?;
            let out: Float64Array = x
                .iter()
                .zip(y.iter())
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => finite_or_null(f(a, b)),
                    _ => None,
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
        }),
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
}
