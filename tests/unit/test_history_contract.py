"""The runs and quality tables (athena_ddl/tables/runs.sql, quality.sql) match what their writers
write: the job's manifest (spark_jobs/manifest.py) completed by the pipeline's record function
(EMR on EC2 and EMR Serverless, S3 in moto) or by `wikilake local run`; one JSON document per
line, every column present with a value of its type (or null), the quality rows with exactly
the table's columns. The Spark session is a stand-in with a version: build_manifest reads no more
of it (the Spark tests run the real jobs)."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from event_log_samples import CLUSTER_LOG, lines
from moto import mock_aws
from sqlglot import exp

from spark_jobs.manifest import RunClock, build_manifest
from spark_jobs.storage import InputFile
from wikilake.local.record import record_local
from wikilake_core import layout, run_history
from wikilake_core.ddl import load_tables
from wikilake_functions import record

TABLES = load_tables()
DT = "2024-03-15"
BUCKET = "lake"
RUN_ID = "pageviews-2024-03-15-20261206T043000Z"
DATABASE = "wikilake_test"


class _Spark:
    version = "3.5.6"


def job_manifest(output_root: str) -> dict:
    names = [f"pageviews-20240315-{h:02d}0000.gz" for h in range(24)]
    inputs = [InputFile(f"{output_root}/raw/pageviews/dt={DT}/{name}", name, 10) for name in names]
    return build_manifest(
        dataset="pageviews",
        dt=DT,
        run_id=RUN_ID,
        job_args={"date": DT},
        input_files=inputs,
        counts_by_reason={None: 1190, "bad_views": 10},
        rows_written={"pageviews_daily": 900, "projectviews_hourly": 48},
        output_root=output_root,
        spark=_Spark(),
        clock=RunClock(),
        details={"hours": list(range(24)), "hours_missing": [], "distinct_projects": 12},
    )


def _is(value, hive_type: str) -> bool:
    return _conforms(value, exp.DataType.build(hive_type, dialect="hive"))


def _conforms(value, data_type: exp.DataType) -> bool:
    """``value`` (from JSON) is of the Hive type (null anywhere), nested types field by field."""
    kind, inner = data_type.this, data_type.expressions
    if value is None:
        return True
    if kind in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR):
        return isinstance(value, str)
    if kind == exp.DataType.Type.BIGINT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == exp.DataType.Type.DOUBLE:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == exp.DataType.Type.MAP:
        return isinstance(value, dict) and all(
            _conforms(k, inner[0]) and _conforms(v, inner[1]) for k, v in value.items()
        )
    if kind == exp.DataType.Type.ARRAY:
        return isinstance(value, list) and all(_conforms(item, inner[0]) for item in value)
    if kind == exp.DataType.Type.STRUCT:  # every field of the type, and no other key
        fields = {field.name: field.args["kind"] for field in inner}
        return (
            isinstance(value, dict)
            and set(value) == set(fields)
            and all(_conforms(value[name], field_type) for name, field_type in fields.items())
        )
    raise AssertionError(f"no check for the type {data_type.sql('hive')}")


def assert_runs_row(text: str) -> dict:
    assert text.endswith("\n") and text.count("\n") == 1, "one JSON document on one line"
    document = json.loads(text)
    for column in TABLES["runs"].columns:
        assert column.name in document, column.name
        assert _is(document[column.name], column.type), (column.name, document[column.name])
    return document


def assert_quality_rows(text: str) -> list[dict]:
    rows = [json.loads(line) for line in text.splitlines()]
    assert rows
    columns = {c.name: c.type for c in TABLES["quality"].columns}
    for row in rows:
        assert set(row) == set(columns)
        assert all(_is(row[name], hive_type) for name, hive_type in columns.items()), row
    return rows


def test_a_local_run_writes_the_runs_and_quality_columns_with_cost_null(tmp_path):
    lake = tmp_path / "lake"
    manifest_path = Path(layout.manifest_path(str(lake), "pageviews", DT))
    manifest_path.parent.mkdir(parents=True)
    record_local(lake, job_manifest(str(lake)))  # publishes: the day's manifest is the runs row

    document = assert_runs_row(manifest_path.read_text())
    assert (document["status"], document["runtime"], document["compute_id"]) == ("SUCCEEDED", "local", None)
    assert (document["usd"], document["normalized_instance_hours"], document["vcpu_hours"]) == (None, None, None)
    assert document["job_code_version"] and document["spark_version"] == "3.5.6"
    assert document["quality_status"] == "pass"
    rows = assert_quality_rows(Path(run_history.quality_path(str(lake), "pageviews", DT)).read_text())
    assert {r["check_name"]: r["status"] for r in rows}["rejected_share"] == "pass"


def test_a_local_publish_that_fails_writes_no_quality_rows(tmp_path, monkeypatch):
    """The rows describe the day's published run only: written after the publish (docs/quality.md)."""
    from wikilake.local import days

    def publish_fails(lake, manifest):
        raise OSError("disk full")

    monkeypatch.setattr(days, "publish", publish_fails)
    lake = tmp_path / "lake"
    with pytest.raises(OSError, match="disk full"):
        record_local(lake, job_manifest(str(lake)))
    assert not Path(run_history.quality_path(str(lake), "pageviews", DT)).exists()


