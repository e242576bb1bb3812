//! The in-memory training set every learner reads: a row-major feature
//! matrix with its names, the 0..100 target, optional row weights, and for
//! each row its platform, publication time and post id (for the time-based
//! holdout, per-platform models and the holdout predictions table).

use chrono::{DateTime, Utc};

use super::TrainError;

/// A dense row-major matrix of `f64`; `NaN` marks a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// A matrix from row-major values; `data.len()` must be `rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Matrix, TrainError> {
        if data.len() != rows * cols {
            return Err(TrainError::BadDataset(format!(
                "a {rows}x{cols} matrix needs {} values, got {}",
                rows * cols,
                data.len()
            )));
        }
        Ok(Matrix { rows, cols, data })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The values, row after row.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// The values, row after row, to change in place.
    pub fn data_mut(&mut self) -> &mut [f64] {
        &mut self.data
    }

    /// One row.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The value at row `i`, column `j`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// Sets the value at row `i`, column `j`.
    pub fn set(&mut self, i: usize, j: usize, value: f64) {
        self.data[i * self.cols + j] = value;
    }

    /// One column, copied.
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows).map(|i| self.get(i, j)).collect()
    }

    /// The rows at `indices`, in that order.
    pub fn select_rows(&self, indices: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(indices.len() * self.cols);
        for &i in indices {
            data.extend_from_slice(self.row(i));
        }
        Matrix {
            rows: indices.len(),
            cols: self.cols,
            data,
        }
    }

    /// The columns at `indices`, in that order.
    pub fn select_columns(&self, indices: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(self.rows * indices.len());
        for i in 0..self.rows {
            let row = self.row(i);
            data.extend(indices.iter().map(|&j| row[j]));
        }
        Matrix {
            rows: self.rows,
            cols: indices.len(),
            data,
        }
    }

    /// The values column after column (the layout forust-ml reads).
    pub fn column_major(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.data.len());
        for j in 0..self.cols {
            out.extend((0..self.rows).map(|i| self.get(i, j)));
        }
        out
    }
}

/// A training set: features, target and what identifies each row.
#[derive(Debug, Clone)]
pub struct Dataset {
    feature_names: Vec<String>,
    features: Matrix,
    target: Vec<f64>,
    weights: Option<Vec<f64>>,
    platforms: Vec<String>,
    published_at: Vec<DateTime<Utc>>,
    post_ids: Vec<String>,
}

/// The columns of one [`Dataset`] row besides its features.
#[derive(Debug, Clone, PartialEq)]
pub struct RowInfo {
    /// The post's id.
    pub post_id: String,
    /// The post's platform.
    pub platform: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// Its `performance_score`, 0..100.
    pub target: f64,
    /// Its balancing weight (1 when the dataset has none).
    pub weight: f64,
}

