//! The training job: for the general scope (`all`) and every platform with
//! enough rows, and for every model kind: search hyperparameters on the
//! training rows, cross-validate, fit on the training rows, score the
//! time-based holdout, compute importances, and pick each scope's champion.
//! A blend is made from its members' models and out-of-fold predictions
//! instead (`blend_of`), after them.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::assemble::FeatureAssembler;
use super::blend::{self, Blend, BlendMember, BlendParams, MEMBERS};
use super::ceiling::{ceiling_r2, TrueRates};
use super::dataset::{Dataset, Matrix};
use super::importance::{permutation_importance, regression_score, tier_score};
use super::manifest::{library_versions, DataRange, Manifest, ModelScores, SavedModel};
use super::metrics::{self, quantile, RegressionMetrics};
use super::model::{Fitted, ModelKind, Params};
use super::prepare::Preparation;
use super::report::{Champion, FoldRow, HoldoutRow, ImportanceRow, ModelMetricsRow, TrainReport};
use super::search::{search, SearchBudget, SearchOutcome};
use super::split::{holdout_from, k_fold, time_holdout, Fold};
use super::TrainError;

/// The scope of the model over every platform.
pub const ALL_SCOPE: &str = "all";

/// A/B test results to score models on: the variants' feature rows (the
/// same input columns as the training set) and which variant won each test.
#[derive(Debug, Clone)]
pub struct AbPairs {
    /// The input column names (must equal the training set's).
    pub feature_names: Vec<String>,
    /// One row per variant.
    pub features: Matrix,
    /// (winner row, loser row, platform of the test when known).
    pub pairs: Vec<(usize, usize, Option<String>)>,
}

/// A training run over one dataset.
#[derive(Debug, Clone)]
pub struct TrainJob {
    run_id: Option<String>,
    kinds: Vec<ModelKind>,
    seed: u64,
    folds: usize,
    holdout_weeks: u32,
    holdout_from: Option<DateTime<Utc>>,
    champion_by_cv: bool,
    search: SearchBudget,
    fixed_params: BTreeMap<ModelKind, Params>,
    ceiling_r2: Option<f64>,
    true_rates: Option<TrueRates>,
    ab_pairs: Option<AbPairs>,
    min_scope_rows: usize,
    per_platform: bool,
    importance_repeats: usize,
    extractor_version: String,
    assembler: Option<FeatureAssembler>,
    progress: bool,
}

impl Default for TrainJob {
    fn default() -> Self {
        TrainJob {
            run_id: None,
            kinds: ModelKind::ALL.to_vec(),
            seed: 42,
            folds: 5,
            holdout_weeks: 4,
            holdout_from: None,
            champion_by_cv: false,
            search: SearchBudget::default(),
            fixed_params: BTreeMap::new(),
            ceiling_r2: None,
            true_rates: None,
            ab_pairs: None,
            min_scope_rows: 300,
            per_platform: true,
            importance_repeats: 3,
            extractor_version: crate::features::EXTRACTOR_VERSION.to_string(),
            assembler: None,
            progress: false,
        }
    }
}

/// A run's models and report.
#[derive(Debug)]
pub struct TrainOutput {
    /// Every fitted model with its manifest, scope by scope.
    pub models: Vec<SavedModel>,
    /// Metrics, folds, importances, holdout predictions, champions.
    pub report: TrainReport,
}

impl TrainOutput {
    /// The model of a scope and kind.
    pub fn model(&self, scope: &str, kind: ModelKind) -> Option<&SavedModel> {
        self.models
            .iter()
            .find(|m| m.manifest.scope == scope && m.manifest.kind == kind)
    }
}

impl TrainJob {
    /// A job with the defaults: every kind, seed 42, 5 folds, a 4-week
    /// holdout, per-platform models for platforms with 300 rows or more.
    pub fn new() -> TrainJob {
        TrainJob::default()
    }

    /// The run id (default: the UTC start time, `YYYYMMDDTHHMMSSZ`).
    pub fn with_run_id(mut self, run_id: impl Into<String>) -> Self {
        self.run_id = Some(run_id.into());
        self
    }

