-- posts_valid: the posts that break no rule of posts_checked: what the
-- label, the training set and the dashboards are computed from.
SELECT * EXCLUDE (known_platform, reject_rule, reject_detail)
FROM posts_checked
WHERE reject_rule IS NULL
