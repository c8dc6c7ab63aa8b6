-- Per-channel aggregate of the day's edits.
--
-- Written by spark_jobs/edits.py; partition dt = the batch's logical date (yyyy-MM-dd).
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS edits_by_channel (
  channel string,
  edits bigint,
  robot_edits bigint,
  anonymous_edits bigint,
  minor_edits bigint,
  new_pages bigint,
  added bigint,
  deleted bigint,
  delta bigint,
  distinct_users bigint,
  distinct_pages bigint
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/edits_by_channel/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
