-- The most edited pages among the day's human edits from the United States (the original
-- tutorial's filtered output): edits, distinct editors and bytes added per page and wiki.
--
-- Reads edits_filtered (human edits from the job's --country, United States by default).
-- Ties rank by channel, then page. Athena console: type strings in single quotes.
-- @param dt date: the batch day, yyyy-MM-dd
-- @param top_n bigint = 10: how many pages to list
WITH per_page AS (
  SELECT
    channel,
    page,
    count(*) AS edits,
    count(DISTINCT user_name) AS editors,
    sum(added) AS bytes_added,
    sum(deleted) AS bytes_removed
  FROM edits_filtered
  WHERE dt = ?
  GROUP BY channel, page
),
ranked AS (
  SELECT
    row_number() OVER (ORDER BY edits DESC, channel, page) AS rank,
    channel, page, edits, editors, bytes_added, bytes_removed
  FROM per_page
)
SELECT rank, page, channel, edits, editors, bytes_added, bytes_removed
FROM ranked
WHERE rank <= ?
ORDER BY rank
