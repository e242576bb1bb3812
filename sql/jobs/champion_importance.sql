-- The permutation importance of one model, as its training run wrote it:
-- $1 the run, $2 the scope, $3 the model kind.
SELECT feature, importance, rank
FROM metrics.feature_importance
WHERE run = $1 AND scope = $2 AND model_kind = $3 AND method = 'permutation'
ORDER BY rank
