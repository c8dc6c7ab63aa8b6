"""A local run's own Spark event log and profile, cut out of its session's event log.

A local session may run many jobs (the demo, the tests, a notebook), and Spark writes one event
log per session (spark_jobs/session.py turns it on). So a run tags its Spark jobs (a job tag,
carried by each job and SQL execution it starts), and once it is over, its events are copied to
the lake's ``logs/spark-events/<dataset>/dt=<dt>/run=<run_id>/<application id>``: the session's
header (Spark version, settings, executors), the tagged jobs with their stages, tasks and SQL
executions, framed by an application start and end at the run's own start and end, so the file
reads as one application (the profile's wall, the History Server of ``wikilake ui --local``).

Spark hands events to the log's writer asynchronously: a tiny "flush" job run after the run's
last one is written after all of the run's events, so once its end is in the file, they are too.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from wikilake_core import event_logs, layout, spark_profile

if TYPE_CHECKING:  # pyspark is imported only where a run starts a session
    from pyspark.sql import SparkSession

TAG_PREFIX = "wikilake-run-"
FLUSH_TAG_PREFIX = "wikilake-flush-"
FLUSH_TIMEOUT_SECONDS = 60
JOB_START_LINE = b'{"Event":"SparkListenerJobStart"'  # how Spark writes a job's start (compact JSON)
# Events about the application rather than one job: every run's copy keeps them.
HEADER_EVENTS = {
    "SparkListenerLogStart",
    "SparkListenerResourceProfileAdded",
    "SparkListenerEnvironmentUpdate",
    "SparkListenerExecutorAdded",
    "SparkListenerExecutorRemoved",
    "SparkListenerBlockManagerAdded",
    "SparkListenerBlockManagerRemoved",
}
STAGE_EVENTS = {
    "SparkListenerStageSubmitted",
    "SparkListenerStageCompleted",
    "SparkListenerTaskStart",
    "SparkListenerTaskGettingResult",
    "SparkListenerTaskEnd",
    "SparkListenerStageExecutorMetrics",
}


@dataclass
class Recording:
    """One run's tagged stretch of its session: the tag, the session's log file, the run's times."""

    session: SparkSession
    run_id: str
    source: Path | None  # None: the session writes no event log (one built elsewhere)
    started_ms: int
    offset: int = 0  # the log's size when the run started: its events come after
    ended_ms: int = 0

    @property
    def tag(self) -> str:
        return TAG_PREFIX + self.run_id

    @property
    def log(self) -> Path:
        """The session's log file, for a recording that has one (``source`` set)."""
        if self.source is None:
            raise ValueError(f"run {self.run_id}: its session writes no event log")
        return self.source


def _now_ms() -> int:
    return int(time.time() * 1000)


def session_log(session) -> Path | None:
    """The file the session's event log is being written to, None if it writes none."""
    conf = session.sparkContext.getConf()
    if conf.get(event_logs.ENABLED, "false") != "true" or not conf.get(event_logs.DIRECTORY):
        return None
    folder = urlparse(conf.get(event_logs.DIRECTORY))
    if folder.scheme not in ("", "file"):
        return None
    return Path(folder.path) / f"{session.sparkContext.applicationId}.inprogress"


@contextlib.contextmanager
def recording(session, run_id: str) -> Iterator[Recording]:
    """Tag the Spark jobs the block starts with the run's id (the block runs the job)."""
    source = session_log(session)
    offset = source.stat().st_size if source is not None and source.exists() else 0
    found = Recording(session, run_id, source, _now_ms(), offset)
    context = session.sparkContext
    context.addJobTag(found.tag)
    try:
        yield found
    finally:
        context.removeJobTag(found.tag)
        found.ended_ms = _now_ms()


def with_profile(found: Recording, lake: str, manifest: dict) -> dict:
    """The run's manifest with its ``profile``, its events saved under the lake's logs/; the
    manifest unchanged when the session writes no event log (or its events never arrive)."""
    if found.source is None or not _flush(found):
        return manifest
    run_events = cut(_read_events(found), found.tag, found.started_ms, found.ended_ms)
    folder = Path(layout.event_log_dir(lake, manifest["dataset"], manifest["dt"], found.run_id))
    folder.mkdir(parents=True, exist_ok=True)
    name = next(e["App ID"] for e in run_events if e["Event"] == "SparkListenerApplicationStart")
    (folder / name).write_text("".join(map(_spark_json, run_events)), encoding="utf-8")
    return {**manifest, "profile": spark_profile.read(map(json.dumps, run_events)).profile()}


