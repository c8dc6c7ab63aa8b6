"""`wikilake runs` against moto: executions of a fake pipeline, their run records and cluster cost."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from conftest import REGION, start_cluster
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import emr_backends
from moto.emrserverless.models import emrserverless_backends

from wikilake_core import datasets, function_env, layout
from wikilake_core.contract import TAG_RUN_EXECUTION
from wikilake_functions import record


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")


def start(sfn, arn: str, name: str, dataset: str, dt: str) -> str:
    payload = {"dataset": dataset, "dt": dt, "job_options": [], "allow_missing_hours": False}
    return sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]


def wait_until_finished(sfn, arn: str) -> None:
    for _ in range(100):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            return
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running")


def tag_run_cluster(clients, bucket: str, execution_arn: str, hours: int) -> str:
    """A run's cluster, as the pipeline starts it: tagged with its execution; moto reports 0
    normalized instance hours, so the test sets them in moto's model."""
    cluster_id = start_cluster(clients.emr, bucket)
    clients.emr.add_tags(ResourceId=cluster_id, Tags=[{"Key": TAG_RUN_EXECUTION, "Value": execution_arn}])
    emr_backends[DEFAULT_ACCOUNT_ID][REGION].clusters[cluster_id].normalized_instance_hours = hours
    return cluster_id


@pytest.fixture
def history(pipeline, clients, deployed):
    """Oldest to newest: edits 09-01 succeeded, edits 09-02 failed (its cluster used 6 hours),
    pageviews 03-15 succeeded (started by the schedule: no name of ours), a foreign execution."""
    arn = pipeline.deploy(failing=("2015-09-02",))
    sfn = clients.stepfunctions
    started = [
        start(sfn, arn, "edits-2015-09-01-20261130T100000Z", "edits", "2015-09-01"),
        start(sfn, arn, "edits-2015-09-02-20261130T100001Z", "edits", "2015-09-02"),
        start(sfn, arn, "3f6c1e0a-schedule", "pageviews", "2024-03-15"),
        sfn.start_execution(stateMachineArn=arn, name="by-hand", input="{}")["executionArn"],
    ]
    for execution in started:
        wait_until_finished(sfn, execution)
        time.sleep(0.01)  # distinct start times: ListExecutions orders by them
    tag_run_cluster(clients, deployed.bucket, started[1], hours=6)
    tag_run_cluster(clients, deployed.bucket, "arn:aws:states:us-east-1:123456789012:execution:x:other", 99)
    return started


def test_json_lists_runs_newest_first_with_record_and_cost(wikilake, history, aws_options):
    code, out, err = wikilake("runs", "--format", "json", *aws_options)

    assert code == 0, err
    listed = json.loads(out)
    assert [(r["dataset"], r["dt"], r["state"]) for r in listed] == [
        ("pageviews", "2024-03-15", "SUCCEEDED"),
        ("edits", "2015-09-02", "FAILED"),
        ("edits", "2015-09-01", "SUCCEEDED"),
    ]
    succeeded = {
        key: listed[2][key]
        for key in ("rows_written", "rejected_records", "compute_hours", "compute_unit", "usd", "prices_as_of")
    }
    assert succeeded == {
        "rows_written": 990 + 120 + 7,
        "rejected_records": 10,
        "compute_hours": 24,
        "compute_unit": "NIH",
        "usd": 1.23,
        "prices_as_of": "2026-11-01",
    }
    failed = {
        key: listed[1][key] for key in ("rows_written", "rejected_records", "compute_hours", "compute_unit", "usd")
    }
    assert failed == {
        "rows_written": None,
        "rejected_records": None,
        "compute_hours": 6,
        "compute_unit": "NIH",
        "usd": None,
    }
    assert all(r["duration"].startswith("0m0") and r["start"].endswith("Z") for r in listed)


