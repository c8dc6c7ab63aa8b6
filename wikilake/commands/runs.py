"""`wikilake runs`: the pipeline's executions with their rows, rejects and cost."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_aws_options, elapsed, positive_int
from wikilake_core.datasets import DATASETS

DESCRIPTION = """\
List the pipeline's executions, newest first: dataset, dt, state, version (live: the run readers
see for its day; superseded: a later run of the day replaced it; failed: never published, the
day kept its previous run; writing: still running), start (UTC), duration, rows written (all
tables), rejected records, and the run's cost: the normalized instance hours of
its cluster and an estimate in USD at the on-demand prices of the date shown (prices_as_of).
A run that succeeded carries all of it in its run record (the execution's output, also in the
dt's manifest); for a run that failed, was stopped or is still running, the instance hours
are read from its cluster (tagged with the execution) and there is no USD estimate.

Exit status: 0 (also when there are no runs), 1 with one line on error.
"""

EPILOG = """\
examples:
  wikilake runs
  wikilake runs --dataset pageviews --last 50
  wikilake runs --format csv > runs.csv
  wikilake runs --format json | jq '[.[] | .usd] | add'     # what the listed runs cost
"""

COLUMNS = (
    "dataset",
    "dt",
    "state",
    "version",
    "start",
    "duration",
    "rows_written",
    "rejected_records",
    "instance_hours",
    "usd",
    "prices_as_of",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="the pipeline's runs: state, duration, rows, rejects and cost",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dataset", choices=DATASETS, help="only this dataset's runs")
    parser.add_argument(
        "--last", type=positive_int, default=20, metavar="N", help="the N most recent runs (default 20)"
    )
    # wikilake.output's FORMATS, spelled out: importing it (and rich) would slow every `wikilake` start.
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="table for people, csv or json for scripts (default table)",
    )
    add_aws_options(parser)
    parser.set_defaults(func=_runs)


def _runs(args) -> int:
    import sys
    from datetime import datetime, timezone

    from wikilake.aws import day_versions, pipeline
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake.output import render
    from wikilake.query_result import QueryResult
    from wikilake_core.contract import Outputs

    with aws_errors():
        aws = AwsContext.from_args(args)
        sfn = aws.client("stepfunctions")
        found = list(
            pipeline.list_runs(
                sfn, aws.outputs.require(Outputs.STATE_MACHINE_ARN), dataset=args.dataset, last=args.last
            )
        )
        unrecorded = {run.arn for run in found if not run.record}
        hours = (
            pipeline.cluster_hours(
                aws.client("emr"), unrecorded, min(run.start for run in found if run.arn in unrecorded)
            )
            if unrecorded
            else {}
        )
        versions = day_versions.versions(aws.client("s3"), aws.outputs.require(Outputs.BUCKET), found)
    now = datetime.now(timezone.utc)
    rows = []
    for run in found:
        record, cost = run.record, run.record.get("cost") or {}
        written = record.get("rows_written")
        rows.append(
            (
                run.dataset,
                run.dt,
                run.status,
                versions.get(run.arn),
                run.start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                elapsed(((run.stop or now) - run.start).total_seconds()),
                sum(written.values()) if written else None,
                record.get("rejected_records"),
                cost.get("normalized_instance_hours", hours.get(run.arn)),
                round(cost["usd"], 2) if cost.get("usd") is not None else None,
                cost.get("prices_as_of"),
            )
        )
    render(QueryResult(COLUMNS, tuple(rows)), args.format, sys.stdout)
    return 0
