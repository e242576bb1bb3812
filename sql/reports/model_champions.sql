-- The champion history: each run's best regressor per scope (by holdout R²),
-- oldest first, and whether the registry (models/champions.json) holds it now.
SELECT
  m.run, m.trained_at, m.scope, m.model_kind, m.r2 AS holdout_r2, m.rows AS holdout_rows,
  c.run_id IS NOT NULL AS current_champion
FROM metrics.model_metrics AS m
LEFT JOIN models.champions AS c
  ON c.scope = m.scope AND c.run_id = m.run AND c.model_kind = m.model_kind
WHERE m.split = 'holdout' AND m.champion
ORDER BY m.trained_at, m.run, m.scope
