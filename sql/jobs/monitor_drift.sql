-- `creativeiq monitor`: week $1's population stability indexes, the
-- flagged first, then the largest.
SELECT scope, quantity, kind, round(psi, 3) AS psi, reference_rows, current_rows, flagged
FROM metrics.drift
WHERE week = $1
ORDER BY flagged DESC, psi DESC NULLS LAST, scope, quantity
