"""The command line every job shares: --date, --input, --output-root, plus per-dataset options."""
from __future__ import annotations

import argparse
from datetime import datetime
from typing import Callable

from spark_jobs import lake_layout
from spark_jobs.errors import JobError


class _Parser(argparse.ArgumentParser):
    """argparse that raises JobError instead of exiting, so in-process callers get one clean line."""

    def error(self, message: str):
        raise JobError(f"{self.prog}: {message}")


def _date(text: str) -> str:
    try:
        return datetime.strptime(text, lake_layout.DATE_FORMAT).strftime(lake_layout.DATE_FORMAT)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad date {text!r}: use YYYY-MM-DD") from None


def parse_job_args(
    dataset: str,
    argv: list[str] | None,
    add_options: Callable[[argparse.ArgumentParser], None] = lambda parser: None,
) -> argparse.Namespace:
    parser = _Parser(prog=f"spark_jobs/{dataset}.py",
                     description=f"The {dataset} job: raw dumps of one day -> Parquet tables.")
    parser.add_argument("--date", required=True, type=_date,
                        help="the batch's logical date dt, YYYY-MM-DD")
    parser.add_argument("--input", required=True, nargs="+", metavar="PATH|GLOB",
                        help="input files, folders or globs (local paths or s3://...)")
    parser.add_argument("--output-root", required=True, metavar="ROOT",
                        help="lake root: s3://bucket or a local folder")
    add_options(parser)
    return parser.parse_args(argv)
