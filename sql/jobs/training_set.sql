-- The rows `creativeiq train` learns from: every post of training_posts
-- (valid, labelled, balanced) with its context and, when its image has
-- features of the extractor version $1 computed without an error, that
-- image's row of features.design. A post without an image, or whose image
-- has no such row yet, keeps its context: the image columns are NULL and
-- the trainers impute them (has_image tells the learners).
--
-- The image is the one posts_checked found (by image_sha256, or by
-- image_url for imports); its features come from the view design_features.
--
-- Context: platform, published_at (hour and weekday are taken from it),
-- media_type, audience_size (followers), paid, caption (its length and
-- hashtags), hashtag_count as the source reported it.
-- Label and weight: performance_score, sample_weight (the balancing of
-- training_posts).
SELECT
  t.post_id,
  t.platform,
  t.published_at,
  t.performance_score,
  t.sample_weight,
  t.media_type,
  t.audience_size,
  t.paid,
  t.caption,
  t.hashtag_count,
  f.*
FROM training_posts AS t
LEFT JOIN design_features AS f
  ON f.image_sha256 = t.image_found_sha256 AND f.version = $1
ORDER BY t.published_at, t.platform, t.post_id
