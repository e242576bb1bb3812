-- The A/B tests `creativeiq train` scores its models on (pairwise
-- accuracy): every significant comparison of ab_results with a winner whose
-- two arms both have an image with features of the extractor version $1
-- computed without an error. One row per arm: `won` says which one won;
-- the arm's image features follow. Tests whose designs lack features are
-- left out (ab_results shows every test).
WITH features AS (
  SELECT * FROM design_features WHERE version = $1
),
decided AS (
  SELECT
    concat(r.test_id, '/', r.control, '/', r.variant) AS pair_id,
    r.platform,
    r.started_at,
    r.winner,
    r.control,
    r.variant,
    r.control_image_sha256,
    r.variant_image_sha256
  FROM ab_results AS r
  WHERE r.significant AND r.winner IS NOT NULL
    AND r.control_image_sha256 IN (SELECT image_sha256 FROM features)
    AND r.variant_image_sha256 IN (SELECT image_sha256 FROM features)
),
arms AS (
  SELECT pair_id, platform, started_at, winner = control AS won, control_image_sha256 AS arm_sha256
  FROM decided
  UNION ALL
  SELECT pair_id, platform, started_at, winner = variant AS won, variant_image_sha256 AS arm_sha256
  FROM decided
)
SELECT a.pair_id, a.platform, a.started_at, a.won, f.*
FROM arms AS a
JOIN features AS f ON f.image_sha256 = a.arm_sha256
ORDER BY a.pair_id, a.won DESC