def _spark_json(event: dict) -> str:
    """One event as Spark writes it: compact JSON on a line. The History Server lists a log by
    the exact start of its lines (``{"Event":"SparkListenerApplicationStart"``, FsHistoryProvider)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"


def _flush(found: Recording) -> bool:
    """Run the flush job and wait until its end is in the session's log (False at the timeout)."""
    context, tag = found.session.sparkContext, FLUSH_TAG_PREFIX + found.run_id
    context.addJobTag(tag)
    try:
        found.session.range(1).collect()
    finally:
        context.removeJobTag(tag)
    deadline = time.monotonic() + FLUSH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _flushed(found, tag):
            return True
        time.sleep(0.1)
    return False


def _session_lines(path: Path, offset: int) -> Iterator[bytes]:
    """The session log's header (its lines before its first job) and its lines from ``offset``
    on, so a long session's log is not read whole for each run; a line cut at ``offset`` was
    written before the run and is skipped."""
    with path.open("rb") as log:
        position = 0
        for line in log:
            if position >= offset or line.startswith(JOB_START_LINE):
                break
            position += len(line)
            yield line
        log.seek(max(offset - 1, 0))
        if offset and log.read(1) != b"\n":
            log.readline()
        yield from log


def _read_events(found: Recording) -> list[dict]:
    return list(spark_profile.events(_session_lines(found.log, found.offset)))


def _flushed(found: Recording, tag: str) -> bool:
    """Whether the job tagged ``tag`` has ended in the log (only job events are decoded)."""
    jobs = set()
    lines = (line for line in _session_lines(found.log, found.offset) if b'"SparkListenerJob' in line[:40])
    for event in spark_profile.events(lines):
        if event["Event"] == "SparkListenerJobStart" and tag in _tags(event):
            jobs.add(event["Job ID"])
        elif event["Event"] == "SparkListenerJobEnd" and event["Job ID"] in jobs:
            return True
    return False


def _tags(job_start: dict) -> list[str]:
    return (job_start.get("Properties") or {}).get("spark.job.tags", "").split(",")


def cut(events: Iterable[dict], tag: str, started_ms: int, ended_ms: int) -> list[dict]:
    """The events of the run whose jobs carry ``tag``, as one application from ``started_ms`` to
    ``ended_ms`` (see the module's docstring)."""
    run = _RunEvents(tag)
    kept = []
    for event in events:
        if event["Event"] == "SparkListenerApplicationStart":
            kept.append({**event, "Timestamp": started_ms})
        elif event["Event"] in HEADER_EVENTS or run.owns(event):
            kept.append(event)
    return [*kept, {"Event": "SparkListenerApplicationEnd", "Timestamp": ended_ms}]


@dataclass
class _RunEvents:
    """The run's jobs, stages and SQL executions, learnt from its tagged starts as the log is read."""

    tag: str
    jobs: set[int] = field(default_factory=set)
    stages: set[int] = field(default_factory=set)
    executions: set[int] = field(default_factory=set)

    def owns(self, event: dict) -> bool:
        kind = event["Event"]
        if kind == "SparkListenerJobStart" and self.tag in _tags(event):
            self.jobs.add(event["Job ID"])
            self.stages.update(event["Stage IDs"])
            return True
        if kind == "SparkListenerJobEnd":
            return event["Job ID"] in self.jobs
        if kind in STAGE_EVENTS:
            return _stage_id(event) in self.stages
        return kind.startswith(spark_profile.SQL_EVENT) and self._owns_sql(event)

    def _owns_sql(self, event: dict) -> bool:
        """An SQL execution's event is the run's when the execution's start carried the tag."""
        execution = event.get("executionId")
        if execution is None:
            return False
        if event["Event"].endswith("SparkListenerSQLExecutionStart") and self.tag in (event.get("jobTags") or ()):
            self.executions.add(int(execution))
        return int(execution) in self.executions


def _stage_id(event: dict) -> int | None:
    return event["Stage Info"]["Stage ID"] if "Stage Info" in event else event.get("Stage ID")
