-- Engagement rate and counts per platform over the valid posts.
SELECT
  platform,
  count(*) AS posts,
  approx_percentile_cont(0.1) WITHIN GROUP (ORDER BY engagement_rate) AS p10,
  median(engagement_rate) AS median,
  approx_percentile_cont(0.9) WITHIN GROUP (ORDER BY engagement_rate) AS p90,
  avg(interactions) AS mean_interactions,
  avg(denominator) AS mean_denominator
FROM posts_valid
GROUP BY platform
ORDER BY platform
