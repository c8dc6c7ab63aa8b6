"""The days of a local lake: which run of a day is live, publishing a finished run, pruning the
runs nobody reads any more.

A run writes under its own folders (``.../dt=<dt>/run=<run_id>/``, spark_jobs/job.py); the day's
manifest names the live run. Publishing replaces that manifest in one os.replace (atomic on a
POSIX file system), so a reader sees either the previous whole day or the new whole day, never a
mix; a run killed before it is published leaves the day as it was. The local counterpart of the
record function's Glue repointing on AWS (docs/atomic-days.md).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from wikilake_core import datasets, day_runs, layout, run_history

LOCAL_RUNTIME = run_history.LOCAL_RUNTIME


def _hidden(name: str) -> bool:
    # Hive/Athena/Spark conventions: _SUCCESS, _temporary, .crc and other hidden files are no data.
    return name.startswith(("_", "."))


def read_day_manifest(lake: str | Path, dataset: str, dt: str) -> dict | None:
    """The day's manifest (the live run's), or None if the day was never published."""
    path = Path(layout.manifest_path(str(lake), dataset, dt))
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def live_files(lake: str | Path, table: str, day_dir: Path) -> list[Path]:
    """The Parquet files readers see for one day folder of ``table``: the live run's, or for a day
    of the older in-place layout (a manifest without a run id, or none) the files directly in it.
    A day with run folders but no published run has no files to read."""
    dt = day_dir.name.split("=", 1)[1]
    run_id = day_runs.live_run_id(read_day_manifest(lake, datasets.of_table(table).name, dt))
    folder = day_dir / layout.run_folder(run_id) if run_id else day_dir
    return sorted(path for path in folder.glob("*.parquet") if not _hidden(path.name))


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)  # atomic: readers open the old manifest or the new one
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def publish(lake: str | Path, manifest: dict) -> dict:
    """Make the finished run of ``manifest`` (its run manifest) the day's live run; returns the
    day's manifest. Call it holding the day's lock (wikilake.local.day_lock)."""
    day = {
        **manifest,
        day_runs.RUN_RECORD: {
            "dataset": manifest["dataset"],
            "dt": manifest["dt"],
            "status": day_runs.SUCCEEDED,
            "runtime": LOCAL_RUNTIME,
            day_runs.RUN_ID: manifest[day_runs.RUN_ID],
            "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    }
    path = Path(layout.manifest_path(str(lake), manifest["dataset"], manifest["dt"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, run_history.encode(day))  # one line: the runs view reads it
    return day


def write_quality_rows(lake: str | Path, recorded: dict) -> None:
    """The day's ``quality`` rows of a published run (replaced atomically, as the manifest is)."""
    path = Path(run_history.quality_path(str(lake), recorded["dataset"], recorded["dt"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, run_history.encode_rows(recorded["quality"]))


def run_folders(lake: str | Path, dataset: str, dt: str) -> list[Path]:
    """Every run folder of the day: its tables', rejected records', manifests' and Spark event logs'."""
    root = str(lake)
    days = [Path(layout.table_partition_dir(root, table, dt)) for table in datasets.get(dataset).tables]
    days += [Path(layout.rejected_dir(root, dataset, dt)), Path(layout.run_manifest_dir(root, dataset, dt))]
    days += [Path(layout.event_log_day_dir(root, dataset, dt))]
    prefix = f"{layout.RUN_KEY}="
    return sorted(folder for day in days if day.is_dir() for folder in day.iterdir() if folder.name.startswith(prefix))


def prune(lake: str | Path, dataset: str, dt: str, keep: set[str]) -> list[Path]:
    """Remove the day's run folders of every run not in ``keep`` (superseded runs, runs that failed
    or were killed); returns what was removed. Call it holding the day's lock."""
    keep_names = {layout.run_folder(run_id) for run_id in keep}
    removed = [folder for folder in run_folders(lake, dataset, dt) if folder.name not in keep_names]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed
