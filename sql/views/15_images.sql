-- images: one row per image content (sha256) from raw.images, the latest
-- fetch of it, with the URL it was fetched from. An image fetched twice has
-- the same bytes, so the same decode status, and counts once.
--
-- The latest fetch is the first row of its image in one sort of raw.images
-- (previous_sha256 differs), and fetches = the image's last position
-- (count up to its peers) - its first (rank) + 1, rather than a window
-- partition per image, which costs DataFusion microseconds per partition.
SELECT sha256, url, dt, bytes, format, width, height, decode_status, decode_error, fetched_at, fetches
FROM (
  SELECT
    i.*,
    lag(sha256) OVER (ORDER BY sha256, fetched_at DESC, url DESC) AS previous_sha256,
    count(*) OVER (ORDER BY sha256) - rank() OVER (ORDER BY sha256) + 1 AS fetches
  FROM raw.images AS i
) AS ranked
WHERE previous_sha256 IS DISTINCT FROM sha256