    /// The model kinds to train.
    pub fn with_kinds(mut self, kinds: &[ModelKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// The seed of every random choice.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Cross-validation folds.
    pub fn with_folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// The holdout: posts published in the last `weeks` weeks of the data.
    pub fn with_holdout_weeks(mut self, weeks: u32) -> Self {
        self.holdout_weeks = weeks;
        self
    }

    /// The holdout: posts published at or after `from` (instead of the
    /// last weeks of the data; the retrain job holds out one ISO week).
    pub fn with_holdout_from(mut self, from: DateTime<Utc>) -> Self {
        self.holdout_from = Some(from);
        self
    }

    /// Picks each scope's champion by its cross-validation R² on the
    /// training rows instead of its holdout R²: for a caller that then
    /// judges the champion on that same holdout (the weekly retrain), a
    /// kind chosen on it would carry the luck of the choice into the
    /// judgement.
    pub fn with_champion_by_cv(mut self) -> Self {
        self.champion_by_cv = true;
        self
    }

    /// The hyperparameter search budget per kind.
    pub fn with_search(mut self, budget: SearchBudget) -> Self {
        self.search = budget;
        self
    }

    /// Fixed hyperparameters for a kind (no search for it).
    pub fn with_params(mut self, kind: ModelKind, params: Params) -> Self {
        self.fixed_params.insert(kind, params);
        self
    }

    /// The best R² any model can reach on this data (known for synthetic
    /// data); the report gives each model's ratio to it.
    pub fn with_ceiling_r2(mut self, ceiling: f64) -> Self {
        self.ceiling_r2 = Some(ceiling);
        self
    }

    /// The data's true expected rates (synthetic data): each scope's
    /// ceiling R² is computed from them on its holdout rows, against the
    /// data's own label ([`super::ceiling`]). A fixed
    /// [`TrainJob::with_ceiling_r2`] wins over it.
    pub fn with_true_rates(mut self, rates: TrueRates) -> Self {
        self.true_rates = Some(rates);
        self
    }

    /// A/B test results to report pairwise accuracy on.
    pub fn with_ab_pairs(mut self, pairs: AbPairs) -> Self {
        self.ab_pairs = Some(pairs);
        self
    }

    /// Fewest rows for a platform to get its own models.
    pub fn with_min_scope_rows(mut self, rows: usize) -> Self {
        self.min_scope_rows = rows;
        self
    }

    /// Whether to train per-platform models besides the general one.
    pub fn with_per_platform(mut self, yes: bool) -> Self {
        self.per_platform = yes;
        self
    }

    /// Shuffles per feature for permutation importance.
    pub fn with_importance_repeats(mut self, repeats: usize) -> Self {
        self.importance_repeats = repeats;
        self
    }

    /// The extractor version of the image features (for the manifest).
    pub fn with_extractor_version(mut self, version: impl Into<String>) -> Self {
        self.extractor_version = version.into();
        self
    }

    /// The assembler that built the rows, saved in every manifest so
    /// predictions build the same columns.
    pub fn with_assembler(mut self, assembler: FeatureAssembler) -> Self {
        self.assembler = Some(assembler);
        self
    }

    /// Show a progress bar.
    pub fn with_progress(mut self, yes: bool) -> Self {
        self.progress = yes;
        self
    }

    /// The scopes to train: `all`, then each platform with enough rows
    /// (when there is more than one platform).
    fn scopes(&self, data: &Dataset) -> Vec<String> {
        let mut scopes = vec![ALL_SCOPE.to_string()];
        let counts = data.platform_counts();
        if self.per_platform && counts.len() > 1 {
            scopes.extend(
                counts
                    .into_iter()
                    .filter(|(_, n)| *n >= self.min_scope_rows)
                    .map(|(p, _)| p),
            );
        }
        scopes
    }

    /// Trains every scope and kind.
    pub fn run(&self, data: &Dataset) -> Result<TrainOutput, TrainError> {
        if let Some(assembler) = &self.assembler {
            if assembler.feature_names() != data.feature_names() {
                return Err(TrainError::BadDataset(
                    "the feature assembler builds other columns than the training set has".into(),
                ));
            }
        }
        if let Some(ab) = &self.ab_pairs {
            if ab.feature_names != data.feature_names() {
                return Err(TrainError::BadDataset(
                    "the A/B variants' feature columns differ from the training set's".into(),
                ));
            }
        }
        let run_id = self
            .run_id
            .clone()
            .unwrap_or_else(|| Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
        // The run id names a lake folder and a partition: check it before
        // hours of training rather than at publication.
        let valid = !run_id.is_empty()
            && !run_id.starts_with('.')
            && run_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(TrainError::BadRunId(run_id));
        }
        let scopes = self.scopes(data);
        let kinds = with_blend_members(&self.kinds);
        let bar = if self.progress {
            ProgressBar::new((scopes.len() * kinds.len()) as u64).with_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} models  {elapsed}  {msg}")
                    .expect("a valid template"),
            )
        } else {
            ProgressBar::hidden()
        };
        let mut report = TrainReport {
            run_id: run_id.clone(),
            ..Default::default()
        };
        let noise_free = self.true_rates.as_ref().map(|t| t.noise_free_scores(data));
        if let Some(nf) = &noise_free {
            if nf.len() < data.len() {
                tracing::warn!(
                    known = nf.len(),
                    rows = data.len(),
                    "the truth covers only some rows; the ceiling is computed on those"
                );
            }
        }
        let mut models = Vec::new();
        for scope in &scopes {
            let scoped = if scope == ALL_SCOPE {
                data.clone()
            } else {
                data.platform(scope)
            };
            let split = match self.holdout_from {
                Some(from) => holdout_from(scoped.published_at(), from),
                None => time_holdout(scoped.published_at(), self.holdout_weeks),
            };
            let holdout = match split {
                Ok(h) if h.train.len() >= 2 * self.folds && h.test.len() >= 2 => h,
                Ok(h) if scope != ALL_SCOPE => {
                    let why = format!(
                        "{} training and {} holdout rows are too few",
                        h.train.len(),
                        h.test.len()
                    );
                    report.skipped.push((scope.clone(), why));
                    bar.inc(kinds.len() as u64);
                    continue;
                }
                Ok(h) => {
                    return Err(TrainError::BadHoldout {
                        weeks: self.holdout_weeks,
                        train: h.train.len(),
                        holdout: h.test.len(),
                    })
                }
                Err(e) if scope != ALL_SCOPE => {
                    report.skipped.push((scope.clone(), e.to_string()));
                    bar.inc(kinds.len() as u64);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let in_scope = Scope {
                name: scope,
                data: &scoped,
                ceiling_r2: self.ceiling_r2.or_else(|| {
                    noise_free
                        .as_ref()
                        .and_then(|nf| holdout_ceiling(&scoped, &holdout, nf))
                }),
                holdout,
            };
            let mut best: Option<(f64, usize)> = None;
            let first_model = models.len();
            let mut outcomes: BTreeMap<ModelKind, Outcome> = BTreeMap::new();
            for &kind in &kinds {
                bar.set_message(format!("{scope} {kind}"));
                let (outcome, fitted) =
                    if kind == ModelKind::Blend && !self.fixed_params.contains_key(&kind) {
                        let member = |k: ModelKind| {
                            let fitted = models[first_model..]
                                .iter()
                                .find(|m: &&SavedModel| m.manifest.kind == k)
                                .map(|m| &m.model);
                            outcomes.get(&k).zip(fitted).ok_or_else(|| {
                                TrainError::BadModel(format!("the blend's member {k} is untrained"))
                            })
                        };
                        blend_of(in_scope.data, [member(MEMBERS[0])?, member(MEMBERS[1])?])?
                    } else {
                        self.fit_kind(&in_scope, kind)?
                    };
                let model = self.record(&run_id, &in_scope, kind, &outcome, fitted, &mut report)?;
                outcomes.insert(kind, outcome);
                let scores = &model.manifest.scores;
                // A champion has a holdout score either way: the registry
                // and the retrain comparison report it.
                let judged = match scores.holdout {
                    Some(_) if self.champion_by_cv => scores.cv.map(|cv| cv.r2),
                    holdout => holdout.map(|h| h.r2),
                };
                if let Some(r2) = judged.filter(|r2| !r2.is_nan()) {
                    if best.is_none_or(|(b, _)| r2 > b) {
                        best = Some((r2, models.len()));
                    }
                }
                models.push(model);
                bar.inc(1);
            }
            if let Some((_, index)) = best {
                let manifest = &models[index].manifest;
                let kind = manifest.kind;
                report.champions.insert(
                    scope.clone(),
                    Champion {
                        run_id: run_id.clone(),
                        kind,
                        holdout_r2: manifest.scores.holdout.map_or(f64::NAN, |h| h.r2),
                        path: model_path(&run_id, scope, kind),
                    },
                );
                for m in report
                    .metrics
                    .iter_mut()
                    .filter(|m| m.scope == *scope && m.kind == kind)
                {
                    m.champion = true;
                }
            }
        }
        bar.finish_and_clear();
        Ok(TrainOutput { models, report })
    }

    /// Searches `kind`'s hyperparameters, cross-validates the chosen ones
    /// and fits them on every training row.
    fn fit_kind(&self, in_scope: &Scope, kind: ModelKind) -> Result<(Outcome, Fitted), TrainError> {
        let Scope {
            data, ref holdout, ..
        } = *in_scope;
        let started = Instant::now();
        let seed = self.seed;
        let outcome = match self.fixed_params.get(&kind) {
            Some(p) => SearchOutcome {
                best: p.clone(),
                tried: Vec::new(),
            },
            None => search(kind, &self.search, seed, |params| {
                let folds = k_fold(&holdout.train, self.search.folds, seed)?;
                let fits = fit_folds(params, data, &folds, seed)?;
                let scores: Vec<f64> = folds
                    .iter()
                    .zip(&fits)
                    .map(|(fold, (_, fitted, predicted))| {
                        score(fitted, &select(data.target(), &fold.test), predicted)
                    })
                    .collect();
                Ok(scores.iter().sum::<f64>() / scores.len() as f64)
            })?,
        };
        let params = outcome.best;

        // Cross-validation on the training rows, with the chosen parameters.
        let folds = k_fold(&holdout.train, self.folds, seed)?;
        let fold_fits = fit_folds(&params, data, &folds, seed)?;
        let folds = folds
            .into_iter()
            .zip(fold_fits)
            .map(|(fold, (_, fitted, predicted))| {
                let s = score(&fitted, &select(data.target(), &fold.test), &predicted);
                (fold, predicted, s)
            })
            .collect();

        // The model itself: fitted on every training row, scored on the holdout.
        let (preparation, fitted, predicted) = fit_predict(&params, data, holdout, seed)?;
        let outcome = Outcome {
            params,
            candidates: outcome.tried.len(),
            folds,
            preparation,
            predicted,
            seconds: started.elapsed().as_secs_f64(),
        };
        Ok((outcome, fitted))
    }

    /// Records a fitted kind: its fold and holdout rows, metrics and
    /// importances in the report, and the model with its manifest.
    fn record(
        &self,
        run_id: &str,
        in_scope: &Scope,
        kind: ModelKind,
        outcome: &Outcome,
        fitted: Fitted,
        report: &mut TrainReport,
    ) -> Result<SavedModel, TrainError> {
        let Scope {
            name: scope,
            data,
            ref holdout,
            ceiling_r2,
        } = *in_scope;
        let started = Instant::now();
        let seed = self.seed;
        let mut residuals = Vec::new();
        let mut fold_metrics = Vec::new();
        let mut fold_accuracy = Vec::new();
        for (f, (fold, predicted, fold_score)) in outcome.folds.iter().enumerate() {
            let actual = select(data.target(), &fold.test);
            let mut row = FoldRow {
                scope: scope.to_string(),
                kind,
                fold: f,
                train_rows: fold.train.len(),
                test_rows: fold.test.len(),
                r2: None,
                rmse: None,
                mae: None,
                spearman: None,
                accuracy: None,
            };
            if kind.is_regressor() {
                let m = RegressionMetrics::of(&actual, predicted);
                residuals.extend(actual.iter().zip(predicted).map(|(a, p)| a - p));
                (row.r2, row.rmse, row.mae, row.spearman) =
                    (Some(m.r2), Some(m.rmse), Some(m.mae), Some(m.spearman));
                fold_metrics.push(m);
            } else {
                row.accuracy = Some(*fold_score);
                fold_accuracy.push(*fold_score);
            }
            report.folds.push(row);
        }

        let Outcome {
            params,
            preparation,
            predicted,
            ..
        } = outcome;
        let actual = select(data.target(), &holdout.test);
        let holdout_x = preparation.apply(&data.features().select_rows(&holdout.test));
        for (k, &i) in holdout.test.iter().enumerate() {
            report.holdout.push(HoldoutRow {
                scope: scope.to_string(),
                kind,
                post_id: data.post_ids()[i].clone(),
                platform: data.platforms()[i].clone(),
                published_at: data.published_at()[i],
                actual: actual[k],
                predicted: predicted[k],
            });
        }
        let mut scores = ModelScores {
            cv: None,
            holdout: None,
            cv_accuracy: None,
            holdout_accuracy: None,
            pairwise_accuracy: None,
            ceiling_r2: None,
            ceiling_ratio: None,
        };
        let tier_threshold = match &fitted {
            Fitted::Tier(t) => Some(t.threshold),
            _ => None,
        };
        let importance = if kind.is_regressor() {
            let h = RegressionMetrics::of(&actual, predicted);
            scores.cv = Some(mean_metrics(&fold_metrics));
            scores.holdout = Some(h);
            scores.ceiling_r2 = ceiling_r2;
            scores.ceiling_ratio = scores.ceiling_r2.map(|c| h.r2 / c);
            scores.pairwise_accuracy = self.pairwise(scope, preparation, &fitted)?;
            permutation_importance(
                |x| fitted.predict(x),
                regression_score(&actual),
                &holdout_x,
                self.importance_repeats,
                seed,
            )?
        } else {
            let threshold = tier_threshold.unwrap_or(75.0);
            let top: Vec<bool> = actual.iter().map(|a| *a >= threshold).collect();
            scores.cv_accuracy =
                Some(fold_accuracy.iter().sum::<f64>() / fold_accuracy.len() as f64);
            scores.holdout_accuracy = Some(tier_score(&top)(predicted));
            permutation_importance(
                |x| fitted.predict(x),
                tier_score(&top),
                &holdout_x,
                self.importance_repeats,
                seed,
            )?
        };
        let names = &preparation.used_features;
        push_importance(
            report,
            scope,
            kind,
            "permutation",
            names,
            &importance.iter().map(|p| p.mean).collect::<Vec<_>>(),
            Some(&importance.iter().map(|p| p.std).collect::<Vec<_>>()),
        );
        if let Some((method, values)) = fitted.native_importance(names.len())? {
            push_importance(report, scope, kind, method, names, &values, None);
        }

        let params_json = serde_json::to_string(params).unwrap_or_default();
        let seconds = outcome.seconds + started.elapsed().as_secs_f64();
        let regression_row =
            |split: &'static str, m: Option<RegressionMetrics>, rows| ModelMetricsRow {
                scope: scope.to_string(),
                kind,
                split,
                rows,
                r2: m.map(|m| m.r2),
                rmse: m.map(|m| m.rmse),
                mae: m.map(|m| m.mae),
                spearman: m.map(|m| m.spearman),
                accuracy: None,
                pairwise_accuracy: None,
                ab_pairs: None,
                ceiling_r2: None,
                ceiling_ratio: None,
                params: params_json.clone(),
                search_candidates: outcome.candidates,
                seconds,
                champion: false,
            };
        let mut cv_row = regression_row("cv", scores.cv, holdout.train.len());
        cv_row.accuracy = scores.cv_accuracy;
        let mut holdout_row = regression_row("holdout", scores.holdout, holdout.test.len());
        holdout_row.accuracy = scores.holdout_accuracy;
        holdout_row.pairwise_accuracy = scores.pairwise_accuracy.map(|p| p.0);
        holdout_row.ab_pairs = scores.pairwise_accuracy.map(|p| p.1);
        holdout_row.ceiling_r2 = scores.ceiling_r2;
        holdout_row.ceiling_ratio = scores.ceiling_ratio;
        report.metrics.push(cv_row);
        report.metrics.push(holdout_row);

        let (published_from, published_to) = data.time_range().expect("the holdout has rows");
        let holdout_after = holdout
            .train
            .iter()
            .map(|&i| data.published_at()[i])
            .max()
            .expect("the holdout has training rows");
        let train_rows: Vec<usize> = holdout.train.clone();
        let manifest = Manifest {
            run_id: run_id.to_string(),
            scope: scope.to_string(),
            kind,
            params: params.clone(),
            seed,
            assembler: self.assembler.clone(),
            preparation: preparation.clone(),
            extractor_version: self.extractor_version.clone(),
            data: DataRange {
                train_rows: train_rows.len(),
                holdout_rows: holdout.test.len(),
                published_from,
                published_to,
                holdout_after,
                platforms: data.platform_counts().into_iter().collect(),
            },
            scores,
            residual_quantiles: kind
                .is_regressor()
                .then(|| (quantile(&residuals, 0.05), quantile(&residuals, 0.95))),
            tier_threshold,
            library_versions: library_versions(),
            trained_at: Utc::now(),
            files: Vec::new(),
        };
        tracing::info!(%scope, %kind, seconds, "trained");
        Ok(SavedModel {
            manifest,
            model: fitted,
        })
    }

    /// A/B pairwise accuracy of a regressor on the pairs of its scope.
    fn pairwise(
        &self,
        scope: &str,
        preparation: &Preparation,
        fitted: &Fitted,
    ) -> Result<Option<(f64, usize)>, TrainError> {
        let Some(ab) = &self.ab_pairs else {
            return Ok(None);
        };
        let pairs: Vec<(usize, usize)> = ab
            .pairs
            .iter()
            .filter(|(_, _, p)| scope == ALL_SCOPE || p.as_deref() == Some(scope))
            .map(|(w, l, _)| (*w, *l))
            .collect();
        if pairs.is_empty() {
            return Ok(None);
        }
        let scores = fitted.predict(&preparation.apply(&ab.features))?;
        Ok(Some((
            metrics::pairwise_accuracy(&scores, &pairs),
            pairs.len(),
        )))
    }
}

/// Where a run's model of a scope and kind is saved, relative to the lake
/// root (or to a models directory).
pub fn model_path(run_id: &str, scope: &str, kind: ModelKind) -> String {
    format!("models/{run_id}/{scope}/{}", kind.name())
}

/// The rows of one scope, their holdout, and their ceiling R² when known.
struct Scope<'a> {
    name: &'a str,
    data: &'a Dataset,
    holdout: Fold,
    ceiling_r2: Option<f64>,
}

