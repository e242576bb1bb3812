-- The percentile of each of a design's features among the competitors'
-- posts (`creativeiq compare`). insight.design_values (feature, value) holds
-- the design, insight.competitor_values (post_id, feature, value) the
-- competitors' posts, both registered by the command.
--
-- percentile = 100 x (posts with a lower value + half the posts with the
-- same value) / posts: the mid-rank definition performance_score uses, so
-- a value equal to every competitor's sits at 50.
SELECT
  d.feature,
  d.value,
  count(c.value) AS competitor_posts,
  min(c.value) AS competitor_min,
  median(c.value) AS competitor_median,
  max(c.value) AS competitor_max,
  100.0 * (sum(CASE WHEN c.value < d.value THEN 1 ELSE 0 END)
           + 0.5 * sum(CASE WHEN c.value = d.value THEN 1 ELSE 0 END))
    / count(c.value) AS percentile
FROM insight.design_values AS d
JOIN insight.competitor_values AS c ON c.feature = d.feature
WHERE c.value IS NOT NULL AND NOT isnan(c.value)
GROUP BY d.feature, d.value
ORDER BY d.feature
