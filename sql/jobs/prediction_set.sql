-- The posts `creativeiq predict --partition` scores: every valid post
-- (posts_valid) published on a day dt between $2 and $3, with its context
-- and, when its image has features of the extractor version $1, that
-- image's row of design_features (the same columns as
-- sql/jobs/training_set.sql, without the label).
SELECT
  t.dt,
  t.post_id,
  t.platform,
  t.published_at,
  t.media_type,
  t.audience_size,
  t.paid,
  t.caption,
  t.hashtag_count,
  f.*
FROM posts_valid AS t
LEFT JOIN design_features AS f
  ON f.image_sha256 = t.image_found_sha256 AND f.version = $1
WHERE t.dt BETWEEN $2 AND $3
ORDER BY t.dt, t.platform, t.post_id