/// What fitting a kind in a scope gave, besides the model itself.
#[derive(Debug, Clone)]
struct Outcome {
    /// The chosen hyperparameters.
    params: Params,
    /// Hyperparameter candidates scored (for a blend, weights).
    candidates: usize,
    /// Each cross-validation fold, its out-of-fold predictions, and its
    /// score (R², or the tier classifier's accuracy).
    folds: Vec<(Fold, Vec<f64>, f64)>,
    /// The preparation fitted on every training row.
    preparation: Preparation,
    /// The model's holdout predictions.
    predicted: Vec<f64>,
    /// Time spent on the search, the folds and the fit.
    seconds: f64,
}

/// `kinds` with a blend's members before it when a blend is asked for
/// without them: a blend is made of their models.
fn with_blend_members(kinds: &[ModelKind]) -> Vec<ModelKind> {
    let mut out: Vec<ModelKind> = kinds
        .iter()
        .copied()
        .filter(|&k| k != ModelKind::Blend)
        .collect();
    if kinds.contains(&ModelKind::Blend) {
        for member in MEMBERS {
            if !out.contains(&member) {
                out.push(member);
            }
        }
        let after_members = out
            .iter()
            .rposition(|k| MEMBERS.contains(k))
            .map_or(out.len(), |p| p + 1);
        out.insert(after_members, ModelKind::Blend);
    }
    out
}

