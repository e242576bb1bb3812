-- What the top posts look like, per platform and window (`creativeiq
-- trends`): labelled posts published from $1 (the previous window's first
-- day) to before $3, in the previous window until $2 and the current one
-- from $2 on, joined with their image's features (extractor version $4).
--
-- posts      labelled posts with features in the window
-- top_posts  those in the top quartile of performance_score (>= 75; the
--            score is a percentile within platform and month)
-- every column after top_posts: how many top posts have the property.
-- To add a property, add a line; the thresholds follow FEATURES.md's scales.
SELECT
  platform,
  window_name,
  count(*) AS posts,
  sum(top) AS top_posts,
  sum(top * CASE WHEN colorfulness >= 40 THEN 1 ELSE 0 END) AS colourful,
  sum(top * CASE WHEN color_harmony >= 80 THEN 1 ELSE 0 END) AS harmonious_palette,
  sum(top * CASE WHEN hue_count >= 5 THEN 1 ELSE 0 END) AS many_hues,
  sum(top * CASE WHEN brightness >= 0.6 THEN 1 ELSE 0 END) AS bright,
  sum(top * CASE WHEN brightness < 0.35 THEN 1 ELSE 0 END) AS dark,
  sum(top * CASE WHEN text_coverage >= 0.01 THEN 1 ELSE 0 END) AS has_text,
  sum(top * CASE WHEN text_coverage >= 0.15 THEN 1 ELSE 0 END) AS text_heavy,
  sum(top * CASE WHEN text_lines > 0 AND text_contrast >= 4.5 THEN 1 ELSE 0 END) AS accessible_text,
  sum(top * CASE WHEN rule_of_thirds >= 0.8 THEN 1 ELSE 0 END) AS on_thirds,
  sum(top * CASE WHEN whitespace >= 0.5 THEN 1 ELSE 0 END) AS airy,
  sum(top * CASE WHEN edge_density >= 0.08 THEN 1 ELSE 0 END) AS busy,
  sum(top * CASE WHEN symmetry_lr >= 0.8 THEN 1 ELSE 0 END) AS symmetric,
  sum(top * CASE WHEN aspect_ratio < 0.9 THEN 1 ELSE 0 END) AS vertical,
  sum(top * CASE WHEN aspect_ratio >= 0.9 AND aspect_ratio <= 1.1 THEN 1 ELSE 0 END) AS square,
  sum(top * CASE WHEN aspect_ratio > 1.1 THEN 1 ELSE 0 END) AS landscape
FROM (
  SELECT
    p.platform,
    CASE WHEN p.dt >= $2 THEN 'current' ELSE 'previous' END AS window_name,
    CASE WHEN p.performance_score >= 75 THEN 1 ELSE 0 END AS top,
    f.*
  FROM labelled_posts AS p
  JOIN features.design AS f
    ON f.image_sha256 = p.image_sha256 AND f.version = $4 AND f.error IS NULL
  WHERE p.dt >= $1 AND p.dt < $3
) AS w
GROUP BY platform, window_name
ORDER BY platform, window_name
