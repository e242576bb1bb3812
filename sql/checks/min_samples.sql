-- Minimum samples: enough valid posts to train on, overall and per platform.
-- Fails for the whole lake below min_overall valid posts, and for every
-- platform that has posts but fewer than min_per_platform valid ones (too
-- few for a platform model; the seed asks for 100+ samples).
--
-- severity: error
-- param min_overall: 100
-- param min_per_platform: 20
WITH per_platform AS (
  SELECT platform, sum(CASE WHEN reject_rule IS NULL THEN 1 ELSE 0 END) AS valid
  FROM posts_checked
  WHERE known_platform IS NOT NULL
  GROUP BY platform
),
overall AS (
  SELECT coalesce(sum(valid), 0) AS valid FROM per_platform
)
SELECT
  'posts_valid' AS table_name,
  'all platforms' AS row_key,
  CAST(valid AS DOUBLE) AS observed,
  concat(valid, ' valid posts; at least ', $min_overall, ' are needed to train') AS detail,
  CAST(NULL AS VARCHAR) AS source
FROM overall
WHERE valid < $min_overall
UNION ALL
SELECT
  'posts_valid',
  concat('platform=', platform),
  CAST(valid AS DOUBLE),
  concat(platform, ' has ', valid, ' valid posts; at least ', $min_per_platform, ' are needed for a platform model'),
  CAST(NULL AS VARCHAR)
FROM per_platform
WHERE valid < $min_per_platform
