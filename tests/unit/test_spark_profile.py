"""The event-log parser (wikilake_core/spark_profile.py) and a local run's cut of its session's log
(wikilake/local/spark_events.py) on hand-built event logs whose sums are worked out by hand here;
tests/spark/test_profile.py checks them against a real log."""

from __future__ import annotations

import pytest
from event_log_samples import CLUSTER_LOG, executor_added, lines, task_end

from wikilake.local.spark_events import cut
from wikilake_core import spark_profile
from wikilake_core.spark_profile import UnreadableEventLog, event_files


def test_a_cluster_profile_by_hand():
    profile = spark_profile.read(lines(CLUSTER_LOG)).profile()
    assert profile["wall_seconds"] == 100
    assert (profile["executors"], profile["hosts"], profile["cores"]) == (2, 2, 8)
    assert profile["core_seconds_available"] == 4 * 100 + 4 * 40
    assert profile["task_seconds"] == 10 + 10 + 40 + 20
    assert profile["utilization"] == round(80 / 560, 4)
    assert (profile["gc_seconds"], profile["input_bytes"], profile["shuffle_bytes"], profile["spill_bytes"]) == (
        4,
        1000,
        50,
        14,
    )
    assert profile["settings"] == {"spark.executor.memory": "9g"}
    scan, write = profile["stages"]
    assert (scan["tasks"], scan["task_seconds"], scan["max_task_seconds"], scan["median_task_seconds"]) == (
        3,
        60,
        40,
        10,
    )
    assert (scan["seconds"], scan["input_bytes"], scan["spill_bytes"]) == (56, 1000, 0)
    assert (write["tasks"], write["spill_bytes"]) == (1, 14)


def test_the_timeline_averages_busy_and_alive_cores_per_step():
    timeline = spark_profile.read(lines(CLUSTER_LOG)).profile()["timeline"]
    step = 100 / spark_profile.TIMELINE_POINTS
    assert timeline["step_seconds"] == round(step, 3)
    assert sum(timeline["busy_cores"]) * step == pytest.approx(80, abs=0.01)  # the task seconds
    assert sum(timeline["cores"]) * step == pytest.approx(560, abs=0.01)  # the core seconds
    assert timeline["cores"][0] == 4 and max(timeline["cores"]) == 8


def test_a_log_cut_short_ends_at_its_last_event():
    """No application end (the driver died): the window ends at the latest time an event names;
    a last line half written is ignored."""
    truncated = lines(CLUSTER_LOG[:-1]) + ['{"Event": "SparkListenerTaskEnd", "Stage']
    profile = spark_profile.read(truncated).profile()
    assert profile["wall_seconds"] == 80  # the last task's end


def test_a_file_without_an_application_is_refused():
    with pytest.raises(UnreadableEventLog, match="no Spark application"):
        spark_profile.read(['{"Event": "SparkListenerLogStart", "Spark Version": "3.5.6"}'])


def test_the_files_of_a_rolling_log_in_order_markers_skipped():
    names = [
        "sparklogs/",
        "sparklogs/eventlog_v2_00f1/appstatus_00f1",
        "sparklogs/eventlog_v2_00f1/events_10_00f1",
        "sparklogs/eventlog_v2_00f1/events_2_00f1",
        "sparklogs/eventlog_v2_00f1/.events_1_00f1.crc",
    ]
    assert event_files(names) == [
        "sparklogs/eventlog_v2_00f1/events_2_00f1",
        "sparklogs/eventlog_v2_00f1/events_10_00f1",
    ]


def test_a_single_log_is_its_last_finished_attempt():
    assert event_files(["run=1/", "run=1/application_1_0001_1", "run=1/application_1_0001_2"]) == [
        "run=1/application_1_0001_2"
    ]
    assert event_files(["a_$folder$", "application_1_0001.inprogress"]) == ["application_1_0001.inprogress"]
    assert event_files(["run=1/"]) == []


