-- The share of posts without a value, per platform and column.
SELECT platform, column_name, posts, missing, CAST(missing AS DOUBLE) / posts AS missing_share
FROM column_completeness
ORDER BY platform, column_name
