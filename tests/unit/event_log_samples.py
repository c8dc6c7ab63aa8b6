"""Hand-built Spark event logs whose sums are worked out by hand (a plain module: test files
import it by name; tests/spark/test_profile.py checks the parser against a real log)."""

from __future__ import annotations

import json


def executor_added(executor: str, at: int, cores: int, host: str) -> dict:
    info = {"Host": host, "Total Cores": cores}
    return {"Event": "SparkListenerExecutorAdded", "Timestamp": at, "Executor ID": executor, "Executor Info": info}


def task_end(stage: int, launch: int, finish: int, *, gc=0, read=0, spill=0, shuffled=0) -> dict:
    return {
        "Event": "SparkListenerTaskEnd",
        "Stage ID": stage,
        "Task Info": {"Launch Time": launch, "Finish Time": finish},
        "Task Metrics": {
            "JVM GC Time": gc,
            "Memory Bytes Spilled": spill,
            "Disk Bytes Spilled": spill,
            "Input Metrics": {"Bytes Read": read},
            "Shuffle Write Metrics": {"Shuffle Bytes Written": shuffled},
            "Shuffle Read Metrics": {"Remote Bytes Read": 0, "Local Bytes Read": 0},
        },
    }


def stage_completed(stage: int, name: str, submitted: int, completed: int, tasks: int) -> dict:
    info = {"Stage ID": stage, "Stage Name": name, "Number of Tasks": tasks}
    return {
        "Event": "SparkListenerStageCompleted",
        "Stage Info": {**info, "Submission Time": submitted, "Completion Time": completed},
    }


# A cluster application of 100 s: executor 1 (4 cores, host a) the whole time, executor 2 (4
# cores, host b) from 20 s to 60 s (dynamic allocation took it back). Stage 0: 3 tasks of 10, 10
# and 40 s; stage 1: one task of 20 s that spilled.
CLUSTER_LOG = [
    {"Event": "SparkListenerLogStart", "Spark Version": "3.5.6"},
    {
        "Event": "SparkListenerEnvironmentUpdate",
        "Spark Properties": {"spark.executor.memory": "9g", "spark.other": "x"},
    },
    {"Event": "SparkListenerApplicationStart", "App ID": "application_1_0001", "Timestamp": 1_000_000},
    executor_added("1", 1_000_000, 4, "a"),
    executor_added("2", 1_020_000, 4, "b"),
    {"Event": "SparkListenerExecutorRemoved", "Executor ID": "2", "Timestamp": 1_060_000},
    task_end(0, 1_005_000, 1_015_000, gc=1_000, read=100),
    task_end(0, 1_005_000, 1_015_000, gc=1_000, read=100),
    task_end(0, 1_020_000, 1_060_000, gc=2_000, read=800, shuffled=50),
    stage_completed(0, "scan at x.py:1", 1_004_000, 1_060_000, 3),
    task_end(1, 1_060_000, 1_080_000, spill=7),
    stage_completed(1, "write at x.py:2", 1_060_000, 1_080_000, 1),
    {"Event": "SparkListenerApplicationEnd", "Timestamp": 1_100_000},
]


def lines(events) -> list[str]:
    return [json.dumps(e) for e in events]
