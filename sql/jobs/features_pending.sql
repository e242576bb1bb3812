-- The images a `creativeiq features` run works on: every image in raw.images
-- (in the chosen dt range) with no row in features.design for the extractor
-- version $1; $2 / $3 = first and last dt. An image fetched twice is
-- extracted once, under its first dt. `bytes` sizes the read-ahead; `landing`
-- is what the landing check found wrong, to explain a blob that was never
-- stored.
SELECT
  i.sha256,
  min(i.format) AS format,
  min(i.dt) AS dt,
  max(i.bytes) AS bytes,
  min(CASE WHEN i.decode_status <> 'ok'
      THEN i.decode_status || ': ' || coalesce(i.decode_error, '') END) AS landing
FROM raw.images AS i
WHERE i.dt BETWEEN $2 AND $3
  AND NOT EXISTS (
    SELECT 1
    FROM features.design AS f
    WHERE f.version = $1 AND f.image_sha256 = i.sha256
  )
GROUP BY i.sha256
ORDER BY dt, i.sha256
