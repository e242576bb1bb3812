-- posts_rejected: the posts that break a rule of posts_checked, with the
-- rule (see 20_posts_checked.sql for the list) and what exactly is wrong.
-- Find a row's origin with source (the input file or API) and source_record.
SELECT reject_rule AS rule, reject_detail AS detail, * EXCLUDE (known_platform, reject_rule, reject_detail)
FROM posts_checked
WHERE reject_rule IS NOT NULL
