-- Rows one table got per dt, with the run's input and rejected records and its quality outcome:
-- a day with a third of its usual rows, or many rejects, stands out.
--
-- Reads runs (rows_written, a map per table). Athena console: 'pageviews_daily'.
-- @param table_name varchar = pageviews_daily: a table of a dataset, e.g. edits, articles
WITH per_table AS (
  SELECT
    r.dt,
    t.table_name,
    element_at(r.rows_written, t.table_name) AS table_rows,
    r.input_records,
    r.rejected_records,
    r.quality_status
  FROM runs AS r
  CROSS JOIN UNNEST(map_keys(r.rows_written)) AS t (table_name)
)
SELECT
  dt,
  table_rows,
  input_records,
  rejected_records,
  round(100.0 * rejected_records / nullif(input_records, 0), 2) AS rejected_percent,
  quality_status
FROM per_table
WHERE table_name = ?
ORDER BY dt