def test_a_compressed_log_is_refused_by_name():
    with pytest.raises(UnreadableEventLog, match="compressed"):
        event_files(["application_1_0001.zstd"])
    with pytest.raises(UnreadableEventLog, match="compressed"):
        event_files(["eventlog_v2_x/events_1_x.lz4"])


def job_start(job: int, stages: list[int], tags: str, execution: int) -> dict:
    properties = {"spark.job.tags": tags, "spark.sql.execution.id": str(execution)}
    return {
        "Event": "SparkListenerJobStart",
        "Job ID": job,
        "Submission Time": 0,
        "Stage IDs": stages,
        "Properties": properties,
    }


def test_a_run_is_cut_out_of_its_sessions_log():
    sql = spark_profile.SQL_EVENT
    session = [
        {"Event": "SparkListenerLogStart", "Spark Version": "3.5.6"},
        executor_added("driver", 0, 2, "h"),
        {"Event": "SparkListenerApplicationStart", "App ID": "local-1", "Timestamp": 0},
        {"Event": f"{sql}SparkListenerSQLExecutionStart", "executionId": 0, "jobTags": []},
        job_start(0, [0], "", 0),  # a job of the session before the run
        task_end(0, 10, 20),
        {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 20},
        {"Event": f"{sql}SparkListenerSQLExecutionStart", "executionId": 1, "jobTags": ["wikilake-run-r1"]},
        job_start(1, [1, 2], "wikilake-run-r1", 1),
        task_end(2, 100, 150),
        {"Event": f"{sql}SparkListenerDriverAccumUpdates", "executionId": 1},
        {"Event": f"{sql}SparkListenerDriverAccumUpdates", "executionId": 0},
        {"Event": "SparkListenerJobEnd", "Job ID": 1, "Completion Time": 150},
        job_start(2, [3], "wikilake-flush-r1", 2),  # the flush job after it
        task_end(3, 160, 161),
    ]
    kept = cut(session, "wikilake-run-r1", 90, 170)
    assert [e["Event"].removeprefix(sql) for e in kept] == [
        "SparkListenerLogStart",
        "SparkListenerExecutorAdded",
        "SparkListenerApplicationStart",
        "SparkListenerSQLExecutionStart",
        "SparkListenerJobStart",
        "SparkListenerTaskEnd",
        "SparkListenerDriverAccumUpdates",
        "SparkListenerJobEnd",
        "SparkListenerApplicationEnd",
    ]
    assert kept[2]["Timestamp"] == 90 and kept[-1]["Timestamp"] == 170 and kept[4]["Job ID"] == 1
    profile = spark_profile.read(lines(kept)).profile()
    assert (profile["wall_seconds"], profile["task_seconds"], profile["core_seconds_available"]) == (0.08, 0.05, 0.16)


def test_a_run_reads_its_sessions_header_and_what_came_after_it_started(tmp_path):
    """The session's header lines, then from the log's size at the run's start; a line being
    written at that moment (cut by the offset) belongs to before the run and is skipped."""
    from wikilake.local.spark_events import _session_lines

    header = [b'{"Event":"SparkListenerLogStart"}\n', b'{"Event":"SparkListenerApplicationStart"}\n']
    before = [b'{"Event":"SparkListenerJobStart","Job ID":0}\n', b'{"Event":"SparkListenerJobEnd","Job ID":0}\n']
    during = [b'{"Event":"SparkListenerJobStart","Job ID":1}\n', b'{"Event":"SparkListenerJobEnd","Job ID":1}\n']
    log = tmp_path / "local-1.inprogress"
    log.write_bytes(b"".join(header + before + during))
    at_start = len(b"".join(header + before))
    assert list(_session_lines(log, at_start)) == header + during
    assert list(_session_lines(log, at_start - 5)) == header + during  # mid-line: that line is before
    assert list(_session_lines(log, 0)) == header + before + during  # a fresh session: all of it
    fresh = tmp_path / "local-2.inprogress"
    fresh.write_bytes(b"".join(header + during))
    assert list(_session_lines(fresh, len(header[0]))) == [header[0], header[1], *during]
