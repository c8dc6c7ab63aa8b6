-- Table `edits_by_channel`: per-channel counts, sums and distinct users/pages.
SELECT
  channel,
  count(*) AS edits,
  count(*) FILTER (WHERE is_robot) AS robot_edits,
  count(*) FILTER (WHERE is_anonymous) AS anonymous_edits,
  count(*) FILTER (WHERE is_minor) AS minor_edits,
  count(*) FILTER (WHERE is_new) AS new_pages,
  sum(added) AS added,
  sum(deleted) AS deleted,
  sum(delta) AS delta,
  count(DISTINCT user_name) AS distinct_users,
  count(DISTINCT page) AS distinct_pages
FROM edits_events
GROUP BY channel
ORDER BY channel
