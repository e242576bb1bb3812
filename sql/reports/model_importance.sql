-- Permutation importance (the drop of the holdout R² when a feature is
-- shuffled) of the report run's champions: their 20 most important features.
SELECT i.scope, i.model_kind, i.feature, i.importance, i.importance_std, i.rank
FROM metrics.feature_importance AS i
JOIN metrics.model_metrics AS m
  ON m.run = i.run AND m.scope = i.scope AND m.model_kind = i.model_kind
 AND m.split = 'holdout' AND m.champion
WHERE i.run = (SELECT run FROM meta.report_run) AND i.method = 'permutation' AND i.rank <= 20
ORDER BY i.scope, i.rank
