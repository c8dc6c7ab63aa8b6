"""`wikilake runs`: the pipeline's executions with their rows, rejects and cost."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_aws_options, elapsed, positive_int
from wikilake_core.datasets import DATASETS

DESCRIPTION = """\
List the pipeline's executions, newest first: dataset, dt, state, version (live: the run readers
see for its day; superseded: a later run of the day replaced it; failed: never published, the
day kept its previous run; writing: still running), start (UTC), duration, rows written (all
tables), rejected records, and the run's cost: its compute hours with their unit (NIH: the
normalized instance hours of its EMR cluster; vCPU-h: the billed vCPU hours of its EMR
Serverless job run) and an estimate in USD at the on-demand prices of the date shown
(prices_as_of). The table shows the hours and unit in one column; csv and json give the number
(compute_hours) and its unit (compute_unit) apart. A run that succeeded carries all of it in
its run record (the execution's output, also in the dt's manifest); for a run that failed, was
stopped or is still running, the instance hours are read from its cluster (tagged with the
execution; a job run on EMR Serverless shows none) and there is no USD estimate.

With --quality, a last column lists each run's failing data-quality checks: the `warn` checks
of a run that succeeded, the `fail` checks of a run that ended QualityFailed (docs/quality.md).

Exit status: 0 (also when there are no runs), 1 with one line on error.
"""

EPILOG = """\
examples:
  wikilake runs
  wikilake runs --dataset pageviews --last 50
  wikilake runs --format csv > runs.csv
  wikilake runs --quality --dataset pageviews              # which days failed which checks
  wikilake runs --format json | jq '[.[] | .usd] | add'     # what the listed runs cost
  wikilake runs --format json | jq '[.[] | select(.compute_unit == "vCPU-h") | .compute_hours] | add'
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
    "compute_hours",
    "compute_unit",
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
    parser.add_argument(
        "--quality", action="store_true", help="add each run's failing data-quality checks (a last column)"
    )
    add_aws_options(parser)
    parser.set_defaults(func=_runs)


def _runs(args) -> int:
    import sys

    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake.output import render
    from wikilake.query_result import QueryResult

    with aws_errors():
        aws = AwsContext.from_args(args)
        sfn = aws.client("stepfunctions")
        found, hours, versions = _gather(aws, sfn, args)
    rows = _rows(found, hours, versions)
    columns: tuple[str, ...] = COLUMNS
    if args.quality:
        from wikilake.aws.run_quality import failing_checks

        with aws_errors():
            rows = [row + (failing_checks(sfn, run),) for row, run in zip(rows, found)]
        columns += ("failing_checks",)
    result = QueryResult(columns, tuple(rows))
    render(_with_units(result) if args.format == "table" else result, args.format, sys.stdout)
    return 0


def _gather(aws, sfn, args) -> tuple[list, dict, dict]:
    """The runs asked for, the cluster hours of those without a run record (by execution ARN), and
    each run's version of its day (live, superseded, ...)."""
    from wikilake.aws import day_versions, pipeline
    from wikilake_core.contract import Outputs

    found = list(
        pipeline.list_runs(sfn, aws.outputs.require(Outputs.STATE_MACHINE_ARN), dataset=args.dataset, last=args.last)
    )
    unrecorded = {run.arn for run in found if not run.record}
    hours = (
        pipeline.cluster_hours(aws.client("emr"), unrecorded, min(run.start for run in found if run.arn in unrecorded))
        if unrecorded
        else {}
    )
    versions = day_versions.versions(aws.client("s3"), aws.outputs.require(Outputs.BUCKET), found)
    return found, hours, versions


def _rows(found: list, hours: dict, versions: dict) -> list[tuple]:
    """One row of COLUMNS per run; a run still going is timed up to now."""
    from datetime import datetime, timezone

    from wikilake_core.prices import NIH, compute_hours

    now = datetime.now(timezone.utc)
    rows = []
    for run in found:
        record, cost = run.record, run.record.get("cost") or {}
        written = record.get("rows_written")
        compute = compute_hours(cost)
        if compute is None and run.arn in hours:
            compute = (hours[run.arn], NIH)
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
                *((compute[0], compute[1].short) if compute else (None, None)),
                round(cost["usd"], 2) if cost.get("usd") is not None else None,
                cost.get("prices_as_of"),
            )
        )
    return rows


def _with_units(result):
    """For people: compute_hours and compute_unit in one column (``24.00 NIH``, ``3.20 vCPU-h``),
    so the runs of both runtimes compare in one place."""
    from wikilake.query_result import QueryResult

    at = result.columns.index("compute_hours")
    columns = (*result.columns[:at], "compute_hours", *result.columns[at + 2 :])
    rows = tuple(
        (*row[:at], None if row[at] is None else f"{row[at]:,.2f} {row[at + 1]}", *row[at + 2 :]) for row in result.rows
    )
    return QueryResult(columns, rows)
