"""The dumps site's limit of 3 downloads at once, across executions, in moto's interpreter: the
ingest function holds one of the lease table's 3 slots (conditional writes to moto's DynamoDB)
around each download; downloads in flight are counted at the loopback dumps server."""

import time

from wikilake_core import runs
from wikilake_core.leases import DUMPS_SLOTS

from .conftest import DT, MONTH

OTHER_DT = "2024-03-16"


def _slots_busy_retries(pipeline, execution: str) -> int:
    events = pipeline.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return sum(1 for e in events if e.get("lambdaFunctionFailedEventDetails", {}).get("error") == "SlotsBusy")


def _slot_holds(pipeline) -> list:
    """The download slots held (the lease table also holds each running execution's day)."""
    return [item for item in pipeline.holds() if item["lease_id"]["S"].startswith(DUMPS_SLOTS)]


def _wait_for_no_holds(pipeline, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    while (holds := pipeline.holds()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return holds


def test_two_executions_at_once_never_download_more_than_three_files(pipeline):
    """Each execution's Map runs 3 downloads at a time; two at once would be 6 without the slots."""
    pipeline.dumps.add_month(
        MONTH,
        {f"pageviews-20240316-{hour:02d}0000.gz": f"de Hauptseite {hour} 0\n".encode() * 50 for hour in range(24)},
    )
    pipeline.dumps.delay = 0.2  # every download lasts long enough to overlap the others
    first = pipeline.start(runs.execution_input("pageviews", DT))
    second = pipeline.start(runs.execution_input("pageviews", OTHER_DT))
    for execution in (first, second):  # the job step fails: ingest is what is under test
        done = pipeline.wait(execution, job="FAILED", timeout=240)
        assert (done["status"], done.get("error")) == ("FAILED", "JobFailed"), done.get("cause")

    assert len(pipeline.raw_objects(dt=DT)) == len(pipeline.raw_objects(dt=OTHER_DT)) == 24
    assert len(pipeline.dumps.gets()) == 48  # each file downloaded once
    assert pipeline.dumps.max_downloads_in_flight == 3
    # the executions did contend: some invocations found every slot held and were retried
    assert _slots_busy_retries(pipeline, first) + _slots_busy_retries(pipeline, second) > 0
    assert pipeline.holds() == []


def test_a_failed_download_gives_its_slot_back(pipeline):
    bad = "pageviews-20240315-070000.gz"
    pipeline.dumps.md5_overrides[bad] = "0" * 32
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution)
    assert (done["status"], done["error"]) == ("FAILED", "IngestFailed")
    assert _wait_for_no_holds(pipeline) == []


def test_a_stopped_execution_leaves_no_hold(pipeline):
    """Stopping an execution does not stop the invocations it started: each still holds its slot
    until its download ends (so the limit holds), then gives it back."""
    pipeline.dumps.delay = 0.3
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    deadline = time.monotonic() + 30
    while not _slot_holds(pipeline) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _slot_holds(pipeline), "no download started"
    pipeline.sfn.stop_execution(executionArn=execution, error="Stopped", cause="stopped by hand")
    status = pipeline.wait(execution)["status"]
    assert status in ("ABORTED", "FAILED")  # moto fails a Task it stops
    pipeline.reap(execution, status)  # what EventBridge does: gives the execution's day back
    assert _wait_for_no_holds(pipeline) == []


def test_holds_left_by_killed_functions_lapse(pipeline):
    """A function killed at its timeout never gives its slot back: the hold's expiry (checked in
    the acquiring write's condition, not left to DynamoDB's lazy TTL) frees it."""
    lapsed = int(time.time()) - 1
    for slot in range(3):
        pipeline.dynamodb.put_item(
            TableName=pipeline.lease_table,
            Item={
                "lease_id": {"S": f"dumps.wikimedia.org/slot-{slot}"},
                "holder": {"S": "arn:aws:states:killed/file.gz"},
                "execution": {"S": "arn:aws:states:killed"},
                "expires_at": {"N": str(lapsed)},
            },
        )
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="FAILED", timeout=120)
    assert done["error"] == "JobFailed", done.get("cause")
    assert len(pipeline.raw_objects()) == 24
    assert _slots_busy_retries(pipeline, execution) == 0  # lapsed holds count as free
