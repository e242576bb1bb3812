-- The 40 most recent A/B comparisons with their recomputed test.
SELECT
  test_id, control, variant, control_impressions, variant_impressions,
  control_conversion_rate, variant_conversion_rate, conversion_rate_diff,
  ci_low, ci_high, p_value, recorded_significance, recomputed_significance,
  significant, winner, significance_disagrees, srm_p_value
FROM ab_results
ORDER BY started_at DESC, test_id, variant
LIMIT 40
