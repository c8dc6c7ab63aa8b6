"""`wikilake run`: run a dataset's pipeline for one date (a Step Functions execution), or submit
its Spark job to the interactive EMR cluster; either way follow it to the end."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_aws_options, shell_words
from wikilake.commands.run_interactive import run_interactive
from wikilake.commands.run_pipeline import PIPELINE_POLL_SECONDS, run_pipeline
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Run the dataset's pipeline for one date: start an execution of the deployed state machine
(ingest -> Spark job on a cluster that exists only for this run -> verify the manifest ->
record), then follow it with a live status line (its state and the step it is in) until it
ends. On success it prints the run record: rows written per table, rejected records and the
cost (the cluster's normalized instance hours, or on EMR Serverless the job run's billed vCPU
hours, and an estimate in USD). A rerun replaces exactly that date's partitions.

--cluster interactive instead submits one EMR step that runs the job on the long-lived
interactive cluster (deployed with -c interactive_cluster=true): spark-submit reading
raw/<dataset>/dt=<date>/ and writing processed/<table>/dt=<date>/. The step is built by the
same function the ProcessingStack uses. On failure it prints EMR's failure reason and the
tail of the step's stderr from the cluster's S3 log location (EMR copies logs there a few
minutes after the step ends; the command waits for it).

Exit status: 0 when the execution SUCCEEDED (the step COMPLETED); 1 when it FAILED,
TIMED_OUT or was ABORTED (the step FAILED, was CANCELLED or INTERRUPTED) or --timeout passed,
with one line saying why; 130 on Ctrl-C. Ctrl-C stops following, not the run: the execution
(or step) goes on, unless --stop-on-interrupt stops the execution (and so its cluster).
"""

EPILOG = """\
examples:
  wikilake run edits --date 2015-09-12
  wikilake run pageviews --date 2024-03-15 --allow-missing-hours
  wikilake run pageviews --date 2024-03-15 --no-wait           # prints the execution ARN only
  wikilake run edits --date 2015-09-12 --job-args='--country France'  # extra job options
  wikilake run edits --date 2015-09-12 --stop-on-interrupt
  wikilake run edits --date 2015-09-12 --cluster interactive --log-lines 100
"""

TRANSIENT, INTERACTIVE = "transient", "interactive"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a dataset's pipeline for one date (or its job on the interactive cluster), followed",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--date", required=True, help="the partition to (re)build, YYYY-MM-DD")
    parser.add_argument(
        "--cluster",
        choices=(TRANSIENT, INTERACTIVE),
        default=TRANSIENT,
        help="transient: a pipeline execution, on compute made for the run "
        "(default); interactive: a step on the interactive cluster",
    )
    parser.add_argument(
        "--job-args",
        default="",
        metavar="'ARGS'",
        help="extra job options, shell-quoted: --job-args='--country France'",
    )
    parser.add_argument(
        "--allow-missing-hours",
        action="store_true",
        help="pageviews: run even if some hourly dumps of the date are missing (pipeline only)",
    )
    _add_following_options(parser)
    add_aws_options(parser)
    parser.set_defaults(func=_run)


def _add_following_options(parser) -> None:
    """How the command follows the run it started, and what it shows when the run fails."""
    follow = parser.add_argument_group("following")
    follow.add_argument(
        "--wait", dest="wait", action="store_true", default=True, help="follow the run until it ends (default)"
    )
    follow.add_argument(
        "--no-wait", dest="wait", action="store_false", help="print the execution ARN (the step id) and return"
    )
    follow.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="MINUTES",
        help="stop following after this long (exit 1; the run goes on) (default 120)",
    )
    follow.add_argument(
        "--poll",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"seconds between status checks (default {PIPELINE_POLL_SECONDS:g}; "
        "interactive: the step_complete waiter's, 30)",
    )
    follow.add_argument(
        "--stop-on-interrupt",
        action="store_true",
        help="on Ctrl-C stop the execution too, which terminates its cluster (pipeline only)",
    )
    follow.add_argument(
        "--log-lines",
        type=int,
        default=40,
        metavar="N",
        help="interactive: lines of stderr to show when the step fails (default 40)",
    )
    follow.add_argument(
        "--log-wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="interactive: how long to wait for EMR to copy the failed step's log to S3 (default 300)",
    )


def _run(args) -> int:
    from wikilake_core.dates import parse_date

    dt = parse_date(args.date)
    job_options = shell_words(args.job_args, "--job-args")
    pipeline_only = [
        flag
        for flag, given in (
            ("--allow-missing-hours", args.allow_missing_hours),
            ("--stop-on-interrupt", args.stop_on_interrupt),
        )
        if given
    ]
    if args.cluster == INTERACTIVE:
        if pipeline_only:
            raise WikilakeError(
                f"{', '.join(pipeline_only)}: only for a pipeline execution, not with --cluster interactive"
            )
        return run_interactive(args, dt, job_options)
    return run_pipeline(args, dt, job_options)
