-- engagement_daily: engagement history by platform, account and day of
-- publication (dt), over the valid posts: for dashboards and SQL users.
-- engagement_rate is the pooled rate (interactions / denominators); the
-- mean and median of the posts' own rates are beside it.
SELECT
  platform,
  account_id,
  dt,
  count(*) AS posts,
  sum(interactions) AS interactions,
  sum(impressions) AS impressions,
  sum(reach) AS reach,
  CAST(sum(interactions) AS DOUBLE) / sum(denominator) AS engagement_rate,
  avg(engagement_rate) AS mean_engagement_rate,
  median(engagement_rate) AS median_engagement_rate
FROM posts_valid
GROUP BY platform, account_id, dt
