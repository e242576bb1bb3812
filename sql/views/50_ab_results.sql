-- ab_results: every A/B test, one row per variant compared with the
-- control (the variant whose key sorts first: `a`), from the latest row of
-- each (test_id, variant) in raw.ab_tests.
--
-- Counts: conversions and clicks as counted, or rate x impressions rounded
-- when the source gives only rates. Rates: counts / impressions.
-- The test: a two-sided two-proportion z-test on conversions with the pooled
-- proportion (statsmodels' proportions_ztest):
--   p = (x1 + x2) / (n1 + n2), z = (p2 - p1) / sqrt(p (1 - p) (1/n1 + 1/n2)),
--   p_value = 2 Φ(-|z|)
-- and the same on clicks (ctr_p_value). The confidence interval of
-- p2 - p1 at 1 - ab_alpha is the unpooled Wald interval
--   (p2 - p1) ± Φ⁻¹(1 - ab_alpha/2) sqrt(p1 (1 - p1)/n1 + p2 (1 - p2)/n2).
-- significant: p_value < ab_alpha (sql/settings.toml). winner: the variant
-- with the higher conversion rate when significant, else NULL.
-- recomputed_significance = 1 - p_value, on the scale of the tool's
-- recorded_significance (0.95 = "95% significant");
-- significance_disagrees: the tool called the test significant
-- (recorded_significance >= 1 - ab_alpha) and the recomputation does not,
-- or the other way round.
-- control_image_sha256 / variant_image_sha256: each arm's design, by its
-- image_sha256 or else the image fetched from its image_url (NULL when
-- neither is in raw.images); the trainers score A/B pairs on them.
-- srm_p_value: the sample-ratio-mismatch test of the whole test (chi-square
-- of the variants' impressions against an equal split, variants - 1 degrees
-- of freedom); a tiny value means the traffic split is broken and the
-- result cannot be trusted.
WITH latest AS (
  SELECT *
  FROM (
    SELECT
      a.*,
      row_number() OVER (
        PARTITION BY test_id, variant
        ORDER BY collected_at DESC, source DESC, source_record DESC
      ) AS snapshot_rank
    FROM raw.ab_tests AS a
  ) AS ranked
  WHERE snapshot_rank = 1
),
arms AS (
  SELECT
    test_id, variant, platform, started_at, recorded_significance,
    impressions,
    coalesce(conversions, CAST(round(conversion_rate * impressions) AS BIGINT)) AS conversions,
    coalesce(clicks, CAST(round(click_through_rate * impressions) AS BIGINT)) AS clicks,
    coalesce(latest.image_sha256, u.sha256) AS image_sha256,
    row_number() OVER (PARTITION BY test_id ORDER BY variant) AS arm
  FROM latest
  LEFT JOIN image_urls AS u
    ON latest.image_sha256 IS NULL AND u.url = latest.image_url
),
split AS (
  SELECT
    test_id,
    count(*) AS variants,
    sum(impressions) AS test_impressions,
    sum(
      (impressions - CAST(sum_impressions AS DOUBLE) / arms_count)
      * (impressions - CAST(sum_impressions AS DOUBLE) / arms_count)
      / (CAST(sum_impressions AS DOUBLE) / arms_count)
    ) AS srm_chi2
  FROM (
    SELECT
      test_id, impressions,
      sum(impressions) OVER (PARTITION BY test_id) AS sum_impressions,
      count(*) OVER (PARTITION BY test_id) AS arms_count
    FROM arms
  ) AS a
  GROUP BY test_id
),
pairs AS (
  SELECT
    c.test_id,
    coalesce(t.platform, c.platform) AS platform,
    c.started_at,
    c.variant AS control,
    t.variant AS variant,
    c.image_sha256 AS control_image_sha256,
    t.image_sha256 AS variant_image_sha256,
    c.impressions AS control_impressions,
    t.impressions AS variant_impressions,
    c.conversions AS control_conversions,
    t.conversions AS variant_conversions,
    c.clicks AS control_clicks,
    t.clicks AS variant_clicks,
    CAST(c.conversions AS DOUBLE) / nullif(c.impressions, 0) AS p1,
    CAST(t.conversions AS DOUBLE) / nullif(t.impressions, 0) AS p2,
    CAST(c.conversions + t.conversions AS DOUBLE) / nullif(c.impressions + t.impressions, 0) AS pooled,
    CAST(c.clicks AS DOUBLE) / nullif(c.impressions, 0) AS q1,
    CAST(t.clicks AS DOUBLE) / nullif(t.impressions, 0) AS q2,
    CAST(c.clicks + t.clicks AS DOUBLE) / nullif(c.impressions + t.impressions, 0) AS pooled_clicks,
    coalesce(c.recorded_significance, t.recorded_significance) AS recorded_significance
  FROM arms AS c
  JOIN arms AS t ON t.test_id = c.test_id AND c.arm = 1 AND t.arm > 1
),
tested AS (
  SELECT
    pairs.*,
    (p2 - p1) / nullif(sqrt(pooled * (1 - pooled) * (1.0 / control_impressions + 1.0 / variant_impressions)), 0) AS z,
    (q2 - q1) / nullif(sqrt(pooled_clicks * (1 - pooled_clicks) * (1.0 / control_impressions + 1.0 / variant_impressions)), 0) AS ctr_z,
    sqrt(p1 * (1 - p1) / control_impressions + p2 * (1 - p2) / variant_impressions) AS se_diff
  FROM pairs
)
SELECT
  t.test_id, t.platform, t.started_at, t.control, t.variant,
  t.control_image_sha256, t.variant_image_sha256,
  t.control_impressions, t.variant_impressions,
  t.control_conversions, t.variant_conversions,
  t.control_clicks, t.variant_clicks,
  t.p1 AS control_conversion_rate,
  t.p2 AS variant_conversion_rate,
  t.q1 AS control_click_through_rate,
  t.q2 AS variant_click_through_rate,
  t.p2 - t.p1 AS conversion_rate_diff,
  t.z,
  2 * normal_cdf(-abs(t.z)) AS p_value,
  (t.p2 - t.p1) - normal_quantile(1 - s.ab_alpha / 2) * t.se_diff AS ci_low,
  (t.p2 - t.p1) + normal_quantile(1 - s.ab_alpha / 2) * t.se_diff AS ci_high,
  2 * normal_cdf(-abs(t.ctr_z)) AS ctr_p_value,
  1 - 2 * normal_cdf(-abs(t.z)) AS recomputed_significance,
  t.recorded_significance,
  2 * normal_cdf(-abs(t.z)) < s.ab_alpha AS significant,
  CASE
    WHEN 2 * normal_cdf(-abs(t.z)) < s.ab_alpha AND t.p2 > t.p1 THEN t.variant
    WHEN 2 * normal_cdf(-abs(t.z)) < s.ab_alpha AND t.p2 < t.p1 THEN t.control
  END AS winner,
  t.recorded_significance IS NOT NULL
    AND t.z IS NOT NULL
    AND (t.recorded_significance >= 1 - s.ab_alpha) <> (2 * normal_cdf(-abs(t.z)) < s.ab_alpha)
    AS significance_disagrees,
  sp.variants,
  chi2_sf(sp.srm_chi2, sp.variants - 1) AS srm_p_value,
  s.ab_alpha
FROM tested AS t
JOIN split AS sp ON sp.test_id = t.test_id
CROSS JOIN meta.settings AS s
