-- images: one row per image content (sha256) from raw.images, the latest
-- fetch of it, with the URL it was fetched from. An image fetched twice has
-- the same bytes, so the same decode status, and counts once.
SELECT sha256, url, dt, bytes, format, width, height, decode_status, decode_error, fetched_at, fetches
FROM (
  SELECT
    i.*,
    row_number() OVER (PARTITION BY sha256 ORDER BY fetched_at DESC, url DESC) AS fetch_rank,
    count(*) OVER (PARTITION BY sha256) AS fetches
  FROM raw.images AS i
) AS ranked
WHERE fetch_rank = 1
