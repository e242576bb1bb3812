//! The weekly retrain job: gate, features, training set up to the week's
//! end, challengers, the comparison with the champion in force, the
//! promotion, and the monitoring tables.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int32Type};
use chrono::Utc;

use super::compare::{Comparison, Decision, PromotionRule};
use super::monitor;
use super::tables::{self, AccuracyRow, DriftRow, RetrainRunRow};
use super::week::IsoWeek;
use super::RetrainError;
use crate::features::FeatureJob;
use crate::lake::{Lake, LakeError};
use crate::quality::{Severity, Validation};
use crate::query::{Session, Settings};
use crate::train::publish::{load_model, publish, read_registry};
use crate::train::source::{run_job, training_posts};
use crate::train::{
    model_path, Champion, FeatureAssembler, ModelKind, Params, SavedModel, SearchBudget, TrainJob,
    TrainingPost, ALL_SCOPE,
};

/// The weekly champion/challenger retrain of one ISO week.
#[derive(Debug, Clone)]
pub struct RetrainJob {
    week: IsoWeek,
    force: bool,
    rule: PromotionRule,
    window_weeks: Option<u32>,
    kinds: Vec<ModelKind>,
    fixed_params: BTreeMap<ModelKind, Params>,
    search: SearchBudget,
    seed: u64,
    folds: usize,
    min_scope_rows: usize,
    extractor_version: String,
    settings: Option<Settings>,
    progress: bool,
}

/// What a retrain did.
#[derive(Debug, Clone)]
pub struct RetrainReport {
    /// The week.
    pub week: IsoWeek,
    /// The run id (`retrain-<week>`).
    pub run_id: String,
    /// True when the week was decided before and nothing was done.
    pub skipped: bool,
    /// The week's rows of `metrics.retrain_runs` (the earlier ones when skipped).
    pub runs: Vec<RetrainRunRow>,
    /// Drift rows written.
    pub drift: Vec<DriftRow>,
    /// Accuracy rows written.
    pub accuracy: Vec<AccuracyRow>,
    /// Feature images extracted by the incremental features job.
    pub features_extracted: usize,
    /// Scopes whose champion changed in the registry.
    pub promoted: Vec<String>,
}

/// A past decision of `metrics.retrain_runs`.
#[derive(Debug, Clone)]
struct PastDecision {
    week: String,
    scope: String,
    run_id: String,
    decision: String,
    challenger_kind: Option<String>,
}

impl RetrainJob {
    /// The retrain of `week` with the defaults: every kind, the whole
    /// history before the week, alpha 0.05 and a 2% margin.
    pub fn new(week: IsoWeek) -> RetrainJob {
        RetrainJob {
            week,
            force: false,
            rule: PromotionRule::default(),
            window_weeks: None,
            kinds: ModelKind::ALL.to_vec(),
            fixed_params: BTreeMap::new(),
            search: SearchBudget::default(),
            seed: 42,
            folds: 5,
            min_scope_rows: 300,
            extractor_version: crate::features::EXTRACTOR_VERSION.to_string(),
            settings: None,
            progress: false,
        }
    }

    /// Redo a week that already has a decision.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The promotion rule's significance level and margin.
    pub fn with_rule(mut self, rule: PromotionRule) -> Self {
        self.rule = rule;
        self
    }

    /// Train on the last `weeks` weeks before the held-out week only
    /// (default: all of them).
    pub fn with_window_weeks(mut self, weeks: Option<u32>) -> Self {
        self.window_weeks = weeks;
        self
    }

