"""Which version of its day each pipeline run is, for `wikilake runs`: the day's manifest names
the live run (wikilake_core.day_runs); a successful run it does not name was superseded by a
later one; a run that failed, timed out or was stopped was never published, except one that
ended QualityFailed: published before its checks failed the execution (docs/quality.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import botocore.exceptions

from wikilake_core import day_runs, layout

LIVE, SUPERSEDED, UNPUBLISHED, WRITING = "live", "superseded", "failed", "writing"
NOT_PUBLISHED = frozenset({"FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"})


def _live_run(s3, bucket: str, dataset: str, dt: str) -> str | None:
    key = layout.manifest_path("", dataset, dt).lstrip("/")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    try:
        return day_runs.live_run_id(json.loads(body))
    except (ValueError, AttributeError):
        return None


def versions(s3, bucket: str, runs: Iterable) -> dict[str, str]:
    """{execution ARN: live | superseded | failed | writing}; runs recorded before run folders
    existed (no run id in their record) are left out. One read per day with a finished run."""
    live: dict[tuple[str, str], str | None] = {}

    def live_run(run) -> str | None:
        day = (run.dataset, run.dt)
        if day not in live:
            live[day] = _live_run(s3, bucket, *day)
        return live[day]

    found = {}
    for run in runs:
        if run.status == "RUNNING":
            found[run.arn] = WRITING
        elif run.status in NOT_PUBLISHED:
            # the run id is the execution's name (a failed run has no record to carry it)
            found[run.arn] = LIVE if live_run(run) == run.arn.rsplit(":", 1)[-1] else UNPUBLISHED
        elif run.record.get(day_runs.RUN_ID):
            found[run.arn] = LIVE if live_run(run) == run.record[day_runs.RUN_ID] else SUPERSEDED
    return found
