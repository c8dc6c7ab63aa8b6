"""One writer per (dataset, dt) and atomic publishing, in moto's Step Functions interpreter with
the functions in-process (see conftest.py): the day's lease refuses a second execution while the
first holds it, every way an execution ends leaves no lease held, and a run that fails after its
job wrote leaves the previous run's Glue partition current.

moto's interpreter cannot make an execution reach the state machine's 4-hour timeout: a timed-out
execution is played by stopping one mid-run (no state runs after either) and delivering the
TIMED_OUT event EventBridge sends to the reap function. The lease's own expiry (the backstop if
no release ever runs) is tested with a lapsed item.
"""

import json
import time

import pytest

from wikilake_core import contract, layout, runs
from wikilake_core.leases import EXECUTION, EXPIRES_AT, HOLDER, LEASE_ID, day_lease_id

from .conftest import DT
from .test_state_machine import MANIFEST, _cluster_when_created

TABLES = MANIFEST["rows_written"]


def _locations(pipeline) -> dict:
    return {table: pipeline.partition_location(table) for table in TABLES}


def _run_folder_locations(pipeline, execution: str) -> dict:
    name = pipeline.describe(execution)["name"]
    return {table: layout.table_run_dir(f"s3://{pipeline.bucket}", table, DT, name) + "/" for table in TABLES}


def _tags(pipeline, key: str) -> dict:
    return {t["Key"]: t["Value"] for t in pipeline.s3.get_object_tagging(Bucket=pipeline.bucket, Key=key)["TagSet"]}


def _succeed(pipeline) -> str:
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="COMPLETED", manifest=MANIFEST)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    return execution


@pytest.mark.parametrize("poll_seconds", ["5"])
def test_a_second_execution_of_a_held_day_is_refused_naming_the_holder(pipeline):
    first = pipeline.start(runs.execution_input("pageviews", DT))
    _cluster_when_created(pipeline, first)
    held = pipeline.day_lease()
    assert held[EXECUTION]["S"] == first and held[HOLDER]["S"] == first
    second = pipeline.start(runs.execution_input("pageviews", DT))
    refused = pipeline.wait(second)
    assert refused["status"] == "FAILED" and refused["error"] == "DayBusy"
    assert f"{day_lease_id('pageviews', DT)} is held by {first}" in refused["cause"]
    assert len(pipeline.clusters()) == 1  # the refused run started nothing
    assert pipeline.day_lease()[HOLDER]["S"] == first  # and did not give away the first's hold
    # Another day is not held: its run goes on (to fail in planning: no dumps of that day here),
    # and gives its own day back on the way out.
    other = pipeline.wait(pipeline.start(runs.execution_input("pageviews", "2024-03-16")))
    assert other["error"] == "IngestFailed" and pipeline.day_lease(dt="2024-03-16") is None
    pipeline.sfn.stop_execution(executionArn=first)
    pipeline.wait(first)
    pipeline.reap(first, "ABORTED")
    assert pipeline.holds() == []


def test_success_and_failure_each_give_the_day_back(pipeline):
    _succeed(pipeline)
    assert pipeline.day_lease() is None
    failed = pipeline.start(runs.execution_input("pageviews", DT))
    assert pipeline.wait(failed, job="FAILED")["status"] == "FAILED"
    assert pipeline.day_lease() is None
    # the next run of the day is not refused
    _succeed(pipeline)
    assert pipeline.holds() == []


@pytest.mark.parametrize("poll_seconds", ["5"])
@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT"])
def test_an_execution_ended_from_outside_leaves_no_lease_once_reaped(pipeline, status):
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    _cluster_when_created(pipeline, execution)
    pipeline.sfn.stop_execution(executionArn=execution)
    assert pipeline.wait(execution)["status"] == "ABORTED"
    assert pipeline.day_lease()[HOLDER]["S"] == execution  # no state ran: still held
    reaped = pipeline.reap(execution, status)
    assert reaped["day_released"] is True and reaped["terminated"]
    assert pipeline.day_lease() is None
    assert pipeline.reap(execution, status)["day_released"] is False  # idempotent


def test_a_lapsed_lease_of_a_lost_execution_does_not_block_the_day(pipeline):
    pipeline.dynamodb.put_item(
        TableName=pipeline.lease_table,
        Item={
            LEASE_ID: {"S": day_lease_id("pageviews", DT)},
            HOLDER: {"S": "arn:lost"},
            EXECUTION: {"S": "arn:lost"},
            EXPIRES_AT: {"N": str(int(time.time()) - 1)},
        },
    )
    _succeed(pipeline)
    assert pipeline.holds() == []


def test_a_run_failing_after_its_job_wrote_leaves_the_previous_day_current(pipeline):
    first = _succeed(pipeline)
    published = _run_folder_locations(pipeline, first)
    assert _locations(pipeline) == published
    live = json.loads(
        pipeline.s3.get_object(Bucket=pipeline.bucket, Key=layout.manifest_path("", "pageviews", DT).lstrip("/"))[
            "Body"
        ].read()
    )

    # the job writes its folders, then fails
    failed = pipeline.start(runs.execution_input("pageviews", DT))
    assert pipeline.wait(failed, job="FAILED", wrote=True)["status"] == "FAILED"
    assert _locations(pipeline) == published
    # the job writes everything, but verification refuses the run
    refused = pipeline.start(runs.execution_input("pageviews", DT))
    bad = {**MANIFEST, "hours_missing": [23]}
    assert pipeline.wait(refused, job="COMPLETED", manifest=bad)["error"] == "VerificationFailed"
    assert _locations(pipeline) == published
    day_key = layout.manifest_path("", "pageviews", DT).lstrip("/")
    assert json.loads(pipeline.s3.get_object(Bucket=pipeline.bucket, Key=day_key)["Body"].read()) == live
    assert live["run_id"] == pipeline.describe(first)["name"]
    # nothing of the failed runs is tagged yet: only a publish tags the day's other runs
    for execution in (failed, refused):
        key = _run_folder_locations(pipeline, execution)["pageviews_daily"].split("/", 3)[3] + "part-00000.parquet"
        assert _tags(pipeline, key) == {}


def test_a_published_rerun_moves_every_table_and_tags_the_runs_it_supersedes(pipeline):
    first = _succeed(pipeline)
    failed = pipeline.start(runs.execution_input("pageviews", DT))
    pipeline.wait(failed, job="FAILED", wrote=True)
    second = _succeed(pipeline)
    assert _locations(pipeline) == _run_folder_locations(pipeline, second)
    superseded = {contract.TAG_SUPERSEDED: contract.SUPERSEDED}
    for execution, tags in ((first, superseded), (failed, superseded), (second, {})):
        for location in _run_folder_locations(pipeline, execution).values():
            key = location.split("/", 3)[3] + "part-00000.parquet"
            assert _tags(pipeline, key) == tags, (execution, key)
