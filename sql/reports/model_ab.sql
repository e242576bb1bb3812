-- A/B pairwise accuracy of the report run's models: the share of A/B tests
-- whose winner the model scores higher (when the run was given A/B results).
SELECT scope, model_kind, pairwise_accuracy, ab_pairs, champion
FROM metrics.model_metrics
WHERE run = (SELECT run FROM meta.report_run) AND split = 'holdout' AND pairwise_accuracy IS NOT NULL
ORDER BY CASE scope WHEN 'all' THEN 0 ELSE 1 END, scope, pairwise_accuracy DESC, model_kind
