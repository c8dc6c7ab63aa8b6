-- Daily views per (domain_code, page_title); hours_seen = hourly files the page appears in.
--
-- Written by spark_jobs/pageviews.py; partition dt = the batch's logical date (yyyy-MM-dd).
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS pageviews_daily (
  domain_code string,
  project string,
  access_site string,
  page_title string,
  views bigint,
  hours_seen int
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/pageviews_daily/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
