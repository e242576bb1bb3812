-- The retrain job's past decisions, oldest week first: which champion was
-- in force at a week (the last promotion before it) and whether a week is
-- already decided (a blocked week is not).
SELECT week, scope, run_id, decision, challenger_kind
FROM metrics.retrain_runs
ORDER BY week, scope
