"""How spark-submit runs a job: exit codes, and a failure described in one line."""
from __future__ import annotations

import json
import re
import sys

from spark_jobs.session import build_session
from wikilake_core.errors import JobError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

_READ_ERROR = re.compile(r"Encountered error while reading file (\S+?)\.? Details")


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def describe_failure(error: BaseException) -> str:
    """One line for a failed run: the unreadable file and the root cause when Spark names them."""
    java = getattr(error, "java_exception", None)
    if java is None:
        return f"{type(error).__name__}: {_first_line(str(error))}".rstrip(": ")
    messages = []
    while java is not None:
        messages.append((java.getClass().getName(), _first_line(java.getMessage())))
        java = java.getCause()
    root_class, root_message = messages[-1]
    root = f"{root_class.rsplit('.', 1)[-1]}: {root_message}".rstrip(": ")
    for _, message in messages:
        if match := _READ_ERROR.search(message):
            return f"cannot read {match.group(1)}: {root}"
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
    summary = {k: manifest[k] for k in ("dataset", "dt", "input_records", "valid_records",
                                        "rejected_records", "rows_written", "duration_seconds")}
    print(json.dumps(summary))
    return EXIT_OK
