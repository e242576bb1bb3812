//! The Rust side of `make bench-train`: reads the benchmark's Parquet file
//! (columns `f0..`, the target `y`, and `is_test`), fits CreativeIQ's
//! gradient-boosted trees (forust-ml) and random forest (smartcore) with
//! the hyperparameters given as JSON, and prints one JSON line per model
//! with its fit time and test R². `tests/bench/train_bench.py` runs it
//! beside XGBoost and scikit-learn on the same file.
//!
//! Usage: train_bench DATA.parquet BOOSTING_PARAMS_JSON FOREST_PARAMS_JSON

use std::time::Instant;

use arrow::array::{Array, BooleanArray, Float64Array};
use creativeiq::train::metrics::r2;
use creativeiq::train::{Fitted, Matrix, Params};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, boosting, forest] = args.as_slice() else {
        return Err(
            "usage: train_bench DATA.parquet BOOSTING_PARAMS_JSON FOREST_PARAMS_JSON".into(),
        );
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?.build()?;
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut y = Vec::new();
    let mut is_test = Vec::new();
    for batch in reader {
        let batch = batch?;
        let schema = batch.schema();
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name();
            if name == "is_test" {
                let a = array
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or("is_test: boolean")?;
                is_test.extend((0..a.len()).map(|i| a.value(i)));
                continue;
            }
            let a = array
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or("columns: float64")?;
            if name == "y" {
                y.extend(a.values().iter());
            } else {
                let j = match names.iter().position(|n| n == name) {
                    Some(j) => j,
                    None => {
                        names.push(name.clone());
                        columns.push(Vec::new());
                        names.len() - 1
                    }
                };
                columns[j].extend(a.values().iter());
            }
        }
    }
    let split = |test: bool| -> Result<(Matrix, Vec<f64>), Box<dyn std::error::Error>> {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| is_test[i] == test).collect();
        let mut data = Vec::with_capacity(rows.len() * columns.len());
        for &i in &rows {
            data.extend(columns.iter().map(|c| c[i]));
        }
        let targets = rows.iter().map(|&i| y[i]).collect();
        Ok((Matrix::new(rows.len(), columns.len(), data)?, targets))
    };
    let (train_x, train_y) = split(false)?;
    let (test_x, test_y) = split(true)?;
    for (name, params) in [("gradient_boosting", boosting), ("random_forest", forest)] {
        let params: Params = serde_json::from_str(params)?;
        let started = Instant::now();
        let model = Fitted::fit(&params, &train_x, &train_y, None, 42)?;
        let seconds = started.elapsed().as_secs_f64();
        let predicted = model.predict(&test_x)?;
        println!(
            "{}",
            serde_json::json!({
                "model": name,
                "seconds": seconds,
                "r2": r2(&test_y, &predicted),
                "train_rows": train_x.rows(),
                "test_rows": test_x.rows(),
                "features": train_x.cols(),
            })
        );
    }
    Ok(())
}