    /// The model kinds of the challengers.
    pub fn with_kinds(mut self, kinds: &[ModelKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// Fixed hyperparameters for a kind (no search for it).
    pub fn with_params(mut self, kind: ModelKind, params: Params) -> Self {
        self.fixed_params.insert(kind, params);
        self
    }

    /// The hyperparameter search budget per kind.
    pub fn with_search(mut self, budget: SearchBudget) -> Self {
        self.search = budget;
        self
    }

    /// The seed of every random choice.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Cross-validation folds of the challengers.
    pub fn with_folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Fewest rows for a platform to get its own challenger.
    pub fn with_min_scope_rows(mut self, rows: usize) -> Self {
        self.min_scope_rows = rows;
        self
    }

    /// The extractor version of the image features.
    pub fn with_extractor_version(mut self, version: impl Into<String>) -> Self {
        self.extractor_version = version.into();
        self
    }

    /// The SQL settings of the quality gate and the training set.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Show progress bars.
    pub fn with_progress(mut self, yes: bool) -> Self {
        self.progress = yes;
        self
    }

    /// The run id: the same for every run of the week, so a re-run writes
    /// over its own files rather than beside them.
    pub fn run_id(&self) -> String {
        format!("retrain-{}", self.week)
    }

    /// Runs the week. A week stopped by the quality gate records a blocked
    /// row and returns [`RetrainError::QualityGate`].
    pub async fn run(&self, lake: &Lake) -> Result<RetrainReport, RetrainError> {
        let week = self.week;
        let week_name = week.to_string();
        let run_id = self.run_id();
        let mut report = RetrainReport {
            week,
            run_id: run_id.clone(),
            skipped: false,
            runs: Vec::new(),
            drift: Vec::new(),
            accuracy: Vec::new(),
            features_extracted: 0,
            promoted: Vec::new(),
        };
        let history = self.history(lake).await?;
        let decided: Vec<&PastDecision> = history
            .iter()
            .filter(|d| d.week == week_name && d.decision != Decision::Blocked.as_str())
            .collect();
        if !decided.is_empty() && !self.force {
            tracing::info!(week = %week_name, "already decided; --force to redo");
            report.skipped = true;
            report.runs = decided
                .iter()
                .map(|d| self.blocked_row(&d.scope, &d.decision, "decided by an earlier run"))
                .collect();
            return Ok(report);
        }

        // The quality gate.
        let mut validation = Validation::new()
            .with_write(true)
            .with_progress(self.progress);
        if let Some(s) = &self.settings {
            validation = validation.with_settings(s.clone());
        }
        let checked = validation.run(lake).await.map_err(|e| RetrainError::Step {
            step: "the quality gate (validate)",
            message: e.to_string(),
        })?;
        if checked.failed_at(Severity::Error) {
            let failed: Vec<String> = checked
                .checks
                .iter()
                .filter(|c| !c.passed() && c.severity >= Severity::Error)
                .map(|c| format!("{} ({} rows)", c.name, c.failed_rows))
                .collect();
            let reason = format!(
                "quality gate: error checks failed: {}; see quality.check_results run {}",
                failed.join(", "),
                checked.run_id
            );
            let row = self.blocked_row(ALL_SCOPE, Decision::Blocked.as_str(), &reason);
            tables::write_runs(lake, &week_name, std::slice::from_ref(&row)).await?;
            return Err(RetrainError::QualityGate {
                week: week_name,
                failed,
                validation_run: checked.run_id,
            });
        }

        // Features of the images that have none yet.
        let features = FeatureJob::default()
            .with_progress(self.progress)
            .run(lake)
            .await
            .map_err(|e| RetrainError::Step {
                step: "extracting the features of new images",
                message: e.to_string(),
            })?;
        report.features_extracted = features.extracted;

        // The training set up to the week's end; the week is the holdout.
        let session = self.session(lake).await?;
        let batches = run_job(&session, "training_set", &[&self.extractor_version]).await?;
        let known: Vec<TrainingPost> = training_posts(&batches)?
            .into_iter()
            .filter(|p| p.context.published_at < week.end())
            .collect();
        let train_from = self
            .window_weeks
            .map(|w| week.start() - chrono::Duration::weeks(i64::from(w)));
        let posts: Vec<TrainingPost> = known
            .iter()
            .filter(|p| train_from.is_none_or(|from| p.context.published_at >= from))
            .cloned()
            .collect();
        let holdout_rows = posts
            .iter()
            .filter(|p| p.context.published_at >= week.start())
            .count();
        if holdout_rows == 0 || holdout_rows == posts.len() {
            return Err(RetrainError::NoData {
                week: week_name,
                train: posts.len() - holdout_rows,
                holdout: holdout_rows,
            });
        }
        // Challengers score designs as the general champion does: a brand
        // model's successor keeps its brand_score column, or a challenger
        // without it could replace it unnoticed.
        let registry = self.registry_in_force(lake, &run_id).await?;
        let mut assembler = FeatureAssembler::from_posts(posts.iter().map(|p| &p.context));
        if let Some(c) = registry.get(ALL_SCOPE) {
            let champion = load_model(lake, &c.path).await?;
            if let Some(brand) = champion.manifest.assembler.as_ref().and_then(|a| a.brand()) {
                assembler = assembler.with_brand(brand.profile().clone());
            }
        }
        let weighted = posts.iter().any(|p| p.weight != 1.0);
        let data = assembler.dataset(&posts, weighted)?;
        let mut job = TrainJob::new()
            .with_run_id(run_id.clone())
            .with_kinds(&self.kinds)
            .with_seed(self.seed)
            .with_folds(self.folds)
            .with_holdout_from(week.start())
            .with_champion_by_cv()
            .with_search(self.search)
            .with_min_scope_rows(self.min_scope_rows)
            .with_extractor_version(self.extractor_version.clone())
            .with_assembler(assembler.clone())
            .with_importance_repeats(2)
            .with_progress(self.progress);
        for (kind, params) in &self.fixed_params {
            job = job.with_params(*kind, params.clone());
        }
        let mut output = tokio::task::block_in_place(|| job.run(&data))?;

        // Champion against challenger, scope by scope.
        let later_weeks = history.iter().any(|d| d.week > week_name);
        let mut runs = Vec::new();
        let mut importance = Vec::new();
        let scopes: Vec<String> = output.report.champions.keys().cloned().collect();
        for scope in &scopes {
            let kind = output.report.champions[scope].kind;
            let in_scope = |p: &&TrainingPost| scope == ALL_SCOPE || p.context.platform == *scope;
            let fresh: Vec<TrainingPost> = posts
                .iter()
                .filter(in_scope)
                .filter(|p| p.context.published_at >= week.start())
                .cloned()
                .collect();
            let actual: Vec<f64> = fresh.iter().map(|p| p.performance_score).collect();
            let challenger = output
                .model(scope, kind)
                .expect("the champion of a scope is among its models");
            let challenger_predicted =
                challenger.predict_inputs(assembler.dataset(&fresh, false)?.features())?;
            let champion = self
                .champion_in_force(lake, scope, &history, &registry, &run_id)
                .await?;
            let champion_predicted = match &champion {
                Some(c) => Some(predict_posts(c, &fresh)?),
                None => None,
            };
            let comparison = self.rule.compare(
                &actual,
                &challenger_predicted,
                champion_predicted.as_deref(),
            );
            if let (Some(c), Some(predicted)) = (&champion, &champion_predicted) {
                let m = &c.manifest;
                let week_metrics = comparison.champion.expect("compared with a champion");
                report.accuracy.push(monitor::accuracy(
                    scope,
                    &m.run_id,
                    m.kind.name(),
                    &week_metrics,
                    m.scores.holdout.map(|h| h.r2).filter(|r| r.is_finite()),
                ));
                let reference: Vec<TrainingPost> = known
                    .iter()
                    .filter(in_scope)
                    .filter(|p| {
                        p.context.published_at >= m.data.published_from
                            && p.context.published_at <= m.data.published_to
                    })
                    .cloned()
                    .collect();
                // The champion's scores and errors on its own holdout rows:
                // on the rows it was fitted to, a flexible model's scores
                // spread wider and its errors are smaller than on any new
                // week, which would read as drift in every week.
                let reference_holdout: Vec<(f64, f64)> = reference
                    .iter()
                    .zip(predict_posts(c, &reference)?)
                    .filter(|(p, _)| p.context.published_at > m.data.holdout_after)
                    .map(|(p, s)| (s, (p.performance_score - s).abs()))
                    .collect();
                let (reference_scores, reference_errors): (Vec<f64>, Vec<f64>) =
                    reference_holdout.into_iter().unzip();
                report.drift.push(monitor::drift(
                    scope,
                    "score",
                    "score",
                    &m.run_id,
                    &reference_scores,
                    predicted,
                ));
                let errors: Vec<f64> = actual
                    .iter()
                    .zip(predicted)
                    .map(|(a, s)| (a - s).abs())
                    .collect();
                report.drift.push(monitor::drift(
                    scope,
                    "abs_error",
                    "error",
                    &m.run_id,
                    &reference_errors,
                    &errors,
                ));
                if scope == ALL_SCOPE && !reference.is_empty() {
                    report.drift.extend(monitor::feature_drift(
                        scope,
                        &m.run_id,
                        &assembler.feature_names(),
                        assembler.dataset(&reference, false)?.features(),
                        assembler.dataset(&fresh, false)?.features(),
                    ));
                }
                let before = self
                    .importance_of(&session, &m.run_id, &m.scope, m.kind)
                    .await?;
                let now: BTreeMap<String, (f64, i32)> = output
                    .report
                    .importance
                    .iter()
                    .filter(|r| r.scope == *scope && r.kind == kind && r.method == "permutation")
                    .map(|r| (r.feature.clone(), (r.importance, r.rank as i32)))
                    .collect();
                importance.extend(monitor::importance_shift(scope, &before, &now));
            }
            runs.push(self.run_row(
                scope,
                kind,
                &comparison,
                champion.as_ref(),
                posts.first().map(|p| p.context.published_at),
            ));
        }

        // Promotion: only the promoted scopes reach the registry, and only
        // when no later week has been decided (replaying an old week must
        // not bring back an old model).
        output.report.champions.retain(|scope, _| {
            runs.iter()
                .any(|r| r.scope == *scope && r.decision == Decision::Promote.as_str())
                && !later_weeks
        });
        report.promoted = output.report.champions.keys().cloned().collect();
        if !report.promoted.is_empty() {
            // Before the registry names this run: what it replaces, for a
            // re-run after a kill (see registry_in_force).
            let replaced: BTreeMap<&String, &Champion> = registry
                .iter()
                .filter(|(scope, _)| report.promoted.contains(scope))
                .collect();
            let failed = |message: String| RetrainError::Step {
                step: "recording the champions a promotion replaces",
                message,
            };
            let text = serde_json::to_vec_pretty(&replaced).map_err(|e| failed(e.to_string()))?;
            lake.put(&replaced_path(&run_id), text.into())
                .await
                .map_err(|e| failed(e.to_string()))?;
        }
        publish(lake, &output).await?;
        fail_point("retrain:published");
        tables::write_drift(lake, &week_name, &report.drift).await?;
        tables::write_accuracy(lake, &week_name, &report.accuracy).await?;
        tables::write_importance(lake, &week_name, &importance).await?;
        // Last: the decision marks the week done.
        tables::write_runs(lake, &week_name, &runs).await?;
        report.runs = runs;
        Ok(report)
    }

    async fn session(&self, lake: &Lake) -> Result<Session, RetrainError> {
        let opened = match &self.settings {
            Some(s) => Session::open_with(lake, s).await,
            None => Session::open(lake).await,
        };
        opened.map_err(|e| RetrainError::Step {
            step: "opening the lake's tables",
            message: e.to_string(),
        })
    }

    /// The decisions recorded so far.
    async fn history(&self, lake: &Lake) -> Result<Vec<PastDecision>, RetrainError> {
        let session = self.session(lake).await?;
        let mut past = Vec::new();
        for batch in run_job(&session, "retrain_history", &[]).await? {
            let text = |name: &str| -> Vec<Option<String>> {
                let c = arrow::compute::cast(
                    batch.column_by_name(name).expect("in the job's SELECT"),
                    &DataType::Utf8,
                )
                .expect("text casts to text");
                c.as_string::<i32>()
                    .iter()
                    .map(|v| v.map(str::to_string))
                    .collect()
            };
            let (weeks, scopes, runs, decisions, kinds) = (
                text("week"),
                text("scope"),
                text("run_id"),
                text("decision"),
                text("challenger_kind"),
            );
            for i in 0..batch.num_rows() {
                past.push(PastDecision {
                    week: weeks[i].clone().unwrap_or_default(),
                    scope: scopes[i].clone().unwrap_or_default(),
                    run_id: runs[i].clone().unwrap_or_default(),
                    decision: decisions[i].clone().unwrap_or_default(),
                    challenger_kind: kinds[i].clone(),
                });
            }
        }
        Ok(past)
    }

    /// The registry's champions as they were before this week's run: the
    /// registry, except that a scope whose champion is this run's own (a
    /// run killed after its registry write, or the latest week forced
    /// again) gets back the champion the run replaced, recorded beside its
    /// models before the registry write, or none if it had none. Without
    /// this, the re-run of a week that replaced a `creativeiq train`
    /// champion would find no champion and record "no champion yet"
    /// instead of the comparison the first run made.
    async fn registry_in_force(
        &self,
        lake: &Lake,
        run_id: &str,
    ) -> Result<BTreeMap<String, Champion>, RetrainError> {
        let mut champions = read_registry(lake).await?.champions;
        let own: Vec<String> = champions
            .iter()
            .filter(|(_, c)| c.run_id == run_id)
            .map(|(scope, _)| scope.clone())
            .collect();
        if own.is_empty() {
            return Ok(champions);
        }
        let path = replaced_path(run_id);
        let replaced: BTreeMap<String, Champion> = match lake.get(&path).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| RetrainError::Step {
                step: "reading the champions a promotion replaced",
                message: format!(
                    "{path}: {e}; delete it to compare the week with no champion, \
                     or restore it from a backup"
                ),
            })?,
            Err(LakeError::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }) => BTreeMap::new(),
            Err(e) => {
                return Err(RetrainError::Step {
                    step: "reading the champions a promotion replaced",
                    message: e.to_string(),
                })
            }
        };
        for scope in own {
            match replaced.get(&scope) {
                Some(c) => champions.insert(scope, c.clone()),
                None => champions.remove(&scope),
            };
        }
        Ok(champions)
    }

    /// The champion of `scope` while the week ran: the challenger of the
    /// last week before it that promoted one; without such a week, the
    /// registry's champion in force (see registry_in_force) if it was
    /// trained on data before the week. A platform without a champion of
    /// its own was served by the general one, so its first challenger has
    /// to beat that, not nothing.
    async fn champion_in_force(
        &self,
        lake: &Lake,
        scope: &str,
        history: &[PastDecision],
        registry: &BTreeMap<String, Champion>,
        run_id: &str,
    ) -> Result<Option<SavedModel>, RetrainError> {
        let week_name = self.week.to_string();
        let serving = if scope == ALL_SCOPE {
            vec![scope]
        } else {
            vec![scope, ALL_SCOPE]
        };
        for scope in serving {
            let promoted = history
                .iter()
                .filter(|d| {
                    d.scope == scope
                        && d.week < week_name
                        && d.decision == Decision::Promote.as_str()
                })
                .filter_map(|d| Some((d, d.challenger_kind.as_ref()?.parse::<ModelKind>().ok()?)))
                .next_back();
            if let Some((d, kind)) = promoted {
                return Ok(Some(
                    load_model(lake, &model_path(&d.run_id, scope, kind)).await?,
                ));
            }
            if let Some(c) = registry.get(scope).filter(|c| c.run_id != run_id) {
                let model = load_model(lake, &c.path).await?;
                if model.manifest.data.published_to < self.week.start() {
                    return Ok(Some(model));
                }
            }
        }
        Ok(None)
    }

    async fn importance_of(
        &self,
        session: &Session,
        run: &str,
        scope: &str,
        kind: ModelKind,
    ) -> Result<BTreeMap<String, (f64, i32)>, RetrainError> {
        let mut found = BTreeMap::new();
        for batch in run_job(session, "champion_importance", &[run, scope, kind.name()]).await? {
            let column = |j: usize, to: DataType| {
                arrow::compute::cast(batch.column(j), &to).map_err(|e| RetrainError::Step {
                    step: "reading the champion's importance",
                    message: e.to_string(),
                })
            };
            let (features, values, ranks) = (
                column(0, DataType::Utf8)?,
                column(1, DataType::Float64)?,
                column(2, DataType::Int32)?,
            );
            let (features, values, ranks) = (
                features.as_string::<i32>(),
                values.as_primitive::<Float64Type>(),
                ranks.as_primitive::<Int32Type>(),
            );
            for i in 0..batch.num_rows() {
                if !features.is_null(i) {
                    found.insert(
                        features.value(i).to_string(),
                        (values.value(i), ranks.value(i)),
                    );
                }
            }
        }
        Ok(found)
    }

    fn blocked_row(&self, scope: &str, decision: &str, reason: &str) -> RetrainRunRow {
        RetrainRunRow {
            scope: scope.to_string(),
            run_id: self.run_id(),
            decision: decision.to_string(),
            reason: reason.to_string(),
            challenger_kind: None,
            champion_run: None,
            champion_kind: None,
            n: 0,
            challenger: [None; 3],
            champion: [None; 3],
            mse_improvement: None,
            statistic: None,
            p_value: None,
            alpha: self.rule.alpha,
            margin: self.rule.margin,
            train_from: None,
            data_until: self.week.end(),
            decided_at: Utc::now(),
        }
    }

    fn run_row(
        &self,
        scope: &str,
        kind: ModelKind,
        c: &Comparison,
        champion: Option<&SavedModel>,
        train_from: Option<chrono::DateTime<Utc>>,
    ) -> RetrainRunRow {
        let three =
            |m: &crate::train::metrics::RegressionMetrics| [Some(m.r2), Some(m.rmse), Some(m.mae)];
        RetrainRunRow {
            challenger_kind: Some(kind.name().to_string()),
            champion_run: champion.map(|m| m.manifest.run_id.clone()),
            champion_kind: champion.map(|m| m.manifest.kind.name().to_string()),
            n: c.n,
            challenger: three(&c.challenger),
            champion: c.champion.as_ref().map(three).unwrap_or([None; 3]),
            mse_improvement: c.improvement,
            statistic: c.statistic,
            p_value: c.p_value,
            train_from,
            ..self.blocked_row(scope, c.decision.as_str(), &c.reason)
        }
    }
}

