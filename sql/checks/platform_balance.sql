-- Platform distribution balance: no platform dominates the valid posts.
-- Fails for every platform with more than max_ratio times the valid posts
-- of the smallest platform (observed: that ratio). training_posts can
-- balance them (balance_strategy); this check says how far off the raw
-- data is.
--
-- severity: warning
-- param max_ratio: 5
WITH counts AS (
  SELECT platform, count(*) AS posts FROM posts_valid GROUP BY platform
),
smallest AS (
  SELECT min(posts) AS posts, count(*) AS platforms FROM counts
)
SELECT
  'posts_valid' AS table_name,
  concat('platform=', c.platform) AS row_key,
  CAST(c.posts AS DOUBLE) / s.posts AS observed,
  concat(c.platform, ' has ', c.posts, ' valid posts, ',
         round(CAST(c.posts AS DOUBLE) / s.posts, 1), ' times the smallest platform (',
         s.posts, '); at most ', $max_ratio, ' times is balanced') AS detail,
  CAST(NULL AS VARCHAR) AS source
FROM counts AS c
CROSS JOIN smallest AS s
WHERE s.platforms > 1 AND c.posts > $max_ratio * s.posts
