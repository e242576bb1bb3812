-- `creativeiq monitor`: the decisions of week $1, one row per scope.
SELECT scope, decision, challenger_kind, champion_run, champion_kind, n,
  round(challenger_r2, 3) AS challenger_r2, round(champion_r2, 3) AS champion_r2,
  round(challenger_rmse, 2) AS challenger_rmse, round(champion_rmse, 2) AS champion_rmse,
  round(mse_improvement, 3) AS mse_improvement, round(statistic, 2) AS z, p_value, reason
FROM metrics.retrain_runs
WHERE week = $1
ORDER BY scope
