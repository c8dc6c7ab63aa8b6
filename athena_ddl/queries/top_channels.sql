-- Channels (wikis) ranked by edits for a day: human vs robot edits, anonymous edits, bytes added
-- and removed, distinct editors and pages.
--
-- Reads edits_by_channel (written by spark_jobs/edits.py). Ties rank by channel name.
-- Athena console: type strings in single quotes, e.g. '2015-09-12'; `wikilake query` quotes for you.
-- @param dt date: the batch day, yyyy-MM-dd
-- @param top_n bigint = 10: how many channels to list
WITH ranked AS (
  SELECT
    row_number() OVER (ORDER BY edits DESC, channel) AS rank,
    channel,
    edits,
    edits - robot_edits AS human_edits,
    robot_edits,
    round(100 * CAST(robot_edits AS double) / edits, 1) AS robot_pct,
    anonymous_edits,
    added AS bytes_added,
    deleted AS bytes_removed,
    distinct_users AS editors,
    distinct_pages AS pages
  FROM edits_by_channel
  WHERE dt = ?
)
SELECT
  rank, channel, edits, human_edits, robot_edits, robot_pct, anonymous_edits,
  bytes_added, bytes_removed, editors, pages
FROM ranked
WHERE rank <= ?
ORDER BY rank
