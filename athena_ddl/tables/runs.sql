-- Every run's manifest, one row per (dataset, dt): the run that wrote the day, its counts, rows
-- per table, rejects by reason, where it ran and (on AWS) what it cost.
--
-- Written by the job (counts, timings, versions) and completed by whoever records the run: the
-- pipeline's record function (status, runtime, cluster or job run id, cost) or `wikilake local
-- run` (runtime local, cost null); quality_status is the outcome of the day's checks (quality).
-- started_at/finished_at: ISO-8601 UTC text. One JSON document per line (the Hive JSON SerDe).
-- profile: what the run's Spark did with its cores, from its event log (docs/monitoring.md);
-- null when the log could not be read. Query its fields as profile.utilization,
-- profile.spill_bytes, or UNNEST(profile.stages) for one row per stage.
CREATE EXTERNAL TABLE IF NOT EXISTS runs (
  status string,
  started_at string,
  finished_at string,
  duration_seconds double,
  input_bytes bigint,
  input_records bigint,
  valid_records bigint,
  rejected_records bigint,
  rows_written map<string,bigint>,
  rejected_by_reason map<string,bigint>,
  runtime string,
  compute_id string,
  normalized_instance_hours double,
  vcpu_hours double,
  usd double,
  spark_version string,
  job_code_version string,
  quality_status string,
  profile struct<application_id:string,wall_seconds:double,executors:bigint,hosts:bigint,cores:bigint,core_seconds_available:double,task_seconds:double,utilization:double,gc_seconds:double,input_bytes:bigint,shuffle_bytes:bigint,spill_bytes:bigint,settings:map<string,string>,stages:array<struct<stage:bigint,name:string,seconds:double,tasks:bigint,task_seconds:double,max_task_seconds:double,median_task_seconds:double,input_bytes:bigint,shuffle_read_bytes:bigint,spill_bytes:bigint>>,timeline:struct<step_seconds:double,busy_cores:array<double>,cores:array<double>>>
)
PARTITIONED BY (dataset string, dt string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS TEXTFILE
LOCATION 's3://${bucket}/manifests/'
TBLPROPERTIES ('storage.location.template' = 's3://${bucket}/manifests/${dataset}/dt=${dt}/');
