"""Where a Spark run's seconds went, from its event log: each Spark job (an action: a count, a
collect, a table's write) with its stages, in order, and the gaps between them (the driver's own
work: planning, listing, the manifest).

The event log is Spark's own record (``spark.eventLog.enabled``), read by the project's one event
log parser (wikilake_core/spark_profile.py).
"""

from __future__ import annotations

from pathlib import Path

from wikilake_core import spark_profile


def spark_jobs(event_log: Path) -> list[dict]:
    """One entry per Spark job, in start order: ``job``, ``what``, ``start_s`` (from the
    application's start), ``seconds``, ``tasks`` and ``stages`` ([{stage, name, seconds, tasks}])."""
    with event_log.open(encoding="utf-8") as lines:
        return spark_profile.read(lines).spark_jobs()


def read_event_logs(directory: Path) -> list[dict]:
    """The Spark jobs of the one application logged in ``directory`` ([] when there is none)."""
    logs = sorted(p for p in directory.glob("*") if p.is_file() and not p.name.endswith(".inprogress"))
    return spark_jobs(logs[-1]) if logs else []


def summary(jobs: list[dict]) -> dict:
    """Seconds inside Spark jobs, and how many jobs: the rest of a run is start-up and driver work."""
    return {"spark_jobs": len(jobs), "seconds_in_spark_jobs": round(sum(j["seconds"] for j in jobs), 3)}
