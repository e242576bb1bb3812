-- engagement_hourly: engagement by platform, weekday and hour of
-- publication (UTC) over the valid posts: "when do our posts do best".
-- weekday: 0 = Sunday .. 6 = Saturday. mean_performance_score comes from
-- labelled_posts (every valid post, whatever the balancing; comparable
-- across months and platforms).
SELECT
  platform,
  CAST(date_part('dow', published_at) AS INTEGER) AS weekday,
  CAST(date_part('hour', published_at) AS INTEGER) AS hour,
  count(*) AS posts,
  avg(engagement_rate) AS mean_engagement_rate,
  median(engagement_rate) AS median_engagement_rate,
  avg(performance_score) AS mean_performance_score
FROM labelled_posts
GROUP BY 1, 2, 3
