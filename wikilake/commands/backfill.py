"""`wikilake backfill`: one pipeline execution per dt of a date range, a bounded number at once."""

from __future__ import annotations

import argparse
import time
from collections import deque
from dataclasses import dataclass

from wikilake.commands.common import add_aws_options, elapsed, positive_int, shell_words
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Run the dataset's pipeline for every date from --from to --to (both included): one execution
of the state machine per dt, at most --max-concurrency at once (each runs its own cluster, so
this bounds the EC2 capacity in use). A dt that is built (its day's manifest,
manifests/<dataset>/dt=<date>/manifest.json, records a run that was verified and published) is
skipped, unless --force; a day whose last run failed or was never verified is run again. A dt
with an execution of the dataset already running is skipped; should one start meanwhile (the
schedule), the pipeline itself refuses the second run of a day (its writer lease).

A live table shows each dt's state and duration (plain lines when the output is not a
terminal); a summary line ends the backfill. Ctrl-C stops the executions the backfill started
(the pipeline then terminates their clusters) and starts no more.

Exit status: 0 when every started execution SUCCEEDED (or all dts were skipped); 1 when any
FAILED, TIMED_OUT or was ABORTED, with one line naming them; 130 on Ctrl-C.
"""

EPILOG = """\
examples:
  wikilake backfill pageviews --from 2024-03-01 --to 2024-03-31
  wikilake backfill pageviews --from 2024-03-01 --to 2024-03-07 --max-concurrency 4 --force
  wikilake backfill edits --from 2015-09-01 --to 2015-09-12 --job-args='--country France'
