-- Out-of-range metrics: values that cannot be true. Fails for every post
-- with a negative count, a count above its impressions, or a publication
-- after its collection (posts_checked's rules), every A/B variant with
-- conversions or clicks above its impressions or a rate outside 0..1, and
-- every annotation score outside 0..100. Observed: the offending value
-- where there is one.
--
-- severity: error
SELECT
  'posts' AS table_name,
  concat('platform=', platform, ' post_id=', post_id) AS row_key,
  CAST(NULL AS DOUBLE) AS observed,
  concat(reject_rule, ': ', reject_detail) AS detail,
  concat(source, ':', source_record) AS source
FROM posts_checked
WHERE reject_rule IN ('negative_count', 'count_above_impressions', 'published_after_collected')
UNION ALL
SELECT
  'raw.ab_tests',
  concat('test_id=', test_id, ' variant=', variant),
  CAST(CASE
    WHEN conversions > impressions THEN conversions
    WHEN clicks > impressions THEN clicks
    WHEN conversion_rate < 0 OR conversion_rate > 1 THEN conversion_rate
    WHEN click_through_rate < 0 OR click_through_rate > 1 THEN click_through_rate
    ELSE impressions
  END AS DOUBLE),
  CASE
    WHEN conversions > impressions THEN concat('conversions ', conversions, ' > impressions ', impressions)
    WHEN clicks > impressions THEN concat('clicks ', clicks, ' > impressions ', impressions)
    WHEN conversion_rate < 0 OR conversion_rate > 1 THEN concat('conversion_rate ', conversion_rate, ' is outside 0..1')
    WHEN click_through_rate < 0 OR click_through_rate > 1 THEN concat('click_through_rate ', click_through_rate, ' is outside 0..1')
    ELSE concat('a negative count: impressions ', impressions, ', conversions ', conversions, ', clicks ', clicks)
  END,
  concat(source, ':', source_record)
FROM raw.ab_tests
WHERE conversions > impressions OR clicks > impressions
   OR conversion_rate < 0 OR conversion_rate > 1
   OR click_through_rate < 0 OR click_through_rate > 1
   OR impressions < 0 OR conversions < 0 OR clicks < 0
UNION ALL
SELECT
  'raw.annotations',
  concat('design_id=', design_id, ' expert_id=', expert_id),
  CAST(CASE
    WHEN overall_quality < 0 OR overall_quality > 100 THEN overall_quality
    WHEN color_harmony < 0 OR color_harmony > 100 THEN color_harmony
    WHEN typography < 0 OR typography > 100 THEN typography
    WHEN layout < 0 OR layout > 100 THEN layout
    ELSE brand_consistency
  END AS DOUBLE),
  'an expert score outside 0..100',
  concat(source, ':', source_record)
FROM raw.annotations
WHERE overall_quality < 0 OR overall_quality > 100
   OR color_harmony < 0 OR color_harmony > 100
   OR typography < 0 OR typography > 100
   OR layout < 0 OR layout > 100
   OR brand_consistency < 0 OR brand_consistency > 100