impl Dataset {
    /// A dataset from its parts, checked: one name per column, one target,
    /// platform, time and id per row, targets in 0..=100, weights finite and
    /// not negative with a positive sum, features finite or `NaN`.
    pub fn new(
        feature_names: Vec<String>,
        features: Matrix,
        rows: Vec<RowInfo>,
        weighted: bool,
    ) -> Result<Dataset, TrainError> {
        let bad = |m: String| Err(TrainError::BadDataset(m));
        if feature_names.len() != features.cols() {
            return bad(format!(
                "{} feature names for {} columns",
                feature_names.len(),
                features.cols()
            ));
        }
        if rows.len() != features.rows() {
            return bad(format!(
                "{} rows of targets for {} rows of features",
                rows.len(),
                features.rows()
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(name) = feature_names.iter().find(|n| !seen.insert(n.as_str())) {
            return bad(format!("feature {name:?} appears twice"));
        }
        if let Some((i, v)) = features
            .data()
            .iter()
            .enumerate()
            .find(|(_, v)| v.is_infinite())
        {
            let (row, col) = (i / features.cols(), i % features.cols());
            return bad(format!(
                "feature {} of post {} is {v}; use NaN for a missing value",
                feature_names[col], rows[row].post_id
            ));
        }
        if let Some(r) = rows
            .iter()
            .find(|r| !(r.target.is_finite() && (0.0..=100.0).contains(&r.target)))
        {
            return bad(format!(
                "post {} has performance_score {}, outside 0..100",
                r.post_id, r.target
            ));
        }
        if weighted {
            if let Some(r) = rows
                .iter()
                .find(|r| !(r.weight.is_finite() && r.weight >= 0.0))
            {
                return bad(format!("post {} has weight {}", r.post_id, r.weight));
            }
            if rows.iter().map(|r| r.weight).sum::<f64>() <= 0.0 {
                return bad("the weights add up to 0".to_string());
            }
        }
        let weights = weighted.then(|| rows.iter().map(|r| r.weight).collect());
        let mut target = Vec::with_capacity(rows.len());
        let mut platforms = Vec::with_capacity(rows.len());
        let mut published_at = Vec::with_capacity(rows.len());
        let mut post_ids = Vec::with_capacity(rows.len());
        for r in rows {
            target.push(r.target);
            platforms.push(r.platform);
            published_at.push(r.published_at);
            post_ids.push(r.post_id);
        }
        Ok(Dataset {
            feature_names,
            features,
            target,
            weights,
            platforms,
            published_at,
            post_ids,
        })
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// The feature names, one per column.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The feature matrix.
    pub fn features(&self) -> &Matrix {
        &self.features
    }

    /// The `performance_score` of each row.
    pub fn target(&self) -> &[f64] {
        &self.target
    }

    /// The balancing weight of each row, when the dataset has them.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// The platform of each row.
    pub fn platforms(&self) -> &[String] {
        &self.platforms
    }

    /// The publication time of each row.
    pub fn published_at(&self) -> &[DateTime<Utc>] {
        &self.published_at
    }

    /// The post id of each row.
    pub fn post_ids(&self) -> &[String] {
        &self.post_ids
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let pick = |v: &[String]| indices.iter().map(|&i| v[i].clone()).collect();
        Dataset {
            feature_names: self.feature_names.clone(),
            features: self.features.select_rows(indices),
            target: indices.iter().map(|&i| self.target[i]).collect(),
            weights: self
                .weights
                .as_ref()
                .map(|w| indices.iter().map(|&i| w[i]).collect()),
            platforms: pick(&self.platforms),
            published_at: indices.iter().map(|&i| self.published_at[i]).collect(),
            post_ids: pick(&self.post_ids),
        }
    }

    /// The rows of one platform.
    pub fn platform(&self, platform: &str) -> Dataset {
        let rows: Vec<usize> = (0..self.len())
            .filter(|&i| self.platforms[i] == platform)
            .collect();
        self.select(&rows)
    }

    /// The distinct platforms and their row counts, by name.
    pub fn platform_counts(&self) -> Vec<(String, usize)> {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for p in &self.platforms {
            *counts.entry(p).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(p, n)| (p.to_string(), n))
            .collect()
    }

    /// The earliest and latest publication times.
    pub fn time_range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let min = self.published_at.iter().min()?;
        let max = self.published_at.iter().max()?;
        Some((*min, *max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, target: f64) -> RowInfo {
        RowInfo {
            post_id: id.to_string(),
            platform: "instagram".to_string(),
            published_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            target,
            weight: 1.0,
        }
    }

    #[test]
    fn a_target_outside_0_to_100_is_refused_with_the_post() {
        let m = Matrix::new(2, 1, vec![1.0, 2.0]).unwrap();
        let err = Dataset::new(
            vec!["a".into()],
            m,
            vec![row("p1", 50.0), row("p2", 101.0)],
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("p2"), "{err}");
    }

    #[test]
    fn selecting_rows_keeps_rows_together() {
        let m = Matrix::new(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let d = Dataset::new(
            vec!["a".into(), "b".into()],
            m,
            vec![row("p0", 0.0), row("p1", 10.0), row("p2", 20.0)],
            false,
        )
        .unwrap();
        let s = d.select(&[2, 0]);
        assert_eq!(s.features().row(0), &[5.0, 6.0]);
        assert_eq!(s.target(), &[20.0, 0.0]);
        assert_eq!(s.post_ids(), &["p2".to_string(), "p0".to_string()]);
        assert_eq!(
            d.features().column_major(),
            vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
        );
    }
}
