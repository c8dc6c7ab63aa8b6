"""What a timed run left in its output folder: the run the job just made, each table's rows (from
the Parquet footers), the job's manifest, and the telling line of a failed run's log."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from bench.inputs import CachedInput
from bench.measure import Measurement
from wikilake_core import datasets, layout
from wikilake_core.layout import manifest_path, table_partition_dir


def newest_run_id(output_root: Path, dataset: str, dt: str) -> str | None:
    """The run the benchmark just made: the job writes run-scoped folders and a run manifest
    (spark_jobs/job.py), nothing publishes them here; None for writers of the in-place layout
    (the DuckDB peer, jobs from before run folders)."""
    runs = Path(layout.run_manifest_dir(str(output_root), dataset, dt)).glob(
        f"{layout.RUN_KEY}=*/{layout.MANIFEST_NAME}"
    )
    newest = max(runs, key=lambda path: path.stat().st_mtime_ns, default=None)
    return newest.parent.name.split("=", 1)[1] if newest else None


def written_dir(output_root: Path, dataset: str, table: str, dt: str) -> Path:
    run_id = newest_run_id(output_root, dataset, dt)
    root = str(output_root)
    return Path(layout.table_run_dir(root, table, dt, run_id) if run_id else table_partition_dir(root, table, dt))


def table_rows(output_root: Path, dataset: str, dt: str) -> dict[str, int]:
    """Rows of each table's ``dt`` partition, from the Parquet footers."""
    rows = {}
    with duckdb.connect() as con:
        for table in datasets.get(dataset).tables:
            pattern = str(written_dir(output_root, dataset, table, dt) / "*.parquet")
            try:
                rows[table] = con.execute(
                    "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [pattern]
                ).fetchone()[0]
            except duckdb.IOException:  # no files: the table was not written
                rows[table] = 0
    return rows


def failure_reason(measured: Measurement) -> str:
    """The telling line of a failed run's log: an OutOfMemoryError, else the job's one-line
    error, else the last line (see the log file for the rest)."""
    lines = measured.log_tail(400).splitlines()
    for marker in ("OutOfMemoryError", "error:"):
        found = [line.strip() for line in lines if marker in line]
        if found:
            return f"{found[0][:200]} (log: {measured.log_path})"
    return f"{lines[-1][:200] if lines else 'no output'} (log: {measured.log_path})"


def in_job_seconds(manifest: dict) -> float | None:
    """The job's own duration (session up to manifest), from its manifest."""
    seconds = manifest.get("duration_seconds")
    return float(seconds) if isinstance(seconds, (int, float)) else None


def read_manifest(output_root: Path, data: CachedInput) -> dict:
    run_id = newest_run_id(output_root, data.dataset, data.dt)
    root = str(output_root)
    path = Path(
        layout.run_manifest_path(root, data.dataset, data.dt, run_id)
        if run_id
        else manifest_path(root, data.dataset, data.dt)
    )
    return json.loads(path.read_text()) if path.exists() else {}
