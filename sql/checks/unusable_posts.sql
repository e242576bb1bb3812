-- Unusable posts: posts that cannot be labelled or placed. Fails for every
-- post (latest snapshot) on a platform the raw.posts contract does not
-- know, missing a required field (post_id, published_at, collected_at, or
-- every interaction count), or with no impressions, reach or audience size
-- to compute an engagement rate from (posts_checked's rules
-- unknown_platform, missing_required, no_denominator).
--
-- severity: error
SELECT
  'posts' AS table_name,
  concat('platform=', platform, ' post_id=', coalesce(post_id, '(none)')) AS row_key,
  CAST(NULL AS DOUBLE) AS observed,
  concat(reject_rule, ': ', reject_detail) AS detail,
  concat(source, ':', source_record) AS source
FROM posts_checked
WHERE reject_rule IN ('unknown_platform', 'missing_required', 'no_denominator')
