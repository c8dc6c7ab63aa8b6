"""Where a Spark run's seconds went, from its event log: each Spark job (an action: a count, a
collect, a table's write) with its stages, in order, and the gaps between them (the driver's own
work: planning, listing, the manifest).

The event log is Spark's own record (``spark.eventLog.enabled``), one JSON event a line; only
job and stage start/end events are read.
"""

from __future__ import annotations

import json
from pathlib import Path


def _call_site(properties: dict, stage_name: str) -> str:
    """What started the job: the job description if one was set, else the call site Spark records
    (``collect at articles.py:573``), else the first stage's name."""
    return properties.get("spark.job.description") or properties.get("callSite.short") or stage_name


def spark_jobs(event_log: Path) -> list[dict]:
    """One entry per Spark job, in start order: ``job``, ``what``, ``start_s`` (from the
    application's start), ``seconds``, ``tasks`` and ``stages`` ([{stage, name, seconds, tasks}])."""
    app_start, jobs, stages = None, {}, {}
    with event_log.open(encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerApplicationStart":
                app_start = event["Timestamp"]
            elif kind == "SparkListenerJobStart":
                jobs[event["Job ID"]] = {
                    "job": event["Job ID"],
                    "start_ms": event["Submission Time"],
                    "stage_ids": event["Stage IDs"],
                    "properties": event.get("Properties") or {},
                }
            elif kind == "SparkListenerJobEnd" and event["Job ID"] in jobs:
                jobs[event["Job ID"]]["end_ms"] = event["Completion Time"]
            elif kind == "SparkListenerStageCompleted":
                info = event["Stage Info"]
                stages[info["Stage ID"]] = {
                    "stage": info["Stage ID"],
                    "name": info["Stage Name"],
                    "seconds": (info.get("Completion Time", 0) - info.get("Submission Time", 0)) / 1000,
                    "tasks": info["Number of Tasks"],
                }
    origin = app_start if app_start is not None else min((j["start_ms"] for j in jobs.values()), default=0)
    found = []
    for job in sorted(jobs.values(), key=lambda j: j["start_ms"]):
        ran = [stages[s] for s in job["stage_ids"] if s in stages]  # skipped stages never complete
        found.append(
            {
                "job": job["job"],
                "what": _call_site(job["properties"], ran[0]["name"] if ran else ""),
                "start_s": (job["start_ms"] - origin) / 1000,
                "seconds": (job.get("end_ms", job["start_ms"]) - job["start_ms"]) / 1000,
                "tasks": sum(s["tasks"] for s in ran),
                "stages": ran,
            }
        )
    return found


def read_event_logs(directory: Path) -> list[dict]:
    """The Spark jobs of the one application logged in ``directory`` ([] when there is none)."""
    logs = sorted(p for p in directory.glob("*") if p.is_file() and not p.name.endswith(".inprogress"))
    return spark_jobs(logs[-1]) if logs else []


def summary(jobs: list[dict]) -> dict:
    """Seconds inside Spark jobs, and how many jobs: the rest of a run is start-up and driver work."""
    return {"spark_jobs": len(jobs), "seconds_in_spark_jobs": round(sum(j["seconds"] for j in jobs), 3)}
