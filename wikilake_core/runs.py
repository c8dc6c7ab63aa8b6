"""A pipeline run of (dataset, dt): the state machine's input, its execution names, and the run
record its last state returns (and writes into the manifest). Shared by the stack, the pipeline's
functions and the CLI (`wikilake run`, `backfill`, `runs`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from wikilake_core import datasets
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError

# Step Functions execution names: at most 80 characters of [A-Za-z0-9_-].
_NAME = re.compile(
    r"^(?P<dataset>[a-z][a-z0-9_]*)-(?P<dt>\d{4}-\d{2}-\d{2})-(?P<stamp>\d{8}T\d{6}Z)"
    r"(?:-(?P<suffix>[A-Za-z0-9_-]+))?$"
)


# The input's optional cluster: run the job as a step on the stack's interactive cluster instead
# of a cluster made for the run (EMR on EC2 with interactive_cluster=true only; the plan function
# checks the id names that cluster). EMR cluster ids are "j-" and letters and digits.
CLUSTER_ID = "cluster_id"
_CLUSTER_ID = re.compile(r"^j-[A-Za-z0-9]{1,253}$")


def execution_input(
    dataset: str,
    dt: str,
    *,
    job_options: tuple[str, ...] = (),
    allow_missing_hours: bool = False,
    cluster_id: str | None = None,
) -> dict:
    """The state machine's input for one run; ``allow_missing_hours``: pageviews may lack hours;
    ``cluster_id``: the interactive cluster to run the job on (absent: a cluster of its own)."""
    run = {
        "dataset": datasets.get(dataset).name,
        "dt": parse_date(dt),
        "job_options": list(job_options),
        "allow_missing_hours": allow_missing_hours,
    }
    if cluster_id is not None:
        run[CLUSTER_ID] = check_cluster_id(cluster_id)
    return run


def check_cluster_id(cluster_id: object) -> str:
    if not isinstance(cluster_id, str) or not _CLUSTER_ID.match(cluster_id):
        raise WikilakeError(f"bad cluster_id {cluster_id!r}: an EMR cluster id, j-<letters and digits>")
    return cluster_id


# A run input whose dt is empty (or absent) processes the previous UTC day of the execution's
# start: what a schedule sends, since EventBridge Scheduler cannot compute dates. (Empty rather
# than null: CloudFormation templates drop nulls.)
PREVIOUS_DAY = ""


def scheduled_dt(started: datetime | str) -> str:
    """The dt a scheduled execution processes: the previous UTC day of its start (a datetime, or
    the ISO-8601 text ``$$.Execution.StartTime`` gives, e.g. ``2026-11-30T04:30:02.1Z``)."""
    if isinstance(started, str):
        started = start_time(started)
    return (started.astimezone(timezone.utc).date() - timedelta(days=1)).isoformat()


def start_time(text: str) -> datetime:
    """``$$.Execution.StartTime`` (ISO 8601 with a Z) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def scheduled_input(dataset: str) -> dict:
    """What a schedule starts: execution_input's shape with ``dt`` = PREVIOUS_DAY."""
    return {"dataset": datasets.get(dataset).name, "dt": PREVIOUS_DAY, "job_options": [], "allow_missing_hours": False}


def execution_name(dataset: str, dt: str, now: datetime | None = None, suffix: str = "") -> str:
    """``pageviews-2024-03-15-20261130T141500Z``: sortable, and `wikilake runs` reads (dataset, dt)
    back from it without fetching every execution's input."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    name = f"{dataset}-{dt}-{stamp}" + (f"-{suffix}" if suffix else "")
    if not _NAME.match(name) or len(name) > 80:
        raise WikilakeError(f"bad execution name {name!r}")
    return name


def parse_execution_name(name: str) -> tuple[str, str] | None:
    """(dataset, dt) of an execution this app started, None for any other name."""
    match = _NAME.match(name)
    return (match["dataset"], match["dt"]) if match else None
