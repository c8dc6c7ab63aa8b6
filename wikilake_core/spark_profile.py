"""What a Spark application did with its cores, read from its event log: a run's profile (wall,
cores available and busy, GC, bytes read, shuffled and spilled; per stage its tasks, task time,
skew and spill) and its Spark jobs in order (the bench's view, bench/stages.py). The one parser of
event logs: pure (JSON lines in, dicts out), standard library only, so the CLI, the record
function and the bench share it.

The event log is Spark's own record, one JSON event a line (``spark.eventLog.*``, written as
wikilake_core/event_logs.py sets it). Events are folded as they are read; only each task's start
and end stay one by one (for the median, the skew and the timeline), so memory grows with the
tasks, not with the log's size (a query plan event alone can be a megabyte).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# The settings the advice reads (wikilake_core/spark_advice.py), as the run had them: the
# application's, then what its SQL executions set for themselves (the jobs' scoped settings).
SETTINGS = (
    "spark.master",
    "spark.driver.cores",
    "spark.driver.memory",
    "spark.executor.cores",
    "spark.executor.memory",
    "spark.executor.memoryOverhead",
    "spark.dynamicAllocation.maxExecutors",
    "spark.sql.shuffle.partitions",
    "spark.sql.files.maxPartitionBytes",
)
TIMELINE_POINTS = 60  # the busy-cores timeline's resolution (the profile chart)
SQL_EVENT = "org.apache.spark.sql.execution.ui."
# A rolling event log is a folder eventlog_v2_<app>/ of events_<n>_<app>[.codec] files (EMR
# Serverless writes one); a single log is <app>[_<attempt>][.codec][.inprogress].
_ROLLING_FILE = re.compile(r"^events_(\d+)_")
_CODECS = ("lz4", "lzf", "snappy", "zstd")


class UnreadableEventLog(ValueError):
    """The files are not an event log this parser reads (compressed, or no application in them)."""


def event_files(names: Iterable[str]) -> list[str]:
    """Of the file names under a run's event-log folder (relative paths), the ones that make its
    application's log, in order: a rolling log's events_<n> files by n, else the finished single
    file (an in-progress one if nothing finished). Markers are skipped: folder keys ("x/"), hidden
    files, EMRFS ``_$folder$``, a rolling log's appstatus file. UnreadableEventLog if compressed."""
    names = [n for n in names if n and not n.endswith("/") and "$folder$" not in n]
    names = [n for n in names if not n.rsplit("/", 1)[-1].startswith((".", "appstatus_"))]
    rolling = sorted((int(match[1]), name) for name in names if (match := _ROLLING_FILE.match(name.rsplit("/", 1)[-1])))
    found = [name for _, name in rolling] or _single_log(names)
    compressed = [n for n in found if n.removesuffix(".inprogress").rsplit(".", 1)[-1] in _CODECS]
    if compressed:
        raise UnreadableEventLog(
            f"{compressed[0]} is compressed: the profile reads plain event logs (spark.eventLog.compress=false)"
        )
    return found


def _single_log(names: list[str]) -> list[str]:
    finished = sorted(n for n in names if not n.endswith(".inprogress"))
    return finished[-1:] or sorted(names)[-1:]  # the last attempt (application_..._<attempt>)


def events(lines: Iterable[str | bytes]) -> Iterable[dict]:
    """The events of JSON lines (blank lines skipped; a last line cut short by a crash ends it)."""
    for line in lines:
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                return


@dataclass
class _Stage:
    stage: int
    name: str = ""
    planned_tasks: int = 0
    submitted_ms: int | None = None
    completed_ms: int | None = None
    completed: bool = False
    task_ms: list[int] = field(default_factory=list)
    input_bytes: int = 0
    shuffle_read_bytes: int = 0
    spill_bytes: int = 0

    def seconds(self) -> float:
        if self.submitted_ms is None or self.completed_ms is None:
            return 0.0
        return (self.completed_ms - self.submitted_ms) / 1000


@dataclass
class _Executor:
    host: str
    cores: int
    added_ms: int
    removed_ms: int | None = None


