-- Freshness: every platform has recent posts. Fails for every platform
-- whose newest publication day (dt) is more than max_age_days before the
-- run's reference day $as_of (today, or `validate --as-of DAY`): its
-- collection has probably stopped. Observed: the age in days.
--
-- severity: warning
-- param max_age_days: 7
SELECT
  'raw.posts' AS table_name,
  concat('platform=', platform) AS row_key,
  CAST(age_days AS DOUBLE) AS observed,
  concat('the newest ', platform, ' post is from ', newest, ', ', age_days,
         ' days before ', $as_of, '; at most ', $max_age_days, ' days is fresh') AS detail,
  CAST(NULL AS VARCHAR) AS source
FROM (
  SELECT
    platform,
    newest,
    CAST(floor((date_part('epoch', CAST($as_of AS TIMESTAMP)) - date_part('epoch', CAST(newest AS TIMESTAMP))) / 86400) AS BIGINT) AS age_days
  FROM (
    SELECT platform, max(dt) AS newest
    FROM raw.posts
    GROUP BY platform
  ) AS newest_per_platform
) AS aged
WHERE age_days > $max_age_days
