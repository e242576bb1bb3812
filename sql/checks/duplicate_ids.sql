-- Duplicate ids: one record, one row. Fails for every post snapshot,
-- A/B variant result and expert annotation landed more than once (the
-- same key and the same collection time, from different inputs), and for
-- every post id whose snapshots disagree on when the post was published
-- (two posts share an id). Observed: the number of copies.
--
-- severity: error
SELECT
  'raw.posts' AS table_name,
  concat('platform=', platform, ' post_id=', post_id, ' collected_at=', CAST(collected_at AS VARCHAR)) AS row_key,
  CAST(count(*) AS DOUBLE) AS observed,
  concat('the same snapshot landed ', count(*), ' times') AS detail,
  string_agg(concat(source, ':', source_record), ', ' ORDER BY source, source_record) AS source
FROM raw.posts
GROUP BY platform, post_id, collected_at
HAVING count(*) > 1
UNION ALL
SELECT
  'raw.posts',
  concat('platform=', platform, ' post_id=', post_id),
  CAST(count(DISTINCT published_at) AS DOUBLE),
  concat('one post id with ', count(DISTINCT published_at), ' different published_at'),
  string_agg(DISTINCT source, ', ' ORDER BY source)
FROM raw.posts
GROUP BY platform, post_id
HAVING count(DISTINCT published_at) > 1
UNION ALL
SELECT
  'raw.ab_tests',
  concat('test_id=', test_id, ' variant=', variant, ' collected_at=', CAST(collected_at AS VARCHAR)),
  CAST(count(*) AS DOUBLE),
  concat('the same variant result landed ', count(*), ' times'),
  string_agg(concat(source, ':', source_record), ', ' ORDER BY source, source_record)
FROM raw.ab_tests
GROUP BY test_id, variant, collected_at
HAVING count(*) > 1
UNION ALL
SELECT
  'raw.annotations',
  concat('design_id=', design_id, ' expert_id=', expert_id, ' annotated_at=', CAST(annotated_at AS VARCHAR)),
  CAST(count(*) AS DOUBLE),
  concat('the same annotation landed ', count(*), ' times'),
  string_agg(concat(source, ':', source_record), ', ' ORDER BY source, source_record)
FROM raw.annotations
GROUP BY design_id, expert_id, annotated_at
HAVING count(*) > 1