/// The blend of two fitted members: the first member's share chosen on
/// their pooled out-of-fold predictions (the training rows only) and
/// applied to the holdout, with copies of the members' models. Each fold's
/// own predictions mix by the share the other folds choose, so that the
/// blend's cross-validation score, which the weekly retrain picks
/// challengers by, is not judged on the rows its weight was chosen on.
fn blend_of(
    data: &Dataset,
    members: [(&Outcome, &Fitted); 2],
) -> Result<(Outcome, Fitted), TrainError> {
    let started = Instant::now();
    let [(first, _), (second, _)] = members;
    if first
        .folds
        .iter()
        .map(|f| &f.0)
        .ne(second.folds.iter().map(|f| &f.0))
        || first.preparation != second.preparation
    {
        return Err(TrainError::BadModel(
            "a blend's members were cross-validated on different folds or preparations".into(),
        ));
    }
    // The share chosen on every fold but `skip`'s (on all with None).
    let weight_without = |skip: Option<usize>| {
        let (mut actual, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        for (k, ((fold, pa, _), (_, pb, _))) in first.folds.iter().zip(&second.folds).enumerate() {
            if Some(k) != skip {
                actual.extend(select(data.target(), &fold.test));
                a.extend_from_slice(pa);
                b.extend_from_slice(pb);
            }
        }
        blend::best_weight(&actual, &a, &b).0
    };
    let weight = weight_without(None);
    let folds = first
        .folds
        .iter()
        .zip(&second.folds)
        .enumerate()
        .map(|(k, ((fold, a, _), (_, b, _)))| {
            let mixed = blend::mix(a, b, weight_without(Some(k)));
            let r2 = metrics::r2(&select(data.target(), &fold.test), &mixed);
            (fold.clone(), mixed, r2)
        })
        .collect();
    let shares = [weight, 1.0 - weight];
    let mut fitted_members = Vec::with_capacity(MEMBERS.len());
    let mut params = Vec::with_capacity(MEMBERS.len());
    for ((kind, weight), (outcome, model)) in MEMBERS.into_iter().zip(shares).zip(members) {
        fitted_members.push((kind, weight, model.copied(kind)?));
        params.push(BlendMember {
            kind,
            params: outcome.params.clone(),
            weight,
        });
    }
    let fitted = Fitted::Blend(Blend::new(fitted_members)?);
    let params = Params::Blend(BlendParams { members: params });
    let outcome = Outcome {
        params,
        candidates: blend::WEIGHT_STEPS + 1,
        folds,
        preparation: first.preparation.clone(),
        predicted: blend::mix(&first.predicted, &second.predicted, weight),
        // Its members' time is on their own rows.
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((outcome, fitted))
}

/// The ceiling R² on the holdout rows that have a noise-free score.
fn holdout_ceiling(
    data: &Dataset,
    holdout: &Fold,
    noise_free: &HashMap<(String, String), f64>,
) -> Option<f64> {
    let (labels, scores): (Vec<f64>, Vec<f64>) = holdout
        .test
        .iter()
        .filter_map(|&i| {
            let key = (data.platforms()[i].clone(), data.post_ids()[i].clone());
            noise_free.get(&key).map(|s| (data.target()[i], *s))
        })
        .unzip();
    (labels.len() >= 2).then(|| ceiling_r2(&labels, &scores))
}

/// [`fit_predict`] on every fold, the folds side by side: the learners' own
/// threads leave cores idle on a few thousand rows.
fn fit_folds(
    params: &Params,
    data: &Dataset,
    folds: &[Fold],
    seed: u64,
) -> Result<Vec<(Preparation, Fitted, Vec<f64>)>, TrainError> {
    folds
        .par_iter()
        .map(|fold| fit_predict(params, data, fold, seed))
        .collect()
}

/// Fits on `fold.train` (preparation included) and predicts `fold.test`.
fn fit_predict(
    params: &Params,
    data: &Dataset,
    fold: &Fold,
    seed: u64,
) -> Result<(Preparation, Fitted, Vec<f64>), TrainError> {
    let train = data.select(&fold.train);
    let preparation = Preparation::fit(train.feature_names(), train.features())?;
    let x = preparation.apply(train.features());
    let fitted = Fitted::fit(params, &x, train.target(), train.weights(), seed)?;
    let test_x = preparation.apply(&data.features().select_rows(&fold.test));
    let predicted = fitted.predict(&test_x)?;
    Ok((preparation, fitted, predicted))
}

/// The score the search maximises: R² for a regressor, accuracy for the
/// tier classifier.
fn score(fitted: &Fitted, actual: &[f64], predicted: &[f64]) -> f64 {
    match fitted {
        Fitted::Tier(t) => {
            let top: Vec<bool> = actual.iter().map(|a| *a >= t.threshold).collect();
            let accuracy = tier_score(&top)(predicted);
            accuracy
        }
        _ => metrics::r2(actual, predicted),
    }
}

fn select(values: &[f64], rows: &[usize]) -> Vec<f64> {
    rows.iter().map(|&i| values[i]).collect()
}

fn mean_metrics(folds: &[RegressionMetrics]) -> RegressionMetrics {
    let n = folds.len() as f64;
    let avg = |f: fn(&RegressionMetrics) -> f64| folds.iter().map(f).sum::<f64>() / n;
    RegressionMetrics {
        n: folds.iter().map(|m| m.n).sum(),
        r2: avg(|m| m.r2),
        rmse: avg(|m| m.rmse),
        mae: avg(|m| m.mae),
        spearman: avg(|m| m.spearman),
    }
}

fn push_importance(
    report: &mut TrainReport,
    scope: &str,
    kind: ModelKind,
    method: &str,
    names: &[String],
    values: &[f64],
    stds: Option<&[f64]>,
) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    for (rank, &j) in order.iter().enumerate() {
        report.importance.push(ImportanceRow {
            scope: scope.to_string(),
            kind,
            method: method.to_string(),
            feature: names[j].clone(),
            importance: values[j],
            importance_std: stds.map(|s| s[j]),
            rank: rank + 1,
        });
    }
}
