//! Permutation importance: how much a model's holdout score drops when one
//! feature's values are shuffled among the rows, breaking its link to the
//! target. It means the same for every model kind, unlike each library's
//! own importance.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::dataset::Matrix;
use super::metrics;
use super::TrainError;

/// One feature's permutation importance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Permutation {
    /// Mean drop of the score over the repeats.
    pub mean: f64,
    /// Standard deviation of the drop.
    pub std: f64,
}

/// For each column of `x`, the drop of `score(predictions)` when that column
/// is shuffled, over `repeats` shuffles seeded from `seed`.
pub fn permutation_importance(
    predict: impl Fn(&Matrix) -> Result<Vec<f64>, TrainError>,
    score: impl Fn(&[f64]) -> f64,
    x: &Matrix,
    repeats: usize,
    seed: u64,
) -> Result<Vec<Permutation>, TrainError> {
    let base = score(&predict(x)?);
    let repeats = repeats.max(1);
    let mut out = Vec::with_capacity(x.cols());
    for j in 0..x.cols() {
        let mut drops = Vec::with_capacity(repeats);
        let original = x.column(j);
        let mut shuffled_x = x.clone();
        for r in 0..repeats {
            let mut column = original.clone();
            let stream = seed ^ ((j as u64) << 32) ^ r as u64;
            column.shuffle(&mut StdRng::seed_from_u64(stream));
            for (i, v) in column.into_iter().enumerate() {
                shuffled_x.set(i, j, v);
            }
            drops.push(base - score(&predict(&shuffled_x)?));
        }
        let mean = drops.iter().sum::<f64>() / repeats as f64;
        let var = drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / repeats as f64;
        out.push(Permutation {
            mean,
            std: var.sqrt(),
        });
    }
    Ok(out)
}

/// The score permutation importance uses for a regressor: R².
pub fn regression_score(actual: &[f64]) -> impl Fn(&[f64]) -> f64 + '_ {
    move |predicted| metrics::r2(actual, predicted)
}

/// The score it uses for the tier classifier: accuracy at probability 0.5.
pub fn tier_score(actual_top: &[bool]) -> impl Fn(&[f64]) -> f64 + '_ {
    move |probability| {
        let predicted: Vec<bool> = probability.iter().map(|p| *p >= 0.5).collect();
        metrics::accuracy(actual_top, &predicted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_feature_the_model_reads_matters() {
        // A "model" that returns column 0 times 10; column 1 is ignored.
        let rows = 200;
        let data: Vec<f64> = (0..rows)
            .flat_map(|i| [i as f64, ((i * 7) % 13) as f64])
            .collect();
        let x = Matrix::new(rows, 2, data).unwrap();
        let y: Vec<f64> = (0..rows).map(|i| i as f64 * 10.0).collect();
        let predict = |m: &Matrix| Ok(m.column(0).iter().map(|v| v * 10.0).collect());
        let imp = permutation_importance(predict, regression_score(&y), &x, 3, 1).unwrap();
        assert!(imp[0].mean > 1.0, "{imp:?}");
        assert_eq!(imp[1].mean, 0.0);
    }
}
