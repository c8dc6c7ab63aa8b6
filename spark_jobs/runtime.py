"""How a job runs: the session settings it needs and the spark-submit entry point (exit codes)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from py4j.protocol import Py4JError
from pyspark.sql import SparkSession

from spark_jobs import manifest, storage
from spark_jobs.errors import JobError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

# SQL settings the jobs' results depend on; set on whatever session runs them (EMR, local, tests).
JOB_SQL_SETTINGS = {
    # Event times are UTC; day boundaries and printed timestamps must not follow the host's zone.
    "spark.sql.session.timeZone": "UTC",
    # A field of the wrong JSON type nulls only that field (edits' per-field type checks rely on it).
    "spark.sql.json.enablePartialResults": "true",
    # INT96 is the timestamp encoding every Athena/Hive/Glue reader understands.
    "spark.sql.parquet.outputTimestampType": "INT96",
    # zstd: 40% smaller than snappy on pageviews_daily at the same write speed (bench), so Athena
    # scans (and bills) less; Athena, Glue, Spark and DuckDB all read it.
    "spark.sql.parquet.compression.codec": "zstd",
}


def apply_job_settings(spark: SparkSession) -> None:
    for key, value in JOB_SQL_SETTINGS.items():
        spark.conf.set(key, value)


def begin_run(spark: SparkSession, args: argparse.Namespace,
              progress: Callable[[str], None]) -> tuple[manifest.RunClock, list[storage.InputFile]]:
    """Start a run: its clock, the session settings, the input files (JobError if none)."""
    clock = manifest.RunClock()
    apply_job_settings(spark)
    progress("listing input")
    return clock, storage.resolve_inputs(spark, args.input)


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


# Spark wraps a reader's failure ("Encountered error while reading file <path>") in a SparkException
# whose error class and message differ by line (Spark 3.5: _LEGACY_ERROR_TEMP_2064 "... Details:",
# Spark 4: FAILED_READ_FILE.<reason> "...  SQLSTATE: KD001"), while both keep the file in the
# message parameter `path`: read from there, the file is found on both lines without parsing text.
_READ_FAILURE_CLASSES = ("_LEGACY_ERROR_TEMP_2064", "FAILED_READ_FILE")


def _unreadable_file(java) -> str | None:
    """The file a Spark read failure names, if ``java`` (one exception of the Java chain) is one."""
    try:  # getErrorClass exists on both lines (Spark 4 adds getCondition, the same value)
        error_class = java.getErrorClass()
    except Py4JError:  # not a SparkThrowable
        return None
    if (error_class or "").split(".")[0] not in _READ_FAILURE_CLASSES:
        return None
    return java.getMessageParameters().get("path")


def describe_failure(error: BaseException) -> str:
    """One line for a failed run: the unreadable file and the root cause when Spark names them."""
    java = getattr(error, "java_exception", None)
    if java is None:
        return f"{type(error).__name__}: {_first_line(str(error))}".rstrip(": ")
    chain = []
    while java is not None:
        chain.append(java)
        java = java.getCause()
    root = chain[-1]
    root = f"{root.getClass().getName().rsplit('.', 1)[-1]}: {_first_line(root.getMessage())}".rstrip(": ")
    for java in chain:
        if path := _unreadable_file(java):
            return f"cannot read {path}: {root}"
    return root


def job_main(
    dataset: str,
    run: Callable[[SparkSession, argparse.Namespace], dict],
    parse_args: Callable[[list[str] | None], argparse.Namespace],
    argv: list[str] | None,
) -> int:
    """Parse, run, print the manifest's counts; one line on stderr and a non-zero status on error."""
    try:
        args = parse_args(argv)
    except JobError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    spark = SparkSession.builder.appName(f"wikilake {dataset} dt={args.date}").getOrCreate()
    try:
        manifest = run(spark, args)
    except JobError as err:
        print(f"error: {dataset} dt={args.date}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:  # Spark/Java failures: unreadable input, lost executors, ...
        print(f"error: {dataset} dt={args.date} failed: {describe_failure(err)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        spark.stop()
    summary = {k: manifest[k] for k in ("dataset", "dt", "input_records", "valid_records",
                                        "rejected_records", "rows_written", "duration_seconds")}
    print(json.dumps(summary))
    return EXIT_OK