/// The champions a run's promotions replaced, beside its models.
fn replaced_path(run_id: &str) -> String {
    format!("models/{run_id}/replaced.json")
}

/// Where the tests stop the job as a kill would: with
/// `CREATIVEIQ_FAIL_AT=<name>` set, the process exits at once with status
/// 137 (a SIGKILL's) when it reaches the point `name`, writing nothing
/// more. A real kill lands anywhere; this lands deterministically on the
/// boundary whose recovery the tests check. Unset, it costs one lookup.
fn fail_point(name: &str) {
    if std::env::var_os("CREATIVEIQ_FAIL_AT").is_some_and(|v| v == name) {
        eprintln!("CREATIVEIQ_FAIL_AT={name}: stopping here as a kill would");
        std::process::exit(137);
    }
}

/// A saved model's predictions of posts, built with its own assembler.
fn predict_posts(model: &SavedModel, posts: &[TrainingPost]) -> Result<Vec<f64>, RetrainError> {
    let assembler = model
        .manifest
        .assembler
        .as_ref()
        .ok_or_else(|| RetrainError::Step {
            step: "scoring the champion",
            message: format!(
                "model {} has no assembler in its manifest",
                model.manifest.run_id
            ),
        })?;
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    Ok(model.predict_inputs(assembler.dataset(posts, false)?.features())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::publish::{Registry, REGISTRY_PATH};

    fn champion(run: &str, scope: &str) -> Champion {
        Champion {
            run_id: run.to_string(),
            kind: ModelKind::ElasticNet,
            holdout_r2: 0.3,
            path: model_path(run, scope, ModelKind::ElasticNet),
        }
    }

    #[tokio::test]
    async fn a_rerun_after_a_kill_compares_with_the_champions_the_first_run_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path().to_str().unwrap()).await.unwrap();
        let job = RetrainJob::new("2026-W24".parse().unwrap());
        let run = job.run_id();
        // The first run replaced train-0's `all` and gave instagram its
        // first champion, then was killed before its decision was written.
        let registry = Registry {
            champions: BTreeMap::from([
                ("all".to_string(), champion(&run, "all")),
                ("instagram".to_string(), champion(&run, "instagram")),
                ("x".to_string(), champion("train-1", "x")),
            ]),
            ..Registry::default()
        };
        lake.put(REGISTRY_PATH, serde_json::to_vec(&registry).unwrap().into())
            .await
            .unwrap();
        let replaced = BTreeMap::from([("all", champion("train-0", "all"))]);
        lake.put(
            &replaced_path(&run),
            serde_json::to_vec(&replaced).unwrap().into(),
        )
        .await
        .unwrap();
        let in_force = job.registry_in_force(&lake, &run).await.unwrap();
        assert_eq!(in_force.get("all"), Some(&champion("train-0", "all")));
        assert_eq!(in_force.get("instagram"), None);
        assert_eq!(in_force.get("x"), Some(&champion("train-1", "x")));
        // Another week's run sees the registry as it is.
        let other = RetrainJob::new("2026-W25".parse().unwrap());
        let as_is = other
            .registry_in_force(&lake, &other.run_id())
            .await
            .unwrap();
        assert_eq!(as_is, registry.champions);
    }
}
