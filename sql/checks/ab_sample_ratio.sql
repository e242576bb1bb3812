-- A/B sample-ratio mismatch: the variants of a test got the traffic split
-- they were meant to (an equal split). Fails for every test whose
-- chi-square test of the variants' impressions against an equal split has
-- a p-value below min_p_value (ab_results.srm_p_value): its assignment is
-- broken and its result cannot be trusted. Observed: that p-value.
--
-- severity: warning
-- param min_p_value: 0.001
SELECT
  'ab_results' AS table_name,
  concat('test_id=', test_id) AS row_key,
  min(srm_p_value) AS observed,
  concat('impressions ', string_agg(concat(variant, ' ', variant_impressions), ', ' ORDER BY variant),
         ' against control ', min(control), ' ', min(control_impressions),
         ': sample-ratio mismatch p = ', min(srm_p_value), ' < ', $min_p_value) AS detail,
  CAST(NULL AS VARCHAR) AS source
FROM ab_results
GROUP BY test_id
HAVING min(srm_p_value) < $min_p_value
