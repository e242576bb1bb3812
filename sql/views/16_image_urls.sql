-- image_urls: the image most recently fetched from each URL. posts_checked
-- finds a post's image by its image_sha256 when the post has one, and by its
-- image_url otherwise (an export's posts and its image folder, imported
-- separately, meet here: `import designs/` records file:///abs/path URLs).
SELECT url, sha256, decode_status, decode_error
FROM (
  SELECT
    i.*,
    row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC, sha256 DESC) AS url_rank
  FROM raw.images AS i
) AS ranked
WHERE url_rank = 1
