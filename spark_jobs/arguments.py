"""The command line every job shares: --date, --input, --output-root, plus the dataset's own
options from the registry."""

from __future__ import annotations

import argparse

from wikilake_core import datasets
from wikilake_core.dates import parse_date
from wikilake_core.day_runs import check_run_id
from wikilake_core.errors import JobError, WikilakeError


class _Parser(argparse.ArgumentParser):
    """argparse that raises JobError instead of exiting, so in-process callers get one clean line."""

    def error(self, message: str):
        raise JobError(f"{self.prog}: {message}")


def _date(text: str) -> str:
    try:
        return parse_date(text)
    except WikilakeError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _run_id(text: str) -> str:
    try:
        return check_run_id(text)
    except WikilakeError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parse_job_args(dataset: str, argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog=f"spark_jobs/{dataset}.py", description=f"The {dataset} job: raw dumps of one day -> Parquet tables."
    )
    parser.add_argument("--date", required=True, type=_date, help="the batch's logical date dt, YYYY-MM-DD")
    parser.add_argument(
        "--input",
        required=True,
        nargs="+",
        metavar="PATH|GLOB",
        help="input files, folders or globs (local paths or s3://...)",
    )
    parser.add_argument("--output-root", required=True, metavar="ROOT", help="lake root: s3://bucket or a local folder")
    parser.add_argument(
        "--run-id",
        type=_run_id,
        default=None,
        help="the run-scoped folder this run writes under each day (run=<id>; default: a new id); "
        "the pipeline passes its execution name",
    )
    for option in datasets.get(dataset).job_options:
        parser.add_argument(
            option.flag, dest=option.dest, default=option.default, help=f"{option.help} (default: {option.default})"
        )
    return parser.parse_args(argv)