def test_a_scheduled_run_without_dt_is_the_previous_utc_day_of_its_start(wikilake, pipeline, clients, aws_options):
    from datetime import datetime, timedelta, timezone

    arn = pipeline.deploy(seconds=2)
    payload = {"dataset": "pageviews", "dt": "", "job_options": [], "allow_missing_hours": False}
    clients.stepfunctions.start_execution(stateMachineArn=arn, name="scheduled-1", input=json.dumps(payload))
    today = datetime.now(timezone.utc).date()

    code, out, _ = wikilake("runs", "--format", "json", *aws_options)

    assert code == 0
    [run] = json.loads(out)
    assert run["start"].startswith(today.isoformat())  # the day did not change under the test
    assert (run["dataset"], run["dt"], run["state"]) == ("pageviews", str(today - timedelta(days=1)), "RUNNING")


def test_dataset_and_last_filter(wikilake, history, aws_options):
    code, out, _ = wikilake("runs", "--dataset", "edits", "--last", "1", "--format", "csv", *aws_options)

    assert code == 0
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert (row["dataset"], row["dt"], row["state"]) == ("edits", "2015-09-02", "FAILED")
    assert row["usd"] == "" and (row["compute_hours"], row["compute_unit"]) == ("6", "NIH")
    assert out.splitlines()[0] == (
        "dataset,dt,state,version,start,duration,rows_written,rejected_records,compute_hours,compute_unit,usd,prices_as_of"
    )


def test_table_for_people(wikilake, history, aws_options):
    code, out, _ = wikilake("runs", *aws_options)

    assert code == 0
    row = next(line for line in out.splitlines() if "2015-09-01" in line)
    for cell in ("edits", "SUCCEEDED", "1,117", "10", "24.00 NIH", "1.23", "2026-11-01"):
        assert cell in row
    assert "3 rows" in out


# --- a run on a cluster beside a job run on EMR Serverless ---


def manifest_of(dataset: str) -> dict:
    """A finished run's manifest, as the job writes it (counts that pass the record's checks)."""
    tables = datasets.get(dataset).tables
    return {
        "input_records": 1000,
        "valid_records": 990,
        "rejected_records": 10,
        "rows_written": dict.fromkeys(tables, 100),
    }


RECORD_DATABASE = "wikilake_records"  # the Glue database the record function publishes into


def _catalog(glue, dataset: str) -> None:
    """The dataset's tables in Glue (moto), for the record function to publish the day's partitions."""
    if RECORD_DATABASE not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]:
        glue.create_database(DatabaseInput={"Name": RECORD_DATABASE})
    for table in datasets.get(dataset).tables:
        descriptor = {"Location": f"s3://lake/processed/{table}/"}
        glue.create_table(DatabaseName=RECORD_DATABASE, TableInput={"Name": table, "StorageDescriptor": descriptor})


def recorded(clients, bucket: str, dataset: str, dt: str, compute: dict, env: dict, run_id: str) -> dict:
    """The run record the pipeline's record function (wikilake_functions.record) writes for a run
    whose job ended on ``compute`` (its part of the event), run in-process against moto."""
    key = layout.run_manifest_path("", dataset, dt, run_id).lstrip("/")
    clients.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({**manifest_of(dataset), "run_id": run_id}).encode())
    glue = clients.glue
    _catalog(glue, dataset)
    event = {"run": {"dataset": dataset, "dt": dt, "run_id": run_id}, **compute}
    serverless = getattr(clients, "emr-serverless")
    env = {function_env.BUCKET: bucket, function_env.DATABASE: RECORD_DATABASE, **env}
    return record.handle(event, env, s3=clients.s3, emr=clients.emr, emr_serverless=serverless, glue=glue)


def serverless_job_run(clients, billed: dict) -> tuple[str, str]:
    """(application id, job run id) of a job run that succeeded on an EMR Serverless application;
    moto bills nothing, so the test sets the billed resource utilization in moto's model."""
    serverless = getattr(clients, "emr-serverless")
    app = serverless.create_application(name="wikilake-dev", releaseLabel="emr-7.13.0", type="SPARK")["applicationId"]
    run_id = serverless.start_job_run(
        applicationId=app,
        clientToken="token",
        executionRoleArn="arn:aws:iam::123456789012:role/wikilake-serverless",
        jobDriver={"sparkSubmit": {"entryPoint": "s3://assets/pageviews.py"}},
    )["jobRunId"]
    [job_run] = emrserverless_backends[DEFAULT_ACCOUNT_ID][REGION].job_runs[app]
    job_run.billed_resource_utilization = billed
    return app, run_id


