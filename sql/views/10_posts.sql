-- posts: the latest snapshot of every post, one row per (platform, post_id),
-- with its interactions and engagement rate.
--
-- A post collected again lands another row in raw.posts with a later
-- collected_at; this view keeps the newest (ties broken by source, then the
-- record's position, so the choice never depends on file order) and says
-- how many snapshots there were. Rows without a post_id cannot be matched to
-- a post, so each stays its own row (and posts_checked rejects it).
--
-- The newest snapshot is the first row of its post in one sort per
-- platform (previous_key differs), and snapshots = the post's last position
-- (count up to its peers) - its first (rank) + 1, rather than a
-- row_number() over each post: a window partition per post costs DataFusion
-- microseconds per partition, minutes over ten million posts.
--
-- interactions    = likes + comments + shares + saves + clicks (a count the
--                   platform does not report counts as 0)
-- rate_denominator = the first of impressions, reach, audience_size that is
--                   above 0 (DESIGN.md, "The label"); NULL when none is
-- engagement_rate = interactions / that denominator
SELECT
  platform, dt, post_id, account_id, media_type, image_url, image_sha256,
  published_at, collected_at,
  likes, comments, shares, saves, clicks, views, reach, impressions, audience_size,
  paid, caption, hashtag_count, engagement_rate_reported, company_size, industry,
  source, source_record, snapshots,
  interactions,
  rate_denominator,
  denominator,
  CAST(interactions AS DOUBLE) / denominator AS engagement_rate
FROM (
  SELECT
    s.*,
    coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)
      + coalesce(saves, 0) + coalesce(clicks, 0) AS interactions,
    CASE
      WHEN impressions > 0 THEN 'impressions'
      WHEN reach > 0 THEN 'reach'
      WHEN audience_size > 0 THEN 'audience_size'
    END AS rate_denominator,
    CASE
      WHEN impressions > 0 THEN impressions
      WHEN reach > 0 THEN reach
      WHEN audience_size > 0 THEN audience_size
    END AS denominator
  FROM (
    SELECT
      k.*,
      lag(post_key) OVER (
        PARTITION BY platform
        ORDER BY post_key, collected_at DESC, source DESC, source_record DESC
      ) AS previous_key,
      count(*) OVER (PARTITION BY platform ORDER BY post_key)
        - rank() OVER (PARTITION BY platform ORDER BY post_key) + 1 AS snapshots
    FROM (
      SELECT
        p.*,
        coalesce(post_id, concat('#', source, '#', CAST(source_record AS VARCHAR))) AS post_key
      FROM raw.posts AS p
    ) AS k
  ) AS s
  WHERE previous_key IS DISTINCT FROM post_key
) AS latest
