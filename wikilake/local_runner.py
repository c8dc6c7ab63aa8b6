"""Runs a dataset's PySpark job in-process on a local Spark session against a lake folder.

The same ``spark_jobs/<dataset>.py`` module that EMR runs, called through its ``run(spark, args)``.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from wikilake.errors import WikilakeError
from wikilake.jvm_stderr import without_incubator_notice
from wikilake.steps import check_dataset, parse_date

LOG_CONFIG = Path(__file__).with_name("spark_log4j2.properties")
DEFAULT_LAKE = "lake"


def driver_memory() -> str:
    """WIKILAKE_DRIVER_MEMORY, else a quarter of this machine's memory, 2-8 GB: local mode runs
    every task in the driver, and a full pageviews day (26M lines) needs more than Spark's 1 GB."""
    if configured := os.environ.get("WIKILAKE_DRIVER_MEMORY"):
        return configured
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(8, max(2, total // 4 // 2**30))}g"


def build_session(master: str = "local[*]", shuffle_partitions: int | None = None,
                  app_name: str = "wikilake-local"):
    """A quiet local SparkSession: no UI, no console progress bars, no logs (failures surface as
    exceptions, which the runner turns into one line).

    Shuffle partitions default to twice the cores (adaptive execution merges small ones), not
    Spark's 200, which only make sense on a cluster.
    """
    from pyspark.sql import SparkSession

    # Python workers (if any are needed) must be this interpreter, with pyspark and the jobs.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    cores = os.cpu_count() or 2
    builder = (
        SparkSession.builder.master(master).appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 2 * cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory())
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{LOG_CONFIG}")
        .config("spark.sql.session.timeZone", "UTC")
    )
    with without_incubator_notice():  # the JVM starts here, on Spark 4 with that notice
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("WIKILAKE_SPARK_LOG_LEVEL", "FATAL"))
    return session


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

    Returns the manifest. Bad input (nothing matches, pageviews of another date, bad arguments)
    raises WikilakeError with a one-line message; nothing is written in that case.
    ``spark``: a session to reuse (tests, the demo); else the active one, else one is built for
    this run and stopped after it.
    """
    from spark_jobs.errors import JobError
    from spark_jobs.runtime import describe_failure

    check_dataset(dataset)
    parse_date(date)
    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if not inputs:
        raise WikilakeError("no --input given")
    job = importlib.import_module(f"spark_jobs.{dataset}")
    argv = ["--date", date, "--input", *map(_absolute, map(str, inputs)),
            "--output-root", _absolute(str(lake)), *job_options]
    try:
        args = job.parse_args(argv)
    except JobError as err:
        raise WikilakeError(str(err)) from None
    from pyspark.sql import SparkSession

    # Reuse the caller's or an already running session (and leave it running); else own one.
    session = spark or SparkSession.getActiveSession()
    owned = session is None
    session = session or build_session()
    try:
        return job.run(session, args, progress or (lambda step: None))
    except JobError as err:
        raise WikilakeError(f"{dataset} dt={date}: {err}") from None
    except Exception as err:  # a Spark/Java failure, e.g. an unreadable (corrupt) input file
        if type(err).__module__.startswith(("pyspark", "py4j")):
            raise WikilakeError(f"{dataset} dt={date} failed: {describe_failure(err)}") from err
        raise
    finally:
        if owned:
            session.stop()