EXECUTIONS = ("edits-2015-09-01-20261130T100000Z", "pageviews-2024-03-15-20261130T100001Z")


@pytest.fixture
def two_runtimes(pipeline, clients, deployed):
    """Oldest to newest: edits 2015-09-01 on a cluster (EMR reports 12 normalized instance
    hours), pageviews 2024-03-15 on EMR Serverless (billed 3.2 vCPU hours, 12.8 memory GB-hours,
    no storage beyond the free 20 GB): their run records as the record function writes them."""
    cluster_id = start_cluster(clients.emr, deployed.bucket)
    emr_backends[DEFAULT_ACCOUNT_ID][REGION].clusters[cluster_id].normalized_instance_hours = 12
    on_cluster = recorded(
        clients, deployed.bucket, "edits", "2015-09-01", {"cluster_id": cluster_id}, {}, EXECUTIONS[0]
    )
    app, run_id = serverless_job_run(clients, {"vCPUHour": 3.2, "memoryGBHour": 12.8, "storageGBHour": 0.0})
    serverless = recorded(
        clients,
        deployed.bucket,
        "pageviews",
        "2024-03-15",
        {"job_run": {"jobRunId": run_id}},
        {function_env.SERVERLESS_APPLICATION_ID: app},
        EXECUTIONS[1],
    )
    arn = pipeline.deploy(records={"2015-09-01": on_cluster, "2024-03-15": serverless})
    sfn = clients.stepfunctions
    for name, dataset, dt in zip(EXECUTIONS, ("edits", "pageviews"), ("2015-09-01", "2024-03-15")):
        wait_until_finished(sfn, start(sfn, arn, name, dataset, dt))
        time.sleep(0.01)


# 3.2 vCPU-hours and 12.8 GB-hours at the EMR Serverless x86 prices of prices.PRICES_AS_OF
# ($0.052624 per vCPU-hour, $0.0057785 per GB-hour, aws.amazon.com/emr/pricing): $0.2424.
SERVERLESS_USD = 0.24


def test_json_and_csv_give_each_runtimes_hours_as_a_number_and_a_unit(wikilake, two_runtimes, aws_options):
    code, out, err = wikilake("runs", "--format", "json", *aws_options)

    assert code == 0, err
    by_dataset = {r["dataset"]: r for r in json.loads(out)}
    serverless, on_cluster = by_dataset["pageviews"], by_dataset["edits"]
    assert (serverless["compute_hours"], serverless["compute_unit"], serverless["usd"]) == (
        3.2,
        "vCPU-h",
        SERVERLESS_USD,
    )
    assert (on_cluster["compute_hours"], on_cluster["compute_unit"]) == (12, "NIH")
    assert serverless["rows_written"] == 200 and serverless["state"] == "SUCCEEDED"

    code, out, _ = wikilake("runs", "--format", "csv", *aws_options)
    cells = {row["dataset"]: (row["compute_hours"], row["compute_unit"]) for row in csv.DictReader(io.StringIO(out))}
    assert cells == {"pageviews": ("3.2", "vCPU-h"), "edits": ("12", "NIH")}


def test_the_table_shows_each_runtimes_hours_with_its_unit_in_one_column(wikilake, two_runtimes, aws_options):
    code, out, _ = wikilake("runs", *aws_options)

    assert code == 0
    header = next(line for line in out.splitlines() if "dataset" in line)
    assert "compute_hours" in header and "compute_unit" not in header
    serverless = next(line for line in out.splitlines() if "2024-03-15" in line)
    on_cluster = next(line for line in out.splitlines() if "2015-09-01" in line)
    assert "3.20 vCPU-h" in serverless and f"{SERVERLESS_USD}" in serverless
    assert "12.00 NIH" in on_cluster
    # The one column: both figures start where its header starts.
    column = header.index("compute_hours")
    assert serverless.index("3.20 vCPU-h") == on_cluster.index("12.00 NIH") == column


def test_no_runs_yet(wikilake, pipeline, aws_options):
    pipeline.deploy()
    code, out, _ = wikilake("runs", "--format", "json", *aws_options)
    assert (code, json.loads(out)) == (0, [])


