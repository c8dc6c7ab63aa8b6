"""The pipeline's state machine for `wikilake run`, `backfill` and `runs`: starting an execution of
(dataset, dt), following it, stopping it, and reading the run records of past executions."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from wikilake_core import day_runs, layout, runs
from wikilake_core.errors import WikilakeError

RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
# PENDING_REDRIVE is not final, but nothing runs until someone redrives the execution.
FINISHED = frozenset({SUCCEEDED, "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"})

# The pause between polls (run, backfill); a module attribute so a test can interrupt it without
# replacing the process-wide time.sleep, which other threads (py4j's) use too.
wait = time.sleep


def start(
    sfn,
    state_machine_arn: str,
    dataset: str,
    dt: str,
    *,
    job_options: tuple[str, ...] = (),
    allow_missing_hours: bool = False,
    cluster_id: str | None = None,
) -> str:
    """Start the execution of (dataset, dt), its job on the interactive cluster ``cluster_id`` if
    given; returns its ARN."""
    payload = runs.execution_input(
        dataset, dt, job_options=job_options, allow_missing_hours=allow_missing_hours, cluster_id=cluster_id
    )
    return sfn.start_execution(
        stateMachineArn=state_machine_arn, name=runs.execution_name(dataset, dt), input=json.dumps(payload)
    )["executionArn"]


def stop(sfn, execution_arn: str, cause: str) -> None:
    """Stop the execution. A stopped execution runs no further state, so its cluster is
    terminated by the pipeline's reaper (EventBridge on ABORTED), not by the state machine."""
    sfn.stop_execution(executionArn=execution_arn, error="wikilake.Stopped", cause=cause)


def describe(sfn, execution_arn: str) -> dict:
    return sfn.describe_execution(executionArn=execution_arn)


def current_state(sfn, execution_arn: str) -> str | None:
    """The name of the state the execution entered last (one history page, newest first)."""
    events = sfn.get_execution_history(
        executionArn=execution_arn, reverseOrder=True, maxResults=20, includeExecutionData=False
    )["events"]
    for event in events:
        if "stateEnteredEventDetails" in event:
            return event["stateEnteredEventDetails"]["name"]
    return None


def failure(execution: dict) -> str:
    """``error: cause`` of a finished execution that did not succeed (cause squeezed to one line)."""
    cause = " ".join((execution.get("cause") or "").split())
    return ": ".join(filter(None, (execution.get("error"), cause)))


def follow(
    sfn,
    execution_arn: str,
    *,
    poll_seconds: float,
    timeout_seconds: float,
    on_update: Callable[[dict, str | None], None] = lambda execution, state: None,
) -> dict:
    """Poll DescribeExecution (and the state entered last) until the execution finishes.

    Step Functions has no boto3 waiter for executions, hence this loop; ``on_update(execution,
    state_name)`` runs after every poll. Raises WikilakeError if still running after the timeout.
    """
    deadline = time.monotonic() + timeout_seconds
    while True:
        execution = describe(sfn, execution_arn)
        finished = execution["status"] in FINISHED
        on_update(execution, None if finished else current_state(sfn, execution_arn))
        if finished:
            return execution
        if time.monotonic() + poll_seconds > deadline:
            raise WikilakeError(
                f"execution {execution['name']} is still {execution['status']} after "
                f"{timeout_seconds / 60:g} min; it goes on: follow it with `wikilake runs`"
            )
        wait(poll_seconds)


def run_record(execution: dict) -> dict:
    """The run record a successful execution returns (its output); {} for any other execution."""
    if execution["status"] != SUCCEEDED or not execution.get("output"):
        return {}
    record = json.loads(execution["output"])
    return record if isinstance(record, dict) else {}


@dataclass(frozen=True)
class Run:
    """One execution of the pipeline, as `wikilake runs` lists it."""

    name: str
    arn: str
    dataset: str
    dt: str
    status: str
    start: datetime
    stop: datetime | None
    record: dict

    @property
    def seconds(self) -> float | None:
        return (self.stop - self.start).total_seconds() if self.stop else None


