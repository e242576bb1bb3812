-- Missing data per column: the columns models and dashboards use are
-- filled in. Fails for every (platform, column) where more than
-- max_missing_share of the posts lack a value, unless every post of the
-- platform lacks it (the platform does not report it: LinkedIn has no
-- saves). Observed: the share missing. See the view column_completeness.
--
-- severity: warning
-- param max_missing_share: 0.2
SELECT
  'posts' AS table_name,
  concat('platform=', platform, ' column=', column_name) AS row_key,
  CAST(missing AS DOUBLE) / posts AS observed,
  concat(missing, ' of ', posts, ' ', platform, ' posts (',
         round(100.0 * missing / posts, 1), '%) have no ', column_name,
         '; at most ', round(100 * $max_missing_share, 1), '% may') AS detail,
  CAST(NULL AS VARCHAR) AS source
FROM column_completeness
WHERE missing < posts
  AND CAST(missing AS DOUBLE) / posts > $max_missing_share
