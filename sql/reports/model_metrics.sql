-- The models of the report's run: holdout metrics beside the
-- cross-validation R², champions first within each scope.
SELECT
  h.scope, h.model_kind, h.champion, h.rows AS holdout_rows,
  h.r2, c.r2 AS cv_r2, h.rmse, h.mae, h.spearman, h.accuracy, c.accuracy AS cv_accuracy,
  h.pairwise_accuracy, h.ab_pairs, h.ceiling_ratio,
  h.search_candidates, h.seconds, h.params
FROM metrics.model_metrics AS h
LEFT JOIN metrics.model_metrics AS c
  ON c.run = h.run AND c.scope = h.scope AND c.model_kind = h.model_kind AND c.split = 'cv'
WHERE h.split = 'holdout' AND h.run = (SELECT run FROM meta.report_run)
ORDER BY CASE h.scope WHEN 'all' THEN 0 ELSE 1 END, h.scope, h.champion DESC, h.r2 DESC NULLS LAST, h.model_kind
