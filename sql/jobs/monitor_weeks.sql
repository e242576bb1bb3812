-- `creativeiq monitor`: the weeks the retrain job decided, newest first,
-- with the per-scope trend of the champion's R² on each week.
SELECT r.week, r.scope, r.decision, round(r.challenger_r2, 3) AS challenger_r2,
  round(a.r2, 3) AS champion_r2_on_week
FROM metrics.retrain_runs AS r
LEFT JOIN metrics.accuracy AS a ON a.week = r.week AND a.scope = r.scope
ORDER BY r.week DESC, r.scope
