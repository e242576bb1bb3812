-- Up to 10 failing rows per check of the latest validation run.
SELECT check_name, severity, table_name, row_key, observed, detail, source
FROM (
  SELECT f.*, row_number() OVER (PARTITION BY check_name ORDER BY row_key) AS n
  FROM quality.failed_rows AS f
  WHERE run_id = (SELECT max(run_id) FROM quality.check_results)
) AS ranked
WHERE n <= 10
ORDER BY CASE severity WHEN 'error' THEN 0 ELSE 1 END, check_name, row_key
