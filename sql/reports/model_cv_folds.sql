-- The cross-validation folds of the report run's models: R² per fold for
-- the regressors, accuracy for the tier classifier.
SELECT scope, model_kind, fold, train_rows, test_rows, r2, rmse, accuracy
FROM metrics.cv_folds
WHERE run = (SELECT run FROM meta.report_run)
ORDER BY CASE scope WHEN 'all' THEN 0 ELSE 1 END, scope, model_kind, fold
