-- The data-quality checks of each (dataset, dt), one row per check: the measured value, the
-- expected range (from fixed limits or the median of the dataset's previous dts), the check's
-- severity and its status: pass, skipped (no baseline yet), warn or fail.
--
-- Written after each run by the pipeline's record function or `wikilake local run`, rewritten
-- by a rerun of the day; the checks are declared per dataset in wikilake_core/datasets.py.
CREATE EXTERNAL TABLE IF NOT EXISTS quality (
  check_name string,
  value double,
  expected_low double,
  expected_high double,
  expected string,
  severity string,
  status string,
  detail string
)
PARTITIONED BY (dataset string, dt string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS TEXTFILE
LOCATION 's3://${bucket}/quality/'
TBLPROPERTIES ('storage.location.template' = 's3://${bucket}/quality/${dataset}/dt=${dt}/');
