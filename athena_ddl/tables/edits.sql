-- Every valid Wikipedia edit event of the day's dump, typed.
--
-- Written by spark_jobs/edits.py; partition dt = the batch's logical date (yyyy-MM-dd).
-- ${bucket} is replaced with the data bucket by the CatalogStack; the local engine ignores it.
CREATE EXTERNAL TABLE IF NOT EXISTS edits (
  event_time timestamp,
  channel string,
  page string,
  namespace string,
  user_name string,
  comment string,
  is_anonymous boolean,
  is_minor boolean,
  is_new boolean,
  is_robot boolean,
  is_unpatrolled boolean,
  city_name string,
  country_iso_code string,
  country_name string,
  region_iso_code string,
  region_name string,
  metro_code bigint,
  delta bigint,
  added bigint,
  deleted bigint
)
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://${bucket}/processed/edits/'
TBLPROPERTIES ('parquet.compression' = 'ZSTD');