class _Emr:
    def describe_cluster(self, ClusterId):
        created = datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc)
        timeline = {"CreationDateTime": created, "EndDateTime": created + timedelta(minutes=30)}
        return {"Cluster": {"Status": {"Timeline": timeline}}}

    def list_instance_groups(self, ClusterId):
        return {"InstanceGroups": [{"InstanceType": "m5.xlarge", "Market": "ON_DEMAND", "RequestedInstanceCount": 2}]}


class _Serverless:
    def get_job_run(self, applicationId, jobRunId):
        billed = {"vCPUHour": 1.5, "memoryGBHour": 6.0, "storageGBHour": 0.0}
        return {"jobRun": {"state": "SUCCESS", "billedResourceUtilization": billed}}


@pytest.mark.parametrize("runtime", ["emr-ec2", "emr-serverless"])
def test_the_record_function_writes_the_runs_and_quality_columns(runtime, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": DATABASE})
        for table in ("pageviews_daily", "projectviews_hourly"):
            descriptor = {"Location": f"s3://{BUCKET}/processed/{table}/"}
            glue.create_table(DatabaseName=DATABASE, TableInput={"Name": table, "StorageDescriptor": descriptor})
        run_key = layout.run_manifest_path("", "pageviews", DT, RUN_ID).lstrip("/")
        s3.put_object(Bucket=BUCKET, Key=run_key, Body=run_history.encode(job_manifest(f"s3://{BUCKET}")).encode())
        event = {"run": {"dataset": "pageviews", "dt": DT, "run_id": RUN_ID, "allow_missing_hours": False}}
        env = {"WIKILAKE_BUCKET": BUCKET, "WIKILAKE_SERVERLESS_APPLICATION_ID": "app-1", "WIKILAKE_DATABASE": DATABASE}
        if runtime == "emr-ec2":
            event["cluster_id"] = "j-1"
        else:
            event["job_run"] = {"JobRunId": "run-1"}
        put_event_log(s3, runtime)
        record.handle(event, env, s3=s3, emr=_Emr(), emr_serverless=_Serverless(), glue=glue)

        key = layout.manifest_path("", "pageviews", DT).lstrip("/")  # the day's, written when published
        document = assert_runs_row(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode())
        rows = assert_quality_rows(
            s3.get_object(Bucket=BUCKET, Key=run_history.quality_path("", "pageviews", DT).lstrip("/"))["Body"]
            .read()
            .decode()
        )
    assert (document["status"], document["runtime"], document["run_id"]) == ("SUCCEEDED", runtime, RUN_ID)
    if runtime == "emr-ec2":  # 2 x m5.xlarge (8 normalized units each) for 0.5 h; $0.24 an hour each
        assert (document["compute_id"], document["normalized_instance_hours"], document["usd"]) == ("j-1", 8.0, 0.24)
        assert document["vcpu_hours"] is None
    else:  # 1.5 vCPU-h x $0.052624 + 6 GB-h x $0.0057785
        assert (document["compute_id"], document["vcpu_hours"]) == ("run-1", 1.5)
        assert document["usd"] == pytest.approx(round(1.5 * 0.052624 + 6 * 0.0057785, 4))
    assert len(rows) == 5  # the pageviews checks of the registry
    # the run's profile, from its event log in S3 (event_log_samples: the sums by hand)
    profile = document["profile"]
    assert (profile["task_seconds"], profile["core_seconds_available"], profile["spill_bytes"]) == (80, 560, 14)
    assert [stage["tasks"] for stage in profile["stages"]] == [3, 1]


def put_event_log(s3, runtime: str) -> None:
    """The run's Spark event log where each runtime leaves it: EMR on EC2, one file in the run's
    folder under logs/spark-events/ (beside the folder marker the plan wrote); EMR Serverless, a
    rolling log (two files and a status marker) under the job run's sparklogs/."""
    text = [line + "\n" for line in lines(CLUSTER_LOG)]
    if runtime == "emr-ec2":
        folder = f"logs/spark-events/pageviews/dt={DT}/run={RUN_ID}/"
        files = {"": "", "application_1_0001_1": "".join(text)}
    else:
        folder = "logs/emr-serverless/applications/app-1/jobs/run-1/sparklogs/eventlog_v2_run-1/"
        files = {"appstatus_run-1": "", "events_1_run-1": "".join(text[:7]), "events_2_run-1": "".join(text[7:])}
    for name, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=folder + name, Body=body.encode())


def test_run_manifests_are_outside_the_runs_tables_location():
    """Athena reads every file under a partition's location, subfolders included
    (docs.aws.amazon.com/athena/latest/ug/tables-location-format.html): a run's own manifest under
    the day's manifest folder would be a second row of the day in the runs table."""
    day = layout.manifest_path("s3://lake", "pageviews", DT)
    runs_location = TABLES["runs"].partition_template.replace("${dataset}", "pageviews").replace("${dt}", DT)
    assert day == f"s3://lake/{runs_location}{layout.MANIFEST_NAME}"
    assert not layout.run_manifest_path("s3://lake", "pageviews", DT, RUN_ID).startswith("s3://lake/manifests/")
