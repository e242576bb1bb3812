-- Every check's status in the last 30 validation runs.
SELECT r.run_id, r.check_name, r.status, r.severity, r.failed_rows
FROM quality.check_results AS r
JOIN (
  SELECT run_id FROM quality.check_results GROUP BY run_id ORDER BY run_id DESC LIMIT 30
) AS recent ON recent.run_id = r.run_id
ORDER BY r.run_id, r.check_name
