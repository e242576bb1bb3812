-- The designs a brand is learnt from with `creativeiq brand learn --account`:
-- the features (extractor version $1) of the images of account $2's valid
-- posts, each image once (a design posted on several platforms or twice
-- counts once, under its first post).
SELECT p.post_id, p.account_id, p.platform, f.*
FROM (
  SELECT
    v.post_id, v.account_id, v.platform, v.image_sha256,
    row_number() OVER (PARTITION BY v.image_sha256 ORDER BY v.published_at, v.platform, v.post_id) AS image_rank
  FROM posts_valid AS v
  WHERE v.account_id = $2 AND v.image_sha256 IS NOT NULL
) AS p
JOIN features.design AS f
  ON f.image_sha256 = p.image_sha256 AND f.version = $1 AND f.error IS NULL
WHERE p.image_rank = 1
ORDER BY p.post_id
