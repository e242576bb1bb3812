-- The checks of the latest validation run.
SELECT run_id, run_at, as_of, check_name, severity, status, failed_rows, stored_rows, threshold, detail, seconds, quality_score
FROM quality.check_results
WHERE run_id = (SELECT max(run_id) FROM quality.check_results)
ORDER BY CASE status WHEN 'pass' THEN 1 ELSE 0 END, CASE severity WHEN 'error' THEN 0 ELSE 1 END, check_name
