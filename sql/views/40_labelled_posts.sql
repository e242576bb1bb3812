-- labelled_posts: the valid posts with their label, performance_score.
--
-- performance_score (0..100): the percentile rank of the post's engagement
-- rate among the valid posts of the same platform published in the same
-- calendar month (DESIGN.md, "The label"): 100 x (posts with a lower rate +
-- half the posts with the same rate) / posts, so ties share one score, a
-- month's lone post scores 50, and the scores of a month average 50.
-- month_rank, month_ties and month_posts show the arithmetic.
SELECT
  l.*,
  100.0 * (l.month_rank - 1 + 0.5 * l.month_ties) / l.month_posts AS performance_score
FROM (
  SELECT
    v.*,
    substr(v.dt, 1, 7) AS month,
    rank() OVER (PARTITION BY v.platform, substr(v.dt, 1, 7) ORDER BY v.engagement_rate) AS month_rank,
    count(*) OVER (PARTITION BY v.platform, substr(v.dt, 1, 7), v.engagement_rate) AS month_ties,
    count(*) OVER (PARTITION BY v.platform, substr(v.dt, 1, 7)) AS month_posts
  FROM posts_valid AS v
) AS l
