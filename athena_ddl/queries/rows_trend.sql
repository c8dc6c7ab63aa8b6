-- Rows one table got per dt, with the run's input and rejected records and its quality outcome:
-- a day with a third of its usual rows, or many rejects, stands out.
--
-- Reads runs (rows_written, a map per table). Athena console: 'pageviews_daily'.
-- @param table_name varchar = pageviews_daily: a table of a dataset, e.g. edits, articles
WITH per_dt AS (
  SELECT dt, element_at(rows_written, ?) AS table_rows, input_records, rejected_records, quality_status
  FROM runs
)
SELECT
  dt,
  table_rows,
  input_records,
  rejected_records,
  round(100.0 * rejected_records / nullif(input_records, 0), 2) AS rejected_percent,
  quality_status
FROM per_dt
WHERE table_rows IS NOT NULL
ORDER BY dt
