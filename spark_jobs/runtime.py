"""How spark-submit runs a job: exit codes, and a failure described in one line."""

from __future__ import annotations

import json
import sys

from py4j.protocol import Py4JError

from spark_jobs.session import build_session
from wikilake_core.errors import JobError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


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


class UnreadableInput(Exception):
    """A run failed reading ``path``, found by reading each input again (Spark did not name it)."""

    def __init__(self, path: str, failure: BaseException):
        super().__init__(path)
        self.path, self.failure = path, failure


def _java_chain(error: BaseException) -> list:
    chain, java = [], getattr(error, "java_exception", None)
    while java is not None:
        chain.append(java)
        java = java.getCause()
    return chain


def naming_the_unreadable_input(spark, failure: BaseException, inputs) -> BaseException:
    """``failure``, or an UnreadableInput naming the input that caused it.

    Spark 3.5 names a file only when its first record fails: a download cut short, or a bzip2
    file whose first block is broken, fails with the codec's IOException alone. When the root
    cause is such an I/O error and Spark named no file, each input is read again on its own (one
    more read, paid only by a failed run) and the first that cannot be read whole is named."""
    chain = _java_chain(failure)
    if not chain or any(_unreadable_file(java) for java in chain):
        return failure
    if not chain[-1].getClass().getName().startswith("java.io."):
        return failure
    for file in inputs:
        try:
            spark.read.text(file.path).count()
        except Exception:  # any failure to read it whole names this file
            return UnreadableInput(file.path, failure)
    return failure


def describe_failure(error: BaseException) -> str:
    """One line for a failed run: the unreadable file and the root cause when Spark names them."""
    if isinstance(error, UnreadableInput):
        return f"cannot read {error.path}: {describe_failure(error.failure)}"
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


def job_main(job, argv: list[str] | None) -> int:
    """Parse, run, print the manifest's counts; one line on stderr and a non-zero status on error."""
    try:
        args = job.parse_args(argv)
    except JobError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    spark = build_session(f"wikilake {job.dataset} dt={args.date}")
    try:
        manifest = job.run(spark, args)
    except JobError as err:
        print(f"error: {job.dataset} dt={args.date}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:  # Spark/Java failures: unreadable input, lost executors, ...
        print(f"error: {job.dataset} dt={args.date} failed: {describe_failure(err)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        spark.stop()
    summary = {
        k: manifest[k]
        for k in (
            "dataset",
            "dt",
            "input_records",
            "valid_records",
            "rejected_records",
            "rows_written",
            "duration_seconds",
        )
    }
    print(json.dumps(summary))
    return EXIT_OK
