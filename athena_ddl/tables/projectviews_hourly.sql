-- Views and distinct pages per (hour, project, access_site); hour = HH of the source file name.
--
-- Written by spark_jobs/pageviews.py; partition dt = the batch's logical date (yyyy-MM-dd).
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS projectviews_hourly (
  hour int,
  project string,
  access_site string,
  views bigint,
  pages bigint
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/projectviews_hourly/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
