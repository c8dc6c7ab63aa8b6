-- The data-quality checks that failed, newest dt first: the measured value, the range expected
-- from the dataset's own history (or a fixed limit), severity (warn alerts, fail ends the run
-- QualityFailed) and why. The data of those days is kept: a check never deletes or hides it.
--
-- Reads quality. Athena console: type strings in single quotes, e.g. 'pageviews'.
-- @param dataset varchar = all: pageviews, edits, articles, or all
SELECT
  dataset,
  dt,
  check_name,
  value,
  expected,
  severity,
  status,
  detail
FROM quality
WHERE status IN ('warn', 'fail')
  AND ? IN ('all', dataset)
ORDER BY dt DESC, dataset, severity DESC, check_name