def _dataset_and_dt(sfn, summary: dict) -> tuple[tuple[str, str] | None, dict | None]:
    """(dataset, dt) from the execution's name when this app named it, else from its input (an
    execution started by the schedule); also the full description when it had to be read."""
    parsed = runs.parse_execution_name(summary["name"])
    if parsed:
        return parsed, None
    execution = describe(sfn, summary["executionArn"])
    try:
        payload = json.loads(execution.get("input") or "{}")
        dataset, dt = payload["dataset"], payload.get("dt")
    except (ValueError, KeyError, TypeError):
        return None, execution  # not a pipeline run (a hand-made test execution, say)
    # A schedule sends no dt: the run processes the previous UTC day of the execution's start.
    return (dataset, dt or runs.scheduled_dt(summary["startDate"])), execution


def list_runs(sfn, state_machine_arn: str, *, dataset: str | None = None, last: int | None = None) -> Iterator[Run]:
    """The pipeline's executions, newest first (ListExecutions' order), optionally of one dataset,
    at most ``last`` of them; each successful one with its run record."""
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    found = 0
    for page in pages:
        for summary in page["executions"]:
            if last is not None and found >= last:
                return
            key, execution = _dataset_and_dt(sfn, summary)
            if key is None or (dataset and key[0] != dataset):
                continue
            if summary["status"] == SUCCEEDED and execution is None:
                execution = describe(sfn, summary["executionArn"])
            found += 1
            yield Run(
                name=summary["name"],
                arn=summary["executionArn"],
                dataset=key[0],
                dt=key[1],
                status=summary["status"],
                start=summary["startDate"],
                stop=summary.get("stopDate"),
                record=run_record(execution or summary),
            )


def running_dts(sfn, state_machine_arn: str, dataset: str) -> dict[str, str]:
    """{dt: execution name} of the dataset's executions running now."""
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn, statusFilter=RUNNING)
    running = {}
    for page in pages:
        for summary in page["executions"]:
            key, _ = _dataset_and_dt(sfn, summary)
            if key and key[0] == dataset:
                running[key[1]] = summary["name"]
    return running


def built_dts(s3, bucket: str, dataset: str, dts: list[str]) -> set[str]:
    """The dts among ``dts`` that are built: their day's manifest records a run that succeeded
    (wikilake_core.day_runs.is_built; a manifest of the older layout, written before verification,
    does not count). One listing of the dataset's manifests, then one read per day's manifest."""
    root = f"s3://{bucket}"
    prefix = f"{layout.MANIFESTS}/{dataset}/"
    present = {
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for obj in page.get("Contents", [])
    }
    built = set()
    for dt in dts:
        key = layout.manifest_path(root, dataset, dt)[len(root) + 1 :]
        if key in present and day_runs.is_built(_json_object(s3.get_object(Bucket=bucket, Key=key)["Body"].read())):
            built.add(dt)
    return built


def _json_object(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cluster_hours(emr, execution_arns: set[str], created_after: datetime) -> dict[str, float]:
    """{execution ARN: NormalizedInstanceHours} of the run clusters (tagged with their execution)
    created since ``created_after``: the cost of runs that ended without a run record (failed,
    aborted) or have none yet (running)."""
    from wikilake_core.contract import TAG_RUN_EXECUTION

    hours = {}
    for page in emr.get_paginator("list_clusters").paginate(CreatedAfter=created_after):
        for summary in page["Clusters"]:
            cluster = emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]
            tags = {tag["Key"]: tag["Value"] for tag in cluster.get("Tags", [])}
            if tags.get(TAG_RUN_EXECUTION) in execution_arns:
                hours[tags[TAG_RUN_EXECUTION]] = cluster.get("NormalizedInstanceHours", 0)
    return hours
