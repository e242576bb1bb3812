-- Posts per platform (latest snapshots): valid, and rejected by a rule.
SELECT
  platform,
  CAST(sum(CASE WHEN reject_rule IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS valid,
  CAST(sum(CASE WHEN reject_rule IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS rejected
FROM posts_checked
GROUP BY platform
ORDER BY valid + rejected DESC, platform
