"""A local run's profile against the event log it leaves: a local run of edits (the shared
`small_runs`) writes the run's own Spark event log under the lake's logs/spark-events/ and a
``profile`` in the day's manifest; the profile is compared with sums taken here, independently,
over the same file's task-end events (not through wikilake_core/spark_profile.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spark_helpers import EDITS_DT

from wikilake_core import layout


@pytest.fixture(scope="module")
def profiled_run(small_runs):
    """The edits run of `small_runs`: after an unrelated Spark job and before a pageviews run on
    the same session, whose jobs its log must leave out."""
    lake, day = small_runs.lake, small_runs.days["edits"]
    folder = Path(layout.event_log_dir(str(lake), "edits", EDITS_DT, day["run_id"]))
    (log,) = folder.iterdir()
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return lake, day, log, events


def test_the_run_writes_its_own_event_log_named_after_the_application(profiled_run):
    _, day, log, events = profiled_run
    app = next(e for e in events if e["Event"] == "SparkListenerApplicationStart")
    assert log.name == day["profile"]["application_id"] == app["App ID"]
    starts = [e for e in events if e["Event"] == "SparkListenerJobStart"]
    assert starts, "the run's Spark jobs are in its log"
    # Only the run's jobs: each carries the run's tag (the unrelated job before it is left out).
    assert all(f"wikilake-run-{day['run_id']}" in e["Properties"]["spark.job.tags"] for e in starts)
    # written as Spark writes events: the History Server lists an application by its lines' starts
    assert all(line.startswith('{"Event":"') for line in log.read_text(encoding="utf-8").splitlines())
    kinds = [e["Event"] for e in events]
    assert kinds.count("SparkListenerApplicationStart") == kinds.count("SparkListenerApplicationEnd") == 1


def test_the_profile_sums_the_task_end_events_of_its_log(profiled_run):
    _, day, _, events = profiled_run
    profile = day["profile"]
    ends = [e for e in events if e["Event"] == "SparkListenerTaskEnd"]
    metrics = [e.get("Task Metrics") or {} for e in ends]
    task_ms = sum(e["Task Info"]["Finish Time"] - e["Task Info"]["Launch Time"] for e in ends)
    assert profile["task_seconds"] == pytest.approx(task_ms / 1000, abs=0.001)
    assert profile["gc_seconds"] == pytest.approx(sum(m["JVM GC Time"] for m in metrics) / 1000, abs=0.001)
    assert profile["input_bytes"] == sum(m["Input Metrics"]["Bytes Read"] for m in metrics) > 0
    assert profile["shuffle_bytes"] == sum(m["Shuffle Write Metrics"]["Shuffle Bytes Written"] for m in metrics)
    spilled = sum(m["Memory Bytes Spilled"] + m["Disk Bytes Spilled"] for m in metrics)
    assert profile["spill_bytes"] == spilled
    assert sum(s["tasks"] for s in profile["stages"]) == len(ends)
    assert {s["stage"] for s in profile["stages"]} == {e["Stage ID"] for e in ends}
    by_stage = {}
    for e in ends:
        by_stage.setdefault(e["Stage ID"], []).append(e["Task Info"]["Finish Time"] - e["Task Info"]["Launch Time"])
    for stage in profile["stages"]:
        assert stage["max_task_seconds"] == pytest.approx(max(by_stage[stage["stage"]]) / 1000, abs=0.001)


def test_utilization_is_task_time_over_the_cores_of_the_run(profiled_run):
    _, day, _, events = profiled_run
    profile = day["profile"]
    start = next(e["Timestamp"] for e in events if e["Event"] == "SparkListenerApplicationStart")
    end = next(e["Timestamp"] for e in events if e["Event"] == "SparkListenerApplicationEnd")
    cores = sum(e["Executor Info"]["Total Cores"] for e in events if e["Event"] == "SparkListenerExecutorAdded")
    assert cores == profile["cores"] == 2  # the shared session's local[2]
    assert profile["wall_seconds"] == pytest.approx((end - start) / 1000, abs=0.001)
    assert profile["wall_seconds"] >= day["duration_seconds"] - 0.01  # the whole job, not less
    assert profile["core_seconds_available"] == pytest.approx(cores * profile["wall_seconds"], abs=0.01)
    assert 0 < profile["utilization"] <= 1
    assert profile["utilization"] == pytest.approx(profile["task_seconds"] / profile["core_seconds_available"], 1e-3)
    assert profile["settings"]["spark.master"] == "local[2]"


def test_the_days_manifest_carries_the_profile(profiled_run):
    lake, day, _, _ = profiled_run
    published = json.loads(Path(layout.manifest_path(str(lake), "edits", EDITS_DT)).read_text())
    assert published["profile"] == day["profile"]
