-- training_posts: the labelled posts (labelled_posts: valid posts with
-- performance_score) balanced across platforms for the trainers. The labels
-- are computed before any down-sampling, so balancing never changes one.
--
-- Balancing, chosen by the setting balance_strategy (sql/settings.toml;
-- --set balance_strategy=... or the lake's settings.toml) and shown in the
-- column of the same name on every row:
--   weight      every post; sample_weight = posts / (platforms x posts of
--               its platform): every platform carries the same total weight
--               and the weights average 1
--   downsample  every platform keeps at most balance_max_ratio x the posts
--               of the smallest platform; which ones is decided by
--               md5(platform/post_id) (the same lake always gives the same
--               sample); sample_weight = 1
--   none        every post, sample_weight = 1
-- platform_posts and balance_rank show the arithmetic.
SELECT
  b.*,
  s.balance_strategy,
  CASE
    WHEN s.balance_strategy = 'weight'
      THEN CAST(t.all_posts AS DOUBLE) / (t.platforms * b.platform_posts)
    ELSE 1.0
  END AS sample_weight
FROM (
  SELECT
    l.*,
    count(*) OVER (PARTITION BY l.platform) AS platform_posts,
    row_number() OVER (PARTITION BY l.platform ORDER BY md5(concat(l.platform, '/', l.post_id))) AS balance_rank
  FROM labelled_posts AS l
) AS b
CROSS JOIN meta.settings AS s
CROSS JOIN (
  SELECT count(*) AS platforms, sum(n) AS all_posts, min(n) AS smallest
  FROM (SELECT platform, count(*) AS n FROM posts_valid GROUP BY platform) AS per_platform
) AS t
WHERE s.balance_strategy <> 'downsample'
   OR b.balance_rank <= ceil(t.smallest * s.balance_max_ratio)
