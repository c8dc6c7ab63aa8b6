"""What `wikilake local run` does after the job, as the pipeline's record function does on AWS:
completes the run's manifest (status, runtime local, no cluster, cost null), checks the run against
the lake's published days of the dataset (their day manifests), publishes the run
(wikilake.local.days: the day's manifest, with the results) and then writes the day's ``quality``
rows. A failing
``fail`` check raises QualityFailed after publishing: the data stays, and is the day's."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from wikilake.local import days as local_days
from wikilake_core import datasets, layout, quality, run_history
from wikilake_core.quality import QualityFailed


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def lake_history(lake: Path, dataset: str, dt: str, needed: int) -> list[Mapping]:
    """The dataset's published day manifests under ``lake`` that the run of ``dt`` is compared with."""
    paths = {}
    for path in (lake / layout.MANIFESTS / dataset).glob(f"{layout.PARTITION_KEY}=*/{layout.MANIFEST_NAME}"):
        found = run_history.manifest_dt(path.as_posix())
        if found:
            paths[found] = path
    return run_history.read_history(paths, dt, needed, lambda day: _load(paths[day]))


def record_local(lake: str | Path, manifest: dict) -> dict:
    """The day's manifest once the run is published; QualityFailed (with it) if a ``fail`` check
    failed. Call it holding the day's lock (wikilake.local.day_lock)."""
    lake = Path(lake)
    checks = datasets.get(manifest["dataset"]).checks
    fields = run_history.run_fields(
        status=run_history.SUCCEEDED,
        runtime=run_history.LOCAL_RUNTIME,
        compute_id=None,
        cost=None,
        profile=manifest.get("profile"),  # the runner's, from the run's event log (wikilake/local/spark_events.py)
    )
    history = lake_history(lake, manifest["dataset"], manifest["dt"], quality.history_needed(checks))
    recorded, results = run_history.check_run({**manifest, **fields}, history, checks)
    day = local_days.publish(lake, recorded)  # published even so: a check must not hide data
    # Only now: the rows describe the day's published run, never one a failed publish left out.
    local_days.write_quality_rows(lake, recorded)
    if quality.outcome(results) == quality.FAIL:
        raise QualityFailed(run_history.failure_message(day), manifest=day)
    return day
