-- `creativeiq monitor`: the features whose importance rank moved most
-- between the champion and week $1's challenger.
SELECT scope, feature, champion_rank, challenger_rank, rank_change,
  round(champion_importance, 4) AS champion_importance,
  round(challenger_importance, 4) AS challenger_importance
FROM metrics.importance_shift
WHERE week = $1 AND rank_change IS NOT NULL
ORDER BY abs(rank_change) DESC, scope, feature
LIMIT 10
