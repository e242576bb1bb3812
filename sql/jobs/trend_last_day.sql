-- The last day of the current window of `creativeiq trends` when none is
-- given: the latest publication day (dt) of a labelled post.
SELECT max(dt) AS last_day FROM labelled_posts
