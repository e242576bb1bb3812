-- Engagement rate of the valid posts per platform in 25 bins from 0 to the
-- 99th percentile of all platforms (the top 1% go into the last bin).
WITH top AS (
  SELECT approx_percentile_cont(0.99) WITHIN GROUP (ORDER BY engagement_rate) AS rate
  FROM posts_valid
)
SELECT
  v.platform,
  least(CAST(floor(v.engagement_rate / (t.rate / 25)) AS BIGINT), 24) AS bin,
  t.rate / 25 AS bin_width,
  count(*) AS posts
FROM posts_valid AS v
CROSS JOIN top AS t
WHERE t.rate > 0
GROUP BY 1, 2, 3
ORDER BY 1, 2
