-- Every training run in the lake, newest first: when it finished, how many
-- models it trained, and its best holdout R².
SELECT
  run,
  max(trained_at) AS trained_at,
  count(DISTINCT scope || '/' || model_kind) AS models,
  max(CASE WHEN split = 'holdout' THEN r2 END) AS best_holdout_r2
FROM metrics.model_metrics
GROUP BY run
ORDER BY trained_at DESC, run DESC
