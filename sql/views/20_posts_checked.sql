-- posts_checked: every row of `posts` with what its image is and the first
-- validation rule it breaks (reject_rule NULL: it breaks none).
-- posts_valid and posts_rejected split it; the quality checks read it.
--
-- image_status: ok           the image is in raw.images and decodes
--               none         the post names no image (a text-only post; it
--                            still trains on its context features)
--               not_fetched  it has an image_url that no raw.images row has
--                            yet (imports do not download images)
--               missing      its image_sha256 is not in raw.images
--               undecodable  raw.images says the image does not decode
--
-- The rules, in the order they are tried (a row is rejected for the first):
--   unknown_platform           platform is not in the raw.posts contract
--   missing_required           no post_id, published_at or collected_at, or
--                              no interaction count at all
--   negative_count             a count below 0
--   published_after_collected  published_at later than collected_at
--   count_above_impressions    a count (likes, comments, shares, saves,
--                              clicks, reach) above impressions, where the
--                              platform reports impressions
--   no_denominator             no impressions, reach or audience size above 0,
--                              so no engagement rate
--   image_missing              image_status = missing
--   image_undecodable          image_status = undecodable
SELECT
  c.*,
  CASE
    WHEN known_platform IS NULL THEN 'unknown_platform'
    WHEN post_id IS NULL OR published_at IS NULL OR collected_at IS NULL
      OR (likes IS NULL AND comments IS NULL AND shares IS NULL AND saves IS NULL AND clicks IS NULL)
      THEN 'missing_required'
    WHEN likes < 0 OR comments < 0 OR shares < 0 OR saves < 0 OR clicks < 0 OR views < 0
      OR reach < 0 OR impressions < 0 OR audience_size < 0 OR hashtag_count < 0
      THEN 'negative_count'
    WHEN published_at > collected_at THEN 'published_after_collected'
    WHEN likes > impressions OR comments > impressions OR shares > impressions
      OR saves > impressions OR clicks > impressions OR reach > impressions
      THEN 'count_above_impressions'
    WHEN denominator IS NULL THEN 'no_denominator'
    WHEN image_status = 'missing' THEN 'image_missing'
    WHEN image_status = 'undecodable' THEN 'image_undecodable'
  END AS reject_rule,
  CASE
    WHEN known_platform IS NULL THEN concat('platform ', platform, ' is not one the raw.posts contract allows')
    WHEN post_id IS NULL THEN 'post_id is missing'
    WHEN published_at IS NULL THEN 'published_at is missing'
    WHEN collected_at IS NULL THEN 'collected_at is missing'
    WHEN likes IS NULL AND comments IS NULL AND shares IS NULL AND saves IS NULL AND clicks IS NULL
      THEN 'no interaction count (likes, comments, shares, saves, clicks) at all'
    WHEN likes < 0 THEN concat('likes = ', likes)
    WHEN comments < 0 THEN concat('comments = ', comments)
    WHEN shares < 0 THEN concat('shares = ', shares)
    WHEN saves < 0 THEN concat('saves = ', saves)
    WHEN clicks < 0 THEN concat('clicks = ', clicks)
    WHEN views < 0 THEN concat('views = ', views)
    WHEN reach < 0 THEN concat('reach = ', reach)
    WHEN impressions < 0 THEN concat('impressions = ', impressions)
    WHEN audience_size < 0 THEN concat('audience_size = ', audience_size)
    WHEN hashtag_count < 0 THEN concat('hashtag_count = ', hashtag_count)
    WHEN published_at > collected_at
      THEN concat('published_at ', CAST(published_at AS VARCHAR), ' is after collected_at ', CAST(collected_at AS VARCHAR))
    WHEN likes > impressions THEN concat('likes ', likes, ' > impressions ', impressions)
    WHEN comments > impressions THEN concat('comments ', comments, ' > impressions ', impressions)
    WHEN shares > impressions THEN concat('shares ', shares, ' > impressions ', impressions)
    WHEN saves > impressions THEN concat('saves ', saves, ' > impressions ', impressions)
    WHEN clicks > impressions THEN concat('clicks ', clicks, ' > impressions ', impressions)
    WHEN reach > impressions THEN concat('reach ', reach, ' > impressions ', impressions)
    WHEN denominator IS NULL THEN 'no impressions, reach or audience_size above 0 to divide by'
    WHEN image_status = 'missing' THEN concat('image ', image_sha256, ' is not in raw.images')
    WHEN image_status = 'undecodable'
      THEN concat('image ', image_found_sha256, ' is ', image_decode_status, ': ', coalesce(image_decode_error, ''))
  END AS reject_detail
FROM (
  SELECT
    p.*,
    a.value AS known_platform,
    coalesce(by_sha.sha256, by_url.sha256) AS image_found_sha256,
    coalesce(by_sha.decode_status, by_url.decode_status) AS image_decode_status,
    coalesce(by_sha.decode_error, by_url.decode_error) AS image_decode_error,
    CASE
      WHEN p.image_sha256 IS NULL AND p.image_url IS NULL THEN 'none'
      WHEN p.image_sha256 IS NOT NULL AND by_sha.sha256 IS NULL THEN 'missing'
      WHEN p.image_sha256 IS NULL AND by_url.sha256 IS NULL THEN 'not_fetched'
      WHEN coalesce(by_sha.decode_status, by_url.decode_status) = 'ok' THEN 'ok'
      ELSE 'undecodable'
    END AS image_status
  FROM posts AS p
  LEFT JOIN meta.allowed_values AS a
    ON a.table_name = 'raw.posts' AND a.column_name = 'platform' AND a.value = p.platform
  LEFT JOIN images AS by_sha
    ON by_sha.sha256 = p.image_sha256
  LEFT JOIN image_urls AS by_url
    ON p.image_sha256 IS NULL
    AND by_url.url = CASE WHEN p.image_url LIKE '/%' THEN concat('file://', p.image_url) ELSE p.image_url END
) AS c
