-- The competitors' posts a design is compared with (`creativeiq compare`):
-- every labelled post of the accounts in insight.competitors (registered
-- by the command) whose image has features of extractor version $1, with
-- its performance_score.
SELECT p.post_id, p.account_id, p.platform, p.performance_score, f.*
FROM labelled_posts AS p
JOIN insight.competitors AS c ON c.account_id = p.account_id
JOIN features.design AS f
  ON f.image_sha256 = p.image_sha256 AND f.version = $1 AND f.error IS NULL
ORDER BY p.account_id, p.post_id
