-- The last 60 validation runs: the score and how many checks failed.
SELECT
  run_id,
  min(run_at) AS run_at,
  min(quality_score) AS quality_score,
  CAST(sum(CASE WHEN status = 'pass' THEN 0 ELSE 1 END) AS BIGINT) AS failed_checks,
  CAST(sum(CASE WHEN status <> 'pass' AND severity = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS failed_errors
FROM quality.check_results
GROUP BY run_id
ORDER BY run_id DESC
LIMIT 60
