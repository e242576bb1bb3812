-- `creativeiq monitor`: the champion's accuracy on week $1 against the R²
-- it had when trained.
SELECT scope, champion_run, champion_kind, n, round(r2, 3) AS r2, round(rmse, 2) AS rmse,
  round(reference_r2, 3) AS reference_r2, round(r2_drop, 3) AS r2_drop, flagged
FROM metrics.accuracy
WHERE week = $1
ORDER BY scope
