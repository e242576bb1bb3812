-- column_completeness: for every platform and every column a model or a
-- dashboard uses, how many of the latest snapshots (posts, through
-- posts_checked, which a validation run computes once) lack a value.
-- missing = posts: the platform does not report that column at all (e.g.
-- LinkedIn has no saves), which the missing_data check tells apart from a
-- column that is sometimes there and sometimes not.
SELECT
  w.platform,
  c.column_name,
  w.posts,
  w.posts - CASE c.column_name
    WHEN 'account_id' THEN w.account_id
    WHEN 'media_type' THEN w.media_type
    WHEN 'image_url' THEN w.image_url
    WHEN 'likes' THEN w.likes
    WHEN 'comments' THEN w.comments
    WHEN 'shares' THEN w.shares
    WHEN 'saves' THEN w.saves
    WHEN 'clicks' THEN w.clicks
    WHEN 'reach' THEN w.reach
    WHEN 'impressions' THEN w.impressions
    WHEN 'audience_size' THEN w.audience_size
    WHEN 'caption' THEN w.caption
  END AS missing
FROM (
  SELECT
    platform,
    count(*) AS posts,
    count(account_id) AS account_id,
    count(media_type) AS media_type,
    count(image_url) AS image_url,
    count(likes) AS likes,
    count(comments) AS comments,
    count(shares) AS shares,
    count(saves) AS saves,
    count(clicks) AS clicks,
    count(reach) AS reach,
    count(impressions) AS impressions,
    count(audience_size) AS audience_size,
    count(caption) AS caption
  FROM posts_checked
  GROUP BY platform
) AS w
CROSS JOIN (
  VALUES ('account_id'), ('media_type'), ('image_url'), ('likes'), ('comments'), ('shares'),
         ('saves'), ('clicks'), ('reach'), ('impressions'), ('audience_size'), ('caption')
) AS c(column_name)
