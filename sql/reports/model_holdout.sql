-- The holdout predictions of the report run's champions (one per scope),
-- with the residual (predicted minus actual score).
SELECT
  p.scope, p.model_kind, p.post_id, p.platform, p.published_at,
  p.actual, p.predicted, p.predicted - p.actual AS residual
FROM metrics.holdout_predictions AS p
JOIN metrics.model_metrics AS m
  ON m.run = p.run AND m.scope = p.scope AND m.model_kind = p.model_kind
 AND m.split = 'holdout' AND m.champion
WHERE p.run = (SELECT run FROM meta.report_run)
ORDER BY p.scope, p.platform, p.post_id
