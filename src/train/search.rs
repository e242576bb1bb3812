//! The hyperparameter search: a kind's candidates (the defaults and any
//! costly candidate first, the rest in a seeded order) scored by
//! cross-validation on the training rows only, until the candidate count or
//! the time budget runs out.
//!
//! The caller's `score` closure sees only the training rows, which is what
//! keeps the holdout out of the choice. With a time budget, how many
//! candidates fit in it depends on the machine; a run is reproducible given
//! the seed and `max_candidates` when the budget is not what stops it.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::model::{ModelKind, Params};
use super::TrainError;

/// How much searching to do per model kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchBudget {
    /// Most candidates tried (at least the defaults are).
    pub max_candidates: usize,
    /// Stop starting new candidates after this long.
    pub time_limit: Duration,
    /// Cross-validation folds per candidate.
    pub folds: usize,
}

impl Default for SearchBudget {
    fn default() -> Self {
        SearchBudget {
            max_candidates: 5,
            time_limit: Duration::from_secs(120),
            folds: 3,
        }
    }
}

/// A kind's hyperparameter candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpace {
    /// Tried first, in this order: the defaults, then any candidate too
    /// costly to leave to the seeded order of the rest.
    pub first: Vec<Params>,
    /// Tried after `first`, in an order drawn from the seed.
    pub rest: Vec<Params>,
}

/// A candidate and its cross-validated score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The hyperparameters.
    pub params: Params,
    /// Mean score over the folds.
    pub score: f64,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    /// The best candidate's hyperparameters.
    pub best: Params,
    /// Every candidate tried, in order.
    pub tried: Vec<Candidate>,
}

/// Tries `kind`'s candidates with `score` (mean CV score on the training
/// rows; higher is better) within `budget`.
pub fn search(
    kind: ModelKind,
    budget: &SearchBudget,
    seed: u64,
    mut score: impl FnMut(&Params) -> Result<f64, TrainError>,
) -> Result<SearchOutcome, TrainError> {
    let SearchSpace { first, mut rest } = kind.search_space();
    rest.shuffle(&mut StdRng::seed_from_u64(seed));
    let started = Instant::now();
    let mut tried: Vec<Candidate> = Vec::new();
    for params in first
        .into_iter()
        .chain(rest)
        .take(budget.max_candidates.max(1))
    {
        if !tried.is_empty() && started.elapsed() > budget.time_limit {
            tracing::info!(%kind, tried = tried.len(), "search time budget spent");
            break;
        }
        let s = score(&params)?;
        tracing::debug!(%kind, score = s, ?params, "search candidate");
        tried.push(Candidate { params, score: s });
    }
    // NaN scores (a constant target in a fold) never win.
    let best = tried
        .iter()
        .filter(|c| !c.score.is_nan())
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .unwrap_or(&tried[0])
        .params
        .clone();
    Ok(SearchOutcome { best, tried })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tried_with(kind: ModelKind, candidates: usize, seed: u64) -> Vec<Params> {
        let budget = SearchBudget {
            max_candidates: candidates,
            time_limit: Duration::from_secs(3600),
            folds: 3,
        };
        let outcome = search(kind, &budget, seed, |_| Ok(0.0)).unwrap();
        outcome.tried.into_iter().map(|c| c.params).collect()
    }

    #[test]
    fn the_first_candidates_keep_their_order_and_the_rest_follow_the_seed() {
        let SearchSpace { first, rest } = ModelKind::GbtDepthwise.search_space();
        assert_eq!(first[0], ModelKind::GbtDepthwise.default_params());
        assert!(
            first.len() >= 2,
            "depth-wise boosting has its costly candidate first"
        );
        let orders: Vec<Vec<Params>> = (0..6)
            .map(|seed| tried_with(ModelKind::GbtDepthwise, first.len() + rest.len(), seed))
            .collect();
        for tried in &orders {
            assert_eq!(tried[..first.len()], first[..]);
            assert_eq!(tried.len(), first.len() + rest.len());
        }
        assert!(
            orders.iter().any(|o| o != &orders[0]),
            "six seeds all tried the rest in one order"
        );
    }
}
