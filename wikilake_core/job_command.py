"""The job's command line, built in one place for every runner: the job's own arguments and the
``spark-submit`` argv around them.

The EMR step and the EMR Serverless job run (wikilake_core.submit), the local runner
(wikilake.local.runner, which hands the arguments to the job in-process) and the bench
(bench.engines, ``spark-submit --master local[2]``) all build here, so the flags the jobs parse
(spark_jobs/arguments.py) are spelled, and ordered, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from wikilake_core import datasets
from wikilake_core.errors import WikilakeError

SPARK_SUBMIT = "spark-submit"
# The job's option naming its run (spark_jobs/arguments.py): the pipeline passes its execution
# name, so a run's step on the interactive cluster is found by its arguments.
RUN_ID_OPTION = "--run-id"


def job_arguments(
    dataset: str,
    dt: str,
    *,
    inputs: Sequence[str],
    output_root: str,
    run_id: str | None = None,
    job_options: Sequence[str] = (),
) -> list[str]:
    """The job's own arguments: the day, its input files (paths, folders or globs), the lake root,
    the run's id (None: the job makes one) and the dataset's own options (``--country``)."""
    datasets.get(dataset)
    if not inputs:
        raise WikilakeError("no --input given")
    run = [RUN_ID_OPTION, run_id] if run_id else []
    return ["--date", dt, "--input", *inputs, "--output-root", output_root, *run, *job_options]


def spark_submit_argv(
    entry_point: str,
    arguments: Sequence[str],
    *,
    launcher: str = SPARK_SUBMIT,
    options: Sequence[str] = (),
    properties: Iterable[tuple[str, str]] = (),
    py_files: str | None = None,
) -> list[str]:
    """``launcher`` with its ``options`` (``--deploy-mode cluster``, ``--master local[2]``), the job
    package, one ``--conf`` per Spark property, then the entry point and its ``arguments``."""
    confs = [part for key, value in properties for part in ("--conf", f"{key}={value}")]
    package = ["--py-files", py_files] if py_files else []
    return [launcher, *options, *package, *confs, entry_point, *arguments]
