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

use crate::stats::{chi2_sf, normal_cdf, normal_quantile};

/// Every function of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    vec![
        unary("normal_cdf", normal_cdf),
        unary("normal_quantile", normal_quantile),
        binary("chi2_sf", chi2_sf),
    ]
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
