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

from wikilake_core.contract import TAG_RUN_EXECUTION


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
        key: listed[2][key] for key in ("rows_written", "rejected_records", "instance_hours", "usd", "prices_as_of")
    }
    assert succeeded == {
        "rows_written": 990 + 120 + 7,
        "rejected_records": 10,
        "instance_hours": 24,
        "usd": 1.23,
        "prices_as_of": "2026-11-01",
    }
    failed = {key: listed[1][key] for key in ("rows_written", "rejected_records", "instance_hours", "usd")}
    assert failed == {"rows_written": None, "rejected_records": None, "instance_hours": 6, "usd": None}
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
    assert row["usd"] == "" and row["instance_hours"] == "6"
    assert out.splitlines()[0] == (
        "dataset,dt,state,version,start,duration,rows_written,rejected_records,instance_hours,usd,prices_as_of"
    )


def test_table_for_people(wikilake, history, aws_options):
    code, out, _ = wikilake("runs", *aws_options)

    assert code == 0
    row = next(line for line in out.splitlines() if "2015-09-01" in line)
    for cell in ("edits", "SUCCEEDED", "1,117", "10", "24", "1.23", "2026-11-01"):
        assert cell in row
    assert "3 rows" in out


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
