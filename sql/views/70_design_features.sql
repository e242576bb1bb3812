-- design_features: the usable rows of features.design, one per image and
-- extractor version: rows whose extraction failed (error set) are left
-- out, and an image extracted under two dt partitions counts once (its
-- first dt). The train and predict jobs (sql/jobs/) join posts to it by
-- image_sha256 and pick the extractor version they were built for.
SELECT * EXCLUDE (dt, error, feature_rank)
FROM (
  SELECT
    d.*,
    row_number() OVER (PARTITION BY d.version, d.image_sha256 ORDER BY d.dt) AS feature_rank
  FROM features.design AS d
  WHERE d.error IS NULL
) AS ranked
WHERE feature_rank = 1