def test_each_run_is_the_live_superseded_or_a_failed_version_of_its_day(
    wikilake, history, clients, deployed, aws_options
):
    """edits 09-01's day manifest names that run (live); pageviews 03-15's names a later run
    (superseded); edits 09-02 failed (never published)."""
    for dataset, dt, run_id in (
        ("edits", "2015-09-01", "edits-2015-09-01-20261130T100000Z"),
        ("pageviews", "2024-03-15", "a-later-run"),
    ):
        key = f"manifests/{dataset}/dt={dt}/manifest.json"
        body = json.dumps({"run_id": run_id, "run": {"status": "SUCCEEDED"}}).encode()
        clients.s3.put_object(Bucket=deployed.bucket, Key=key, Body=body)

    code, out, err = wikilake("runs", "--format", "json", *aws_options)

    assert code == 0, err
    assert [(r["dataset"], r["dt"], r["state"], r["version"]) for r in json.loads(out)] == [
        ("pageviews", "2024-03-15", "SUCCEEDED", "superseded"),
        ("edits", "2015-09-02", "FAILED", "failed"),
        ("edits", "2015-09-01", "SUCCEEDED", "live"),
    ]


def test_quality_adds_each_runs_failing_checks(wikilake, pipeline, clients, aws_options, monkeypatch):
    """A run that succeeded with a failing warn check (its run record lists it) and one that ended
    QualityFailed (the checks in its cause: Lambda's error object, as the record function's failure
    reaches Step Functions)."""
    import fake_pipeline

    warned = "rejected_share 0.05 not in <= 0.01"
    failed = "pageviews dt=2024-03-18: quality checks failed: rows_pageviews_daily 3 not in [5, 15] (the data is kept)"
    states = {
        "Verify": {
            "Type": "Choice",
            "Default": "Record",
            "Choices": [{"Variable": "$.dt", "StringEquals": "2024-03-18", "Next": "Failed"}],
        },
        "Record": {
            "Type": "Pass",
            "End": True,
            "Parameters": {
                "dataset.$": "$.dataset",
                "dt.$": "$.dt",
                **fake_pipeline.RECORD,
                "quality_status": "warn",
                "failing_checks": [warned],
            },
        },
        "Failed": {
            "Type": "Fail",
            "Error": "QualityFailed",
            "Cause": json.dumps({"errorType": "QualityFailed", "errorMessage": failed}),
        },
    }
    monkeypatch.setattr(
        fake_pipeline, "definition", lambda seconds, failing, records=None: {"StartAt": "Verify", "States": states}
    )
    arn = pipeline.deploy()
    sfn = clients.stepfunctions
    for name, dt in (
        ("pageviews-2024-03-18-20261206T040000Z", "2024-03-18"),
        ("pageviews-2024-03-19-20261206T040001Z", "2024-03-19"),
    ):
        wait_until_finished(sfn, start(sfn, arn, name, "pageviews", dt))
        time.sleep(0.01)

    code, out, err = wikilake("runs", "--quality", "--format", "json", *aws_options)

    assert code == 0, err
    assert [(r["dt"], r["state"], r["failing_checks"]) for r in json.loads(out)] == [
        ("2024-03-19", "SUCCEEDED", warned),
        ("2024-03-18", "FAILED", failed),
    ]
    code, out, _ = wikilake("runs", "--format", "csv", *aws_options)
    assert "failing_checks" not in out.splitlines()[0]  # only with --quality


def test_a_failed_run_its_day_publishes_is_live(wikilake, history, clients, deployed, aws_options):
    """A run that ended QualityFailed was published before its checks failed the execution
    (docs/quality.md): the day's manifest names it, so it is the day's live version, not 'failed'."""
    key = "manifests/edits/dt=2015-09-02/manifest.json"
    body = json.dumps({"run_id": "edits-2015-09-02-20261130T100001Z", "status": "QUALITY_FAILED"}).encode()
    clients.s3.put_object(Bucket=deployed.bucket, Key=key, Body=body)

    code, out, err = wikilake("runs", "--dataset", "edits", "--format", "json", *aws_options)

    assert code == 0, err
    failed = [(r["dt"], r["state"], r["version"]) for r in json.loads(out) if r["state"] == "FAILED"]
    assert failed == [("2015-09-02", "FAILED", "live")]
