-- The runs of every dataset (or one), newest dt first: status, quality outcome, when and how long,
-- records in and rejected, where it ran and what it cost (USD null: a local run, or not priced).
--
-- Reads runs (the manifests). Athena console: type strings in single quotes, e.g. 'pageviews'.
-- @param dataset varchar = all: pageviews, edits, articles, or all
-- @param last_n bigint = 50: how many runs to list
WITH listed AS (
  SELECT
    row_number() OVER (ORDER BY dt DESC, dataset) AS n,
    dataset,
    dt,
    status,
    quality_status,
    started_at,
    round(duration_seconds, 1) AS seconds,
    input_records,
    rejected_records,
    runtime,
    compute_id,
    normalized_instance_hours,
    vcpu_hours,
    usd,
    spark_version,
    job_code_version
  FROM runs
  WHERE ? IN ('all', dataset)
)
SELECT
  dataset, dt, status, quality_status, started_at, seconds, input_records, rejected_records, runtime,
  compute_id, normalized_instance_hours, vcpu_hours, usd, spark_version, job_code_version
FROM listed
WHERE n <= ?
ORDER BY n
