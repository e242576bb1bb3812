-- Duplicate ids: one record, one row. Fails for every post snapshot,
-- A/B variant result and expert annotation landed more than once (the
-- same key and the same collection time, from different inputs), and for
-- every post id whose snapshots disagree on when the post was published
-- (two posts share an id). Observed: the number of copies.
--
-- severity: error
WITH copied_snapshots AS (
  SELECT platform, post_id, collected_at
  FROM raw.posts
  GROUP BY platform, post_id, collected_at
  HAVING count(*) > 1
),
copied_variants AS (
  SELECT test_id, variant, collected_at
  FROM raw.ab_tests
  GROUP BY test_id, variant, collected_at
  HAVING count(*) > 1
),
copied_annotations AS (
  SELECT design_id, expert_id, annotated_at
  FROM raw.annotations
  GROUP BY design_id, expert_id, annotated_at
  HAVING count(*) > 1
)
-- The copies are counted first and their sources listed after, so the
-- listing (a sort) only touches the few duplicates.
SELECT
  'raw.posts' AS table_name,
  concat('platform=', p.platform, ' post_id=', p.post_id, ' collected_at=', CAST(p.collected_at AS VARCHAR)) AS row_key,
  CAST(count(*) AS DOUBLE) AS observed,
  concat('the same snapshot landed ', count(*), ' times') AS detail,
  string_agg(concat(p.source, ':', p.source_record), ', ' ORDER BY p.source, p.source_record) AS source
FROM raw.posts AS p
JOIN copied_snapshots AS c
  ON c.platform = p.platform AND c.post_id = p.post_id AND c.collected_at = p.collected_at
GROUP BY p.platform, p.post_id, p.collected_at
UNION ALL
SELECT
  'raw.posts',
  concat('platform=', platform, ' post_id=', post_id),
  CAST(NULL AS DOUBLE),
  concat('one post id published at different times, from ', CAST(min(published_at) AS VARCHAR),
         ' to ', CAST(max(published_at) AS VARCHAR)),
  concat(min(source), ', ', max(source))
FROM raw.posts
GROUP BY platform, post_id
HAVING min(published_at) <> max(published_at)
UNION ALL
SELECT
  'raw.ab_tests',
  concat('test_id=', a.test_id, ' variant=', a.variant, ' collected_at=', CAST(a.collected_at AS VARCHAR)),
  CAST(count(*) AS DOUBLE),
  concat('the same variant result landed ', count(*), ' times'),
  string_agg(concat(a.source, ':', a.source_record), ', ' ORDER BY a.source, a.source_record)
FROM raw.ab_tests AS a
JOIN copied_variants AS c
  ON c.test_id = a.test_id AND c.variant = a.variant AND c.collected_at = a.collected_at
GROUP BY a.test_id, a.variant, a.collected_at
UNION ALL
SELECT
  'raw.annotations',
  concat('design_id=', a.design_id, ' expert_id=', a.expert_id, ' annotated_at=', CAST(a.annotated_at AS VARCHAR)),
  CAST(count(*) AS DOUBLE),
  concat('the same annotation landed ', count(*), ' times'),
  string_agg(concat(a.source, ':', a.source_record), ', ' ORDER BY a.source, a.source_record)
FROM raw.annotations AS a
JOIN copied_annotations AS c
  ON c.design_id = a.design_id AND c.expert_id = a.expert_id AND c.annotated_at = a.annotated_at
GROUP BY a.design_id, a.expert_id, a.annotated_at
