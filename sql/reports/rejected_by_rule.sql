-- Rejected posts by the rule that rejected them, per platform.
SELECT rule, platform, count(*) AS posts
FROM posts_rejected
GROUP BY rule, platform
ORDER BY posts DESC, rule, platform
