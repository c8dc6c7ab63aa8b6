"""Runs a dataset's PySpark job in-process on a local Spark session against a lake folder.

The same ``spark_jobs/<dataset>.py`` job that EMR runs, called through its ``JOB.run(spark, args)``,
as the day's only writer (wikilake.local.day_lock) and published only once whole (wikilake.local.days).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

from wikilake.local import day_lock, spark_events
from wikilake.local import days as local_days
from wikilake.local.record import record_local
from wikilake_core import day_runs, job_command
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError

DEFAULT_LAKE = "lake"


def _absolute(path: str) -> str:
    """Local paths made absolute (a long-lived JVM resolves relative ones against its own cwd)."""
    return path if "://" in path else os.path.abspath(path)


def run_local(
    dataset: str,
    date: str,
    inputs: str | Sequence[str],
    lake: str = DEFAULT_LAKE,
    job_options: Sequence[str] = (),
    spark=None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run ``dataset``'s job for ``date`` on ``inputs`` (paths, folders or globs) into ``lake``.

    Takes the day's lock first (DayBusy, a WikilakeError, if another run writes the day), writes
    the run under its own folders, checks it against the lake's published days and publishes it
    when the job has finished (wikilake.local.record): readers see the previous day until then.
    Returns the day's manifest; QualityFailed (a WikilakeError) if a ``fail`` check failed: the
    run is published all the same, the data stays. Bad input (nothing matches, pageviews of
    another date, bad arguments) raises WikilakeError with a one-line message; nothing is
    published in that case.
    ``spark``: a session to reuse (tests, the demo); else the active one, else one is built for
    this run and stopped after it.
    """
    from wikilake_core.errors import JobError

    run_id = day_runs.new_run_id()
    argv = job_argv(dataset, date, inputs, lake, run_id, job_options)
    parse_date(date)
    job = importlib.import_module(f"spark_jobs.{dataset}").JOB
    try:
        args = job.parse_args(argv)
    except JobError as err:
        raise WikilakeError(str(err)) from None
    with day_lock.holding(_absolute(str(lake)), dataset, date, run_id):
        manifest = _run_job(job, args, dataset, date, spark, progress)
        return _publish(_absolute(str(lake)), manifest)


def job_argv(
    dataset: str, date: str, inputs: str | Sequence[str], lake: str, run_id: str, job_options: Sequence[str] = ()
) -> list[str]:
    """The job's arguments for a local run: the command line an EMR step passes
    (wikilake_core.job_command), with local paths made absolute."""
    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    return job_command.job_arguments(
        dataset,
        date,
        inputs=[_absolute(str(path)) for path in inputs],
        output_root=_absolute(str(lake)),
        run_id=run_id,
        job_options=job_options,
    )


def _publish(lake: str, manifest: dict) -> dict:
    """Check the finished run and make it live (also when a check fails: QualityFailed after);
    keep the run it replaced (a reader may still be reading its files), remove older and
    abandoned runs of the day."""
    previous = day_runs.live_run_id(local_days.read_day_manifest(lake, manifest["dataset"], manifest["dt"]))
    try:
        return record_local(lake, manifest)
    finally:
        keep = {manifest[day_runs.RUN_ID], previous} - {None}
        local_days.prune(lake, manifest["dataset"], manifest["dt"], keep=keep)


def _run_job(job, args, dataset: str, date: str, spark, progress) -> dict:
    from pyspark.sql import SparkSession

    from spark_jobs.runtime import UnreadableInput, describe_failure
    from spark_jobs.session import build_session
    from wikilake_core.errors import JobError

    # Reuse the caller's or an already running session (and leave it running); else own one.
    session = spark or SparkSession.getActiveSession()
    owned = session is None
    session = session or build_session("wikilake-local", master="local[*]")
    try:
        with spark_events.recording(session, args.run_id) as recorded:
            manifest = job.run(session, args, progress or (lambda step: None))
        manifest = spark_events.with_profile(recorded, args.output_root, manifest)
    except JobError as err:
        raise WikilakeError(f"{dataset} dt={date}: {err}") from None
    except Exception as err:  # a Spark/Java failure, e.g. an unreadable (corrupt) input file
        if isinstance(err, UnreadableInput) or type(err).__module__.startswith(("pyspark", "py4j")):
            raise WikilakeError(f"{dataset} dt={date} failed: {describe_failure(err)}") from err
        raise
    finally:
        if owned:
            session.stop()
    return manifest
