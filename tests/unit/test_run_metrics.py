"""The run metrics the record function publishes (wikilake_core/run_metrics.py,
functions/wikilake_functions/record.py): what a run measured, and PutMetricData against moto's
CloudWatch, read back with GetMetricStatistics and ListMetrics.

moto stores the data points and answers both reads, so the published values, units and dimensions
are checked end to end; IAM (the grant's namespace condition) is not enforced by moto: the synth
test (tests/infra/test_dashboard.py) checks the statement itself."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from spark_jobs.manifest import RunClock, build_manifest
from spark_jobs.storage import InputFile
from wikilake_core import function_env, layout, run_history, run_metrics
from wikilake_functions import record

DT = "2024-03-15"
BUCKET = "lake"
DATABASE = "wikilake_test"
RUN_ID = "pageviews-2024-03-15-20261206T043000Z"
NAMESPACE = "wikilake/Test-dev"
TABLES = {"pageviews_daily": 900, "projectviews_hourly": 48}
JOB_SECONDS = 754.25
# The fake cluster below: 2 x m5.xlarge on demand for 30 minutes at $0.24 an hour each
# (wikilake_core/prices.py's table) = $0.24.
CLUSTER_USD = 2 * 0.5 * 0.24


class _Emr:
    def describe_cluster(self, ClusterId):
        created = datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc)
        return {
            "Cluster": {
                "Status": {"Timeline": {"CreationDateTime": created, "EndDateTime": created + timedelta(minutes=30)}}
            }
        }

    def list_instance_groups(self, ClusterId):
        return {"InstanceGroups": [{"InstanceType": "m5.xlarge", "Market": "ON_DEMAND", "RequestedInstanceCount": 2}]}


class _Spark:
    version = "3.5.6"


def _job_manifest() -> dict:
    """A finished pageviews run's manifest, as the job writes it, with a known wall clock."""
    names = [f"pageviews-20240315-{h:02d}0000.gz" for h in range(24)]
    manifest = build_manifest(
        dataset="pageviews",
        dt=DT,
        run_id=RUN_ID,
        job_args={"date": DT},
        input_files=[InputFile(f"s3://{BUCKET}/raw/pageviews/dt={DT}/{n}", n, 10) for n in names],
        counts_by_reason={None: 1190, "bad_views": 10},
        rows_written=TABLES,
        output_root=f"s3://{BUCKET}",
        spark=_Spark(),
        clock=RunClock(),
        details={"hours": list(range(24)), "hours_missing": [], "distinct_projects": 12},
    )
    return {**manifest, "duration_seconds": JOB_SECONDS}


# --- what a run measured ---


def test_values_are_the_job_seconds_the_rows_of_every_table_and_the_usd():
    measured = run_metrics.values({"duration_seconds": 12.5, "rows_written": {"a": 3, "b": 4}}, {"usd": 0.031})
    assert measured == {run_metrics.RUN_SECONDS: 12.5, run_metrics.ROWS_WRITTEN: 7.0, run_metrics.RUN_USD: 0.031}


def test_a_value_the_run_lacks_is_left_out_not_published_as_zero():
    # an unpriced instance type has usd None (wikilake_core/prices.py); an old manifest no timings
    measured = run_metrics.values({"rows_written": {"a": 3}}, {"usd": None})
    assert measured == {run_metrics.ROWS_WRITTEN: 3.0}


def test_metric_data_names_the_dataset_and_each_unit():
    data = run_metrics.metric_data("edits", {run_metrics.RUN_SECONDS: 9.0, run_metrics.RUN_USD: 0.5})
    assert data == [
        {
            "MetricName": "RunSeconds",
            "Dimensions": [{"Name": "Dataset", "Value": "edits"}],
            "Value": 9.0,
            "Unit": "Seconds",
        },
        {
            "MetricName": "RunCostUSD",
            "Dimensions": [{"Name": "Dataset", "Value": "edits"}],
            "Value": 0.5,
            "Unit": "None",
        },
    ]