"""

BUILT = "skipped (built)"
QUEUED = "queued"
DEFAULT_POLL_SECONDS = 10.0
# Each execution runs its own cluster: `wikilake preflight` checks the vCPUs this many need.
DEFAULT_MAX_CONCURRENCY = 2


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backfill",
        help="run the pipeline for each date of a range, a few at once",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD", help="first date of the range")
    parser.add_argument(
        "--to", dest="last", required=True, metavar="YYYY-MM-DD", help="last date of the range (included)"
    )
    parser.add_argument(
        "--max-concurrency",
        type=positive_int,
        default=DEFAULT_MAX_CONCURRENCY,
        metavar="N",
        help=f"executions running at once (default {DEFAULT_MAX_CONCURRENCY})",
    )
    parser.add_argument("--force", action="store_true", help="also rerun the dates that are built")
    parser.add_argument(
        "--job-args", default="", metavar="'ARGS'", help="extra job options for every run, shell-quoted"
    )
    parser.add_argument(
        "--allow-missing-hours",
        action="store_true",
        help="pageviews: run even if some hourly dumps of a date are missing",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=DEFAULT_POLL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between status checks (default {DEFAULT_POLL_SECONDS:g})",
    )
    add_aws_options(parser)
    parser.set_defaults(func=_backfill)


@dataclass
class Row:
    """One dt of the backfill: its state (QUEUED, skipped, or the execution's status)."""

    dt: str
    state: str = QUEUED
    arn: str | None = None
    started: float | None = None  # time.monotonic() when started
    seconds: float | None = None  # the execution's duration, once it has finished
    reason: str = ""

    def duration(self) -> str:
        if self.seconds is not None:
            return elapsed(self.seconds)
        return elapsed(time.monotonic() - self.started) if self.started is not None else ""


class _Table:
    """The live table; rendered by rich on every refresh, so running durations tick."""

    def __init__(self, title: str, rows: list[Row]):
        self.title, self.rows = title, rows

    def __rich__(self):
        from rich.table import Table

        table = Table(title=self.title, title_justify="left")
        for column in ("dt", "state", "duration"):
            table.add_column(column)
        for row in self.rows:
            table.add_row(row.dt, row.state, row.duration())
        return table


def _backfill(args) -> int:
    from wikilake.aws import pipeline
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs
    from wikilake_core.dates import date_range, parse_date

    dts = date_range(parse_date(args.first), parse_date(args.last))
    job_options = shell_words(args.job_args, "--job-args")
    with aws_errors():
        aws = AwsContext.from_args(args)
        state_machine = aws.outputs.require(Outputs.STATE_MACHINE_ARN)
        sfn = aws.client("stepfunctions")
        rows = [Row(dt) for dt in dts]
        running = pipeline.running_dts(sfn, state_machine, args.dataset)
        built = (
            set()
            if args.force
            else pipeline.built_dts(aws.client("s3"), aws.outputs.require(Outputs.BUCKET), args.dataset, dts)
        )
        for row in rows:
            if row.dt in running:
                row.state = f"skipped (running: {running[row.dt]})"
            elif row.dt in built:
                row.state = BUILT

        def start(dt: str) -> str:
            return pipeline.start(
                sfn,
                state_machine,
                args.dataset,
                dt,
                job_options=job_options,
                allow_missing_hours=args.allow_missing_hours,
            )

        began = time.monotonic()
        _run_rows(sfn, rows, start, args.max_concurrency, args.poll, f"backfill {args.dataset} {dts[0]}..{dts[-1]}")
    return _summarize(args.dataset, rows, time.monotonic() - began)


def _run_rows(sfn, rows: list[Row], start, max_concurrency: int, poll: float, title: str) -> None:
    """Start the queued rows' executions, at most ``max_concurrency`` running at once, and poll
    them until all have finished. On Ctrl-C, stop the running ones and re-raise."""
    from rich.console import Console
    from rich.live import Live

    console = Console(stderr=True)
    live = Live(_Table(title, rows), console=console, refresh_per_second=2) if console.is_terminal else None

    def changed(row: Row) -> None:
        # Not a terminal: one plain line per change instead of a redrawn table.
        if live is None:
            console.print(
                " ".join(filter(None, (row.dt, row.state, row.duration(), row.reason))), highlight=False, soft_wrap=True
            )

    for row in rows:
        if row.state != QUEUED:
            changed(row)
    queue = deque(row for row in rows if row.state == QUEUED)
    active: dict[str, Row] = {}
    if live:
        live.start()
    try:
        _schedule(sfn, queue, active, start, max_concurrency, poll, changed)
    except KeyboardInterrupt:
        _stop_all(sfn, active, changed)
        raise
    except Exception:
        # An AWS error (say, StartExecution throttled) ends the backfill, not what it started.
        if active:
            console.print(
                f"{len(active)} started execution(s) go on: "
                + ", ".join(row.dt for row in active.values())
                + " (`wikilake runs` shows them)",
                highlight=False,
                soft_wrap=True,
            )
        raise
    finally:
        if live:
            live.stop()


def _schedule(sfn, queue: deque, active: dict, start, max_concurrency: int, poll: float, changed) -> None:
    from wikilake.aws import pipeline

    while queue or active:
        while queue and len(active) < max_concurrency:
            row = queue.popleft()
            row.arn, row.state, row.started = start(row.dt), pipeline.RUNNING, time.monotonic()
            active[row.arn] = row
            changed(row)
        pipeline.wait(poll)
        for arn, row in list(active.items()):
            execution = pipeline.describe(sfn, arn)
            if execution["status"] in pipeline.FINISHED:
                row.state, row.reason = execution["status"], pipeline.failure(execution)
                row.seconds = (execution["stopDate"] - execution["startDate"]).total_seconds()
                del active[arn]
                changed(row)


def _stop_all(sfn, active: dict, changed) -> None:
    """Stop every execution still running (their clusters go with them); report each."""
    import botocore.exceptions

    from wikilake.aws import pipeline
    from wikilake_core.aws_errors import describe_client_error

    for arn, row in active.items():
        try:
            pipeline.stop(sfn, arn, "Ctrl-C in wikilake backfill")
            row.state = "stopped"
        except botocore.exceptions.ClientError as err:  # e.g. it finished meanwhile
            row.state, row.reason = "not stopped", describe_client_error(err)
        changed(row)


def _summarize(dataset: str, rows: list[Row], seconds: float) -> int:
    from wikilake.aws import pipeline

    counts: dict[str, int] = {}
    for row in rows:
        kind = "skipped (running)" if row.state.startswith("skipped (running") else row.state
        counts[kind] = counts.get(kind, 0) + 1
    # Successes first, then the other outcomes, then what was skipped.
    order = sorted(counts, key=lambda kind: (kind.startswith("skipped"), kind != pipeline.SUCCEEDED, kind))
    print(
        f"backfill {dataset} {rows[0].dt}..{rows[-1].dt}: {len(rows)} dts, "
        + ", ".join(f"{counts[kind]} {kind}" for kind in order)
        + f" in {elapsed(seconds)}"
    )
    failed = [row for row in rows if row.arn and row.state != pipeline.SUCCEEDED]
    if failed:
        first = next((row for row in failed if row.reason), None)
        raise WikilakeError(
            f"{len(failed)} of {sum(1 for row in rows if row.arn)} executions did not succeed: "
            + ", ".join(f"{row.dt} {row.state}" for row in failed)
            + (f"; {first.dt}: {first.reason}" if first else "")
        )
    return 0
