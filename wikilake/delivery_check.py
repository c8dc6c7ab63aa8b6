"""The delivery pipeline's integration check (docs/delivery.md): after the dev stage deploys,
CodeBuild runs

    python3 -m wikilake.delivery_check pageviews --date 2024-03-15 --allow-missing-hours --timeout 90

which starts one execution of the dev state machine, follows it until it ends or its deadline
passes, and passes only if it SUCCEEDED and its run record (the execution's output, the same
record the manifest keeps) says SUCCEEDED with rows written to every table of the dataset.

The state machine comes from WIKILAKE_STATE_MACHINE_ARN (the dev stage's output, handed over by
CDK Pipelines) or --state-machine-arn; its role may only start and read those executions, so
nothing else is called. Exit status: 0 passed; 1 failed, with one line saying why (the
execution's error and cause, the tables without rows, or the deadline); 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from wikilake.aws import pipeline
from wikilake_core import datasets
from wikilake_core.contract import DELIVERY_STATE_MACHINE_ARN_ENV as STATE_MACHINE_ARN_ENV
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError

PASSED, FAILED, USAGE = 0, 1, 2


def record_problem(record: dict, dataset: str, dt: str) -> str | None:
    """What is wrong with a successful execution's run record, or None when it proves the run."""
    if not record:
        return "the execution returned no run record"
    if record.get("status") != pipeline.SUCCEEDED:
        return f"the run record says {record.get('status')!r}, not {pipeline.SUCCEEDED}"
    if (record.get("dataset"), record.get("dt")) != (dataset, dt):
        return f"the run record is of {record.get('dataset')} dt={record.get('dt')}, not {dataset} dt={dt}"
    written = record.get("rows_written") or {}
    empty = [table for table in datasets.get(dataset).tables if not written.get(table)]
    if empty:
        return f"no rows written to {', '.join(empty)}"
    return None


def check(
    sfn,
    state_machine_arn: str,
    dataset: str,
    dt: str,
    *,
    allow_missing_hours: bool,
    timeout_minutes: float,
    poll_seconds: float,
) -> str:
    """Run the check; returns the success line, raises WikilakeError with the failure line."""
    arn = pipeline.start(sfn, state_machine_arn, dataset, dt, allow_missing_hours=allow_missing_hours)
    name = arn.rsplit(":", 1)[-1]
    print(f"started execution {name} of {dataset} dt={dt}", flush=True)
    shown: list[str] = []

    def show(execution: dict, state: str | None) -> None:
        if state and state not in shown[-1:]:
            shown.append(state)
            print(f"execution {name}: {execution['status']} in {state}", flush=True)

    started = time.monotonic()
    try:
        final = pipeline.follow(
            sfn, arn, poll_seconds=poll_seconds, timeout_seconds=timeout_minutes * 60, on_update=show
        )
    except WikilakeError:
        raise WikilakeError(
            f"execution {name} still running past the {timeout_minutes:g}-minute deadline "
            f"(last state: {shown[-1] if shown else 'none'}); it goes on, its state machine's own timeout ends it"
        ) from None
    took = f"{(time.monotonic() - started) / 60:.1f} min"
    if final["status"] != pipeline.SUCCEEDED:
        reason = pipeline.failure(final)
        raise WikilakeError(f"execution {name} {final['status']} after {took}{f': {reason}' if reason else ''}")
    record = pipeline.run_record(final)
    problem = record_problem(record, dataset, dt)
    if problem:
        raise WikilakeError(f"execution {name} SUCCEEDED but {problem}")
    rows = ", ".join(f"{table} {record['rows_written'][table]:,}" for table in datasets.get(dataset).tables)
    return f"execution {name} SUCCEEDED in {took}: rows written: {rows}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m wikilake.delivery_check",
        description="Start one execution of the dev pipeline and pass only if it SUCCEEDED with rows in every table.",
    )
    parser.add_argument("dataset", choices=datasets.DATASETS)
    parser.add_argument("--date", required=True, help="the dt to run, YYYY-MM-DD")
    parser.add_argument("--allow-missing-hours", action="store_true", help="pageviews: accept missing hourly dumps")
    parser.add_argument("--timeout", type=float, default=90.0, metavar="MINUTES", help="the deadline (default 90)")
    parser.add_argument("--poll", type=float, default=30.0, metavar="SECONDS", help="between checks (default 30)")
    parser.add_argument(
        "--state-machine-arn",
        default=os.environ.get(STATE_MACHINE_ARN_ENV),
        help=f"the dev state machine (default: ${STATE_MACHINE_ARN_ENV})",
    )
    parser.add_argument("--region", default=None, help="AWS region (default: the environment's)")
    parser.add_argument("--endpoint-url", default=None, help="a Step Functions endpoint to use instead of AWS's")
    args = parser.parse_args(argv)
    if not args.state_machine_arn:
        parser.error(f"no state machine: set {STATE_MACHINE_ARN_ENV} or pass --state-machine-arn")
    if args.timeout <= 0 or args.poll < 0:
        parser.error("--timeout must be > 0 and --poll >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    import boto3

    from wikilake.aws.session import CLIENT_CONFIG, aws_errors

    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return USAGE if exit_.code else PASSED
    try:
        dt = parse_date(args.date)
        with aws_errors():
            sfn = boto3.client(
                "stepfunctions", region_name=args.region, endpoint_url=args.endpoint_url, config=CLIENT_CONFIG
            )
            line = check(
                sfn,
                args.state_machine_arn,
                args.dataset,
                dt,
                allow_missing_hours=args.allow_missing_hours,
                timeout_minutes=args.timeout,
                poll_seconds=args.poll,
            )
    except WikilakeError as err:
        print(f"delivery check failed: {' '.join(str(err).split())}", file=sys.stderr, flush=True)
        return FAILED
    print(f"delivery check passed: {line}", flush=True)
    return PASSED


if __name__ == "__main__":
    sys.exit(main())