# --- the record function publishes them (moto) ---


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3, glue = boto3.client("s3"), boto3.client("glue")
        s3.create_bucket(Bucket=BUCKET)
        glue.create_database(DatabaseInput={"Name": DATABASE})
        for table in TABLES:
            descriptor = {"Location": f"s3://{BUCKET}/processed/{table}/"}
            glue.create_table(DatabaseName=DATABASE, TableInput={"Name": table, "StorageDescriptor": descriptor})
        key = layout.run_manifest_path("", "pageviews", DT, RUN_ID).lstrip("/")
        s3.put_object(Bucket=BUCKET, Key=key, Body=run_history.encode(_job_manifest()).encode())
        yield s3, glue, boto3.client("cloudwatch")


def _record(aws, cloudwatch=None, namespace: str | None = NAMESPACE) -> dict:
    s3, glue, moto_cloudwatch = aws
    env = {function_env.BUCKET: BUCKET, function_env.DATABASE: DATABASE}
    if namespace:
        env[function_env.METRICS_NAMESPACE] = namespace
    event = {"run": {"dataset": "pageviews", "dt": DT, "run_id": RUN_ID}, "cluster_id": "j-1"}
    return record.handle(event, env, s3=s3, emr=_Emr(), glue=glue, cloudwatch=cloudwatch or moto_cloudwatch)


def _published(cloudwatch, name: str) -> tuple[float, str]:
    """The one data point of ``name`` for pageviews in the last hour: (sum, unit)."""
    now = datetime.now(timezone.utc)
    [point] = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": "Dataset", "Value": "pageviews"}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
        Period=3600,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    assert point["SampleCount"] == 1
    return point["Sum"], point["Unit"]


def test_the_record_function_publishes_seconds_rows_and_usd_per_dataset(aws):
    _record(aws)

    cloudwatch = aws[2]
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == ["RowsWritten", "RunCostUSD", "RunSeconds"]
    assert all(m["Dimensions"] == [{"Name": "Dataset", "Value": "pageviews"}] for m in listed)
    assert _published(cloudwatch, "RunSeconds") == (JOB_SECONDS, "Seconds")
    assert _published(cloudwatch, "RowsWritten") == (900 + 48, "Count")
    usd, unit = _published(cloudwatch, "RunCostUSD")
    assert usd == pytest.approx(CLUSTER_USD) and unit == "None"


class _Refusing:
    """A CloudWatch client whose PutMetricData is denied (as IAM would outside the namespace)."""

    def put_metric_data(self, **kwargs):
        error = {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform cloudwatch:PutMetricData"}}
        raise botocore.exceptions.ClientError(error, "PutMetricData")


def test_a_refused_publish_is_logged_and_the_run_stays_recorded(aws, caplog):
    s3 = aws[0]
    with caplog.at_level(logging.ERROR, logger="wikilake_functions.record"):
        run = _record(aws, cloudwatch=_Refusing())

    assert run["status"] == "SUCCEEDED"
    day = layout.manifest_path("", "pageviews", DT).lstrip("/")
    assert s3.get_object(Bucket=BUCKET, Key=day)["Body"].read()  # published all the same
    assert f"pageviews dt={DT}: run metrics not published to {NAMESPACE}" in caplog.text
    assert "AccessDenied" in caplog.text


def test_without_a_namespace_nothing_is_published_and_it_says_so(aws, caplog):
    with caplog.at_level(logging.WARNING, logger="wikilake_functions.record"):
        _record(aws, namespace=None)

    custom = [m for m in aws[2].list_metrics()["Metrics"] if not m["Namespace"].startswith("AWS/")]
    assert custom == []  # (moto lists the bucket's own AWS/S3 metrics)
    assert "run metrics not published: WIKILAKE_METRICS_NAMESPACE is not set" in caplog.text
