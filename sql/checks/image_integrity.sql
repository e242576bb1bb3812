-- Image integrity: every image a post names is in raw.images and decodes,
-- and every image in raw.images decodes. Fails for each post whose image is
-- missing or undecodable (whatever else is wrong with the post), and for
-- each raw.images row that does not decode (observed: its bytes).
--
-- severity: error
SELECT
  'posts' AS table_name,
  concat('platform=', platform, ' post_id=', post_id) AS row_key,
  CAST(NULL AS DOUBLE) AS observed,
  CASE image_status
    WHEN 'missing' THEN concat('image ', image_sha256, ' is not in raw.images')
    ELSE concat('image ', image_found_sha256, ' is ', image_decode_status, ': ', coalesce(image_decode_error, ''))
  END AS detail,
  concat(source, ':', source_record) AS source
FROM posts_checked
WHERE image_status IN ('missing', 'undecodable')
UNION ALL
SELECT
  'raw.images',
  concat('sha256=', sha256, ' dt=', dt),
  CAST(bytes AS DOUBLE),
  concat('image from ', url, ' is ', decode_status, ': ', coalesce(decode_error, '')),
  url
FROM raw.images
WHERE decode_status <> 'ok'