@dataclass
class EventLog:
    """One application's events, folded (see ``read``)."""

    application_id: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    last_ms: int = 0  # the latest time any event names: the end of a log cut short
    settings: dict[str, str] = field(default_factory=dict)
    executors: dict[str, _Executor] = field(default_factory=dict)
    jobs: dict[int, dict] = field(default_factory=dict)
    stages: dict[int, _Stage] = field(default_factory=dict)
    tasks: list[tuple[int, int]] = field(default_factory=list)  # (launch, finish) ms
    gc_ms: int = 0
    input_bytes: int = 0
    shuffle_bytes: int = 0
    spill_bytes: int = 0

    def feed(self, event: dict) -> None:
        handler = _HANDLERS.get(event.get("Event", ""))
        if handler is not None:
            handler(self, event)

    def stage(self, stage_id: int) -> _Stage:
        return self.stages.setdefault(stage_id, _Stage(stage_id))

    def _seen(self, *times: int | None) -> None:
        self.last_ms = max([self.last_ms, *(t for t in times if t)])

    def window(self) -> tuple[int, int]:
        """The application's start and end in epoch ms (its last event's time if it never ended)."""
        start = (
            self.start_ms if self.start_ms is not None else min((j["start_ms"] for j in self.jobs.values()), default=0)
        )
        return start, max(self.end_ms or self.last_ms, start)

    def profile(self) -> dict:
        """The run's profile (the manifest's ``profile`` section; docs/monitoring.md names each field)."""
        start, end = self.window()
        available_ms = sum(
            e.cores * _overlap(e.added_ms, e.removed_ms or end, start, end) for e in self.executors.values()
        )
        task_ms = sum(finish - launch for launch, finish in self.tasks)
        return {
            "application_id": self.application_id,
            "wall_seconds": round((end - start) / 1000, 3),
            "executors": len(self.executors),
            "hosts": len({e.host for e in self.executors.values()}),
            "cores": _peak_cores(self.executors.values()),
            "core_seconds_available": round(available_ms / 1000, 3),
            "task_seconds": round(task_ms / 1000, 3),
            "utilization": round(task_ms / available_ms, 4) if available_ms else None,
            "gc_seconds": round(self.gc_ms / 1000, 3),
            "input_bytes": self.input_bytes,
            "shuffle_bytes": self.shuffle_bytes,
            "spill_bytes": self.spill_bytes,
            "settings": dict(sorted(self.settings.items())),
            "stages": [_stage_profile(s) for _, s in sorted(self.stages.items()) if s.task_ms],
            "timeline": _timeline(self.tasks, self.executors.values(), start, end),
        }

    def spark_jobs(self) -> list[dict]:
        """One entry per Spark job, in start order: ``job``, ``what``, ``start_s`` (from the
        application's start), ``seconds``, ``tasks`` and ``stages`` ([{stage, name, seconds, tasks}])."""
        origin, _ = self.window()
        found = []
        for job in sorted(self.jobs.values(), key=lambda j: j["start_ms"]):
            ran = [self.stages[s] for s in job["stage_ids"] if s in self.stages and self.stages[s].completed]
            stages: list[dict[str, Any]] = [
                {"stage": s.stage, "name": s.name, "seconds": s.seconds(), "tasks": s.planned_tasks} for s in ran
            ]
            found.append(
                {
                    "job": job["job"],
                    "what": _call_site(job["properties"], stages[0]["name"] if stages else ""),
                    "start_s": (job["start_ms"] - origin) / 1000,
                    "seconds": (job.get("end_ms", job["start_ms"]) - job["start_ms"]) / 1000,
                    "tasks": sum(s["tasks"] for s in stages),
                    "stages": stages,
                }
            )
        return found


def read(lines: Iterable[str | bytes]) -> EventLog:
    """Fold an application's event log (its lines, in order, from one or several files)."""
    log = EventLog()
    for event in events(lines):
        log.feed(event)
    if log.start_ms is None and not log.jobs:
        raise UnreadableEventLog("no Spark application in the event log (no start event, no job)")
    return log


def _call_site(properties: dict, stage_name: str) -> str:
    """What started a job: its description if one was set, else the call site Spark records
    (``collect at articles.py:573``), else its first stage's name."""
    return properties.get("spark.job.description") or properties.get("callSite.short") or stage_name


def _overlap(begin: int, finish: int, start: int, end: int) -> int:
    return max(0, min(finish, end) - max(begin, start))


def _peak_cores(executors: Iterable[_Executor]) -> int:
    """The most cores alive at once (a removal before an addition at the same instant)."""
    changes = sorted(
        [(e.added_ms, 1, e.cores) for e in executors]
        + [(e.removed_ms, 0, -e.cores) for e in executors if e.removed_ms is not None]
    )
    alive = peak = 0
    for _, _, delta in changes:
        alive += delta
        peak = max(peak, alive)
    return peak


def _stage_profile(stage: _Stage) -> dict:
    return {
        "stage": stage.stage,
        "name": stage.name,
        "seconds": round(stage.seconds(), 3),
        "tasks": len(stage.task_ms),
        "task_seconds": round(sum(stage.task_ms) / 1000, 3),
        "max_task_seconds": round(max(stage.task_ms) / 1000, 3),
        "median_task_seconds": round(statistics.median(stage.task_ms) / 1000, 3),
        "input_bytes": stage.input_bytes,
        "shuffle_read_bytes": stage.shuffle_read_bytes,
        "spill_bytes": stage.spill_bytes,
    }


def _timeline(tasks: list[tuple[int, int]], executors: Iterable[_Executor], start: int, end: int) -> dict:
    """Busy cores (tasks running) and cores alive, averaged over TIMELINE_POINTS equal steps."""
    step = (end - start) / TIMELINE_POINTS
    if step <= 0:
        return {"step_seconds": 0.0, "busy_cores": [], "cores": []}
    busy = _spread(((launch, finish, 1) for launch, finish in tasks), start, step)
    alive = _spread(((e.added_ms, e.removed_ms or end, e.cores) for e in executors), start, step)
    return {
        "step_seconds": round(step / 1000, 3),
        "busy_cores": [round(v, 3) for v in busy],
        "cores": [round(v, 3) for v in alive],
    }


def _spread(spans: Iterable[tuple[int, int, int]], start: int, step: float) -> list[float]:
    """Each (begin, end, weight) span's weight, averaged over the steps it covers."""
    points = [0.0] * TIMELINE_POINTS
    for begin, finish, weight in spans:
        first = max(0, int((begin - start) // step))
        last = min(TIMELINE_POINTS, math.ceil((finish - start) / step))
        for point in range(first, last):
            low = start + point * step
            points[point] += weight * max(0.0, min(finish, low + step) - max(begin, low)) / step
    return points


# Each handler folds one kind of event into the log.


def _application_start(log: EventLog, event: dict) -> None:
    log.application_id = event.get("App ID")
    log.start_ms = event["Timestamp"]


def _application_end(log: EventLog, event: dict) -> None:
    log.end_ms = event["Timestamp"]


def _environment(log: EventLog, event: dict) -> None:
    properties = event.get("Spark Properties") or {}
    pairs = properties.items() if isinstance(properties, dict) else properties  # a list of pairs before 3.4
    log.settings.update({key: value for key, value in pairs if key in SETTINGS})


def _sql_execution_start(log: EventLog, event: dict) -> None:
    log.settings.update({k: v for k, v in (event.get("modifiedConfigs") or {}).items() if k in SETTINGS})


def _executor_added(log: EventLog, event: dict) -> None:
    info = event["Executor Info"]
    log.executors[event["Executor ID"]] = _Executor(
        info.get("Host", ""), info.get("Total Cores", 0), event["Timestamp"]
    )
    log._seen(event["Timestamp"])


def _executor_removed(log: EventLog, event: dict) -> None:
    if event["Executor ID"] in log.executors:
        log.executors[event["Executor ID"]].removed_ms = event["Timestamp"]
    log._seen(event["Timestamp"])


def _job_start(log: EventLog, event: dict) -> None:
    log.jobs[event["Job ID"]] = {
        "job": event["Job ID"],
        "start_ms": event["Submission Time"],
        "stage_ids": event["Stage IDs"],
        "properties": event.get("Properties") or {},
    }
    log._seen(event["Submission Time"])


def _job_end(log: EventLog, event: dict) -> None:
    if event["Job ID"] in log.jobs:
        log.jobs[event["Job ID"]]["end_ms"] = event["Completion Time"]
    log._seen(event["Completion Time"])


def _stage_completed(log: EventLog, event: dict) -> None:
    info = event["Stage Info"]
    stage = log.stage(info["Stage ID"])
    stage.name, stage.planned_tasks, stage.completed = info["Stage Name"], info["Number of Tasks"], True
    submitted, completed = info.get("Submission Time"), info.get("Completion Time")
    if submitted is not None:  # a retried stage: from its first attempt's start to its last's end
        stage.submitted_ms = min(submitted, stage.submitted_ms or submitted)
    if completed is not None:
        stage.completed_ms = max(completed, stage.completed_ms or completed)
    log._seen(completed)


def _task_end(log: EventLog, event: dict) -> None:
    info, metrics = event["Task Info"], event.get("Task Metrics") or {}
    launch, finish = info["Launch Time"], info["Finish Time"]
    stage = log.stage(event["Stage ID"])
    stage.task_ms.append(finish - launch)
    log.tasks.append((launch, finish))
    spilled = metrics.get("Memory Bytes Spilled", 0) + metrics.get("Disk Bytes Spilled", 0)
    read = (metrics.get("Input Metrics") or {}).get("Bytes Read", 0)
    shuffle_read = metrics.get("Shuffle Read Metrics") or {}
    stage.input_bytes += read
    stage.shuffle_read_bytes += shuffle_read.get("Remote Bytes Read", 0) + shuffle_read.get("Local Bytes Read", 0)
    stage.spill_bytes += spilled
    log.gc_ms += metrics.get("JVM GC Time", 0)
    log.input_bytes += read
    log.shuffle_bytes += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
    log.spill_bytes += spilled
    log._seen(finish)


_HANDLERS: dict[str, Callable[[EventLog, dict], None]] = {
    "SparkListenerApplicationStart": _application_start,
    "SparkListenerApplicationEnd": _application_end,
    "SparkListenerEnvironmentUpdate": _environment,
    f"{SQL_EVENT}SparkListenerSQLExecutionStart": _sql_execution_start,
    "SparkListenerExecutorAdded": _executor_added,
    "SparkListenerExecutorRemoved": _executor_removed,
    "SparkListenerJobStart": _job_start,
    "SparkListenerJobEnd": _job_end,
    "SparkListenerStageCompleted": _stage_completed,
    "SparkListenerTaskEnd": _task_end,
}
