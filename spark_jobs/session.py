"""The one SparkSession recipe (spark-submit on EMR or locally, `wikilake local run`, the demo, the
tests) and the settings a job sets for its own run only."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from pyspark.sql import SparkSession

from spark_jobs.jvm_stderr import without_incubator_notice
from wikilake_core import event_logs

LOCAL_LOG_CONFIG = Path(__file__).with_name("log4j2-local.properties")


def local_driver_memory() -> str:
    """WIKILAKE_DRIVER_MEMORY, else a quarter of this machine's memory, 2-8 GB: local mode runs
    every task in the driver, and a full pageviews day (26M lines) needs more than Spark's 1 GB."""
    if configured := os.environ.get("WIKILAKE_DRIVER_MEMORY"):
        return configured
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(8, max(2, total // 4 // 2**30))}g"


def local_driver_java_options() -> str:
    """The local driver's JVM options: the quiet log configuration, then WIKILAKE_DRIVER_JAVA_OPTIONS
    if set (``-XX:TieredStopAtLevel=1`` starts small runs about a third sooner, as the test suite
    does, and runs big inputs slower: its JIT stops short of optimizing hot loops)."""
    return " ".join(
        filter(
            None,
            [f"-Dlog4j2.configurationFile=file:{LOCAL_LOG_CONFIG}", os.environ.get("WIKILAKE_DRIVER_JAVA_OPTIONS")],
        )
    )


@functools.cache
def session_event_log_dir() -> Path:
    """This process's folder of local sessions' event logs, removed when it exits: a local run
    keeps its own part of its session's log in the lake (wikilake/local/spark_events.py)."""
    folder = Path(tempfile.mkdtemp(prefix="wikilake-spark-events-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def local_settings(shuffle_partitions: int | None = None) -> dict[str, str]:
    """A quiet one-machine session: no UI, no console progress bars, no logs (failures surface as
    exceptions, turned into one line), shuffle partitions twice the cores (adaptive execution
    merges small ones; Spark's 200 only make sense on a cluster), and an event log (each run's
    profile is read from it)."""
    cores = os.cpu_count() or 2
    return {
        **event_logs.settings(session_event_log_dir().as_uri()),
        "spark.sql.shuffle.partitions": str(shuffle_partitions or 2 * cores),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": local_driver_memory(),
        "spark.driver.extraJavaOptions": local_driver_java_options(),
    }


def build_session(app_name: str, *, master: str | None = None, shuffle_partitions: int | None = None) -> SparkSession:
    """The session a job runs in. ``master`` None: spark-submit's (EMR, the benchmark), with the
    cluster's own settings; else a local session (``local[*]``, ``local[2]``) made quiet."""
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        # Python workers (if any are needed) must be this interpreter, with pyspark and the jobs.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = builder.master(master)
        for key, value in local_settings(shuffle_partitions).items():
            builder = builder.config(key, value)
    if master is None:
        return builder.getOrCreate()
    with without_incubator_notice():  # the local JVM starts here (Spark 4 prints that notice)
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("WIKILAKE_SPARK_LOG_LEVEL", "FATAL"))
    return session


@contextlib.contextmanager
def scoped_settings(spark: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """SQL settings in force for the block only: the previous values (or none) come back after it,
    so a job leaves nothing behind on a session it shares (tests, the demo, a notebook)."""
    previous: dict[str, str | None] = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, earlier in previous.items():
            if earlier is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, earlier)
