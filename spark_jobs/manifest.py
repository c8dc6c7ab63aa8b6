"""The manifest of a run: what it read, kept, rejected and wrote. Written last, after all tables,
into the run's own folder (run-manifests/<dataset>/dt=<dt>/run=<run_id>/), so its presence says the
run is whole; publishing the run copies it to the day's manifest (wikilake_core.day_runs).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timezone

from pyspark.sql import SparkSession

from spark_jobs import storage
from spark_jobs.code_version import job_code_version
from spark_jobs.storage import InputFile
from wikilake_core import layout, run_history


class RunClock:
    """Wall-clock start/end of a run, as UTC ISO-8601 strings and elapsed seconds."""

    def __init__(self) -> None:
        self.started_at = datetime.now(timezone.utc)
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self._start


def build_manifest(
    *,
    dataset: str,
    dt: str,
    run_id: str,
    job_args: dict,
    input_files: Sequence[InputFile],
    counts_by_reason: dict[str | None, int],
    rows_written: dict[str, int],
    output_root: str,
    spark: SparkSession,
    clock: RunClock,
    details: dict,
) -> dict:
    """``counts_by_reason``: records per rejection reason, valid records under None."""
    valid = counts_by_reason.get(None, 0)
    rejected_by_reason = {r: n for r, n in sorted(counts_by_reason.items(), key=lambda kv: -kv[1]) if r is not None}
    rejected = sum(rejected_by_reason.values())
    seconds = clock.elapsed()
    return {
        "dataset": dataset,
        "dt": dt,
        "input_files": [{"path": f.path, "bytes": f.size} for f in input_files],
        "input_bytes": sum(f.size for f in input_files),
        "input_records": valid + rejected,
        "valid_records": valid,
        "rejected_records": rejected,
        "rejected_by_reason": rejected_by_reason,
        "rows_written": rows_written,
        "run_id": run_id,
        "outputs": {table: layout.table_run_dir(output_root, table, dt, run_id) for table in rows_written},
        "rejected_path": layout.rejected_run_dir(output_root, dataset, dt, run_id),
        **details,
        "job_args": job_args,
        "spark_version": spark.version,
        "job_code_version": job_code_version(),
        "started_at": clock.started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(seconds, 3),
        "records_per_second": round((valid + rejected) / seconds) if seconds else None,
    }


def write_manifest(spark: SparkSession, output_root: str, manifest: dict) -> str:
    path = layout.run_manifest_path(output_root, manifest["dataset"], manifest["dt"], manifest["run_id"])
    # one line, as the day's manifest (its copy once published) that the runs table reads
    storage.write_text(spark, path, run_history.encode(manifest))
    return path


def finish_run(spark: SparkSession, output_root: str, **fields) -> dict:
    """Build the manifest (see build_manifest), write it as the run's last output, return it."""
    manifest = build_manifest(spark=spark, output_root=output_root, **fields)
    write_manifest(spark, output_root, manifest)
    return manifest
