//! How rows are split for evaluation: shuffled k-fold cross-validation and
//! a time-based holdout of the latest weeks. Both are deterministic given
//! their seed.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::TrainError;

/// One fold: the rows to train on and the rows to score.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    /// Rows the model is fitted on.
    pub train: Vec<usize>,
    /// Rows it is scored on.
    pub test: Vec<usize>,
}

/// `k` folds over `rows` (positions into some dataset), shuffled by `seed`:
/// every row is scored exactly once, fold sizes differ by at most one.
pub fn k_fold(rows: &[usize], k: usize, seed: u64) -> Result<Vec<Fold>, TrainError> {
    if k < 2 || rows.len() < k {
        return Err(TrainError::TooFewRows {
            what: format!("{k}-fold cross-validation"),
            rows: rows.len(),
            needed: k.max(2),
        });
    }
    let mut shuffled = rows.to_vec();
    shuffled.shuffle(&mut StdRng::seed_from_u64(seed));
    let base = shuffled.len() / k;
    let extra = shuffled.len() % k;
    let mut folds = Vec::with_capacity(k);
    let mut start = 0;
    for f in 0..k {
        let size = base + usize::from(f < extra);
        let test = shuffled[start..start + size].to_vec();
        let train = shuffled[..start]
            .iter()
            .chain(&shuffled[start + size..])
            .copied()
            .collect();
        folds.push(Fold { train, test });
        start += size;
    }
    Ok(folds)
}

/// The time-based holdout: rows published after `latest - weeks` are held
/// out; the rest train. Errors when either side would be empty.
pub fn time_holdout(published_at: &[DateTime<Utc>], weeks: u32) -> Result<Fold, TrainError> {
    let latest = published_at.iter().max().ok_or(TrainError::TooFewRows {
        what: "a time-based holdout".to_string(),
        rows: 0,
        needed: 2,
    })?;
    let cutoff = *latest - Duration::weeks(i64::from(weeks));
    let (test, train): (Vec<usize>, Vec<usize>) =
        (0..published_at.len()).partition(|&i| published_at[i] > cutoff);
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::BadHoldout {
            weeks,
            train: train.len(),
            holdout: test.len(),
        });
    }
    Ok(Fold { train, test })
}

/// A holdout given by a date: rows published at or after `from` are held
/// out, the rest train. Errors when either side would be empty.
pub fn holdout_from(
    published_at: &[DateTime<Utc>],
    from: DateTime<Utc>,
) -> Result<Fold, TrainError> {
    let (test, train): (Vec<usize>, Vec<usize>) =
        (0..published_at.len()).partition(|&i| published_at[i] >= from);
    if train.is_empty() || test.is_empty() {
        return Err(TrainError::BadHoldout {
            weeks: 0,
            train: train.len(),
            holdout: test.len(),
        });
    }
    Ok(Fold { train, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_fold_scores_every_row_once_and_is_seeded() {
        let rows: Vec<usize> = (0..23).collect();
        let folds = k_fold(&rows, 5, 7).unwrap();
        let mut scored: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
        scored.sort();
        assert_eq!(scored, rows);
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), 23);
            assert!(f.test.iter().all(|t| !f.train.contains(t)));
        }
        assert_eq!(folds, k_fold(&rows, 5, 7).unwrap());
        assert_ne!(folds, k_fold(&rows, 5, 8).unwrap());
    }

    #[test]
    fn the_holdout_is_the_latest_weeks() {
        let day = |d: i64| DateTime::from_timestamp(d * 86_400, 0).unwrap();
        let times: Vec<_> = (0..70).map(day).collect();
        let fold = time_holdout(&times, 2).unwrap();
        assert_eq!(fold.test, (56..70).collect::<Vec<_>>());
        assert!(fold.train.iter().all(|&i| times[i] <= day(55)));
        assert!(time_holdout(&times, 20).is_err());
    }
}
