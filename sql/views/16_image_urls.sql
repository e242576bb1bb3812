-- image_urls: the image most recently fetched from each URL that a post or
-- an A/B arm names without an image_sha256. posts_checked finds a post's
-- image by its image_sha256 when the post has one, and by its image_url
-- otherwise (an export's posts and its image folder, imported separately,
-- meet here: `import designs/` records file:///abs/path URLs); ab_results
-- does the same for each arm.
--
-- Only those URLs: ranking every fetch of the lake by URL is a sort of all
-- of raw.images, for the few rows that have no image_sha256. A URL keeps
-- all its fetches, so the one picked does not depend on the restriction.
-- The latest fetch is the first row of its URL in one sort (previous_url
-- differs; url is never NULL), as in images.
SELECT url, sha256, decode_status, decode_error
FROM (
  SELECT
    i.*,
    lag(url) OVER (ORDER BY url, fetched_at DESC, sha256 DESC) AS previous_url
  FROM raw.images AS i
  WHERE i.url IN (
    SELECT CASE WHEN image_url LIKE '/%' THEN concat('file://', image_url) ELSE image_url END
    FROM raw.posts
    WHERE image_sha256 IS NULL
    UNION ALL
    SELECT image_url
    FROM raw.ab_tests
    WHERE image_sha256 IS NULL
  )
) AS ranked
WHERE previous_url IS DISTINCT FROM url
