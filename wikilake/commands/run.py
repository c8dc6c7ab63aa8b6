"""`wikilake run`: submit a dataset's Spark job for one date to the deployed EMR cluster and follow it."""
from __future__ import annotations

import argparse
import time

from wikilake.commands.common import add_aws_options, shell_words
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Submit one EMR step that runs the dataset's PySpark job for one date on the deployed cluster:
spark-submit of the job the StorageStack shipped, reading raw/<dataset>/dt=<date>/ and writing
processed/<table>/dt=<date>/ (a rerun replaces exactly that date). The step is built by the
same function the ProcessingStack uses, so both always agree.

By default it then follows the step with a live status line until it ends; on failure it
prints EMR's failure reason and the tail of the step's stderr from the cluster's S3 log
location (EMR copies logs there a few minutes after the step ends; the command waits for it).
The exit status mirrors the step: 0 COMPLETED, 1 FAILED/CANCELLED/INTERRUPTED or timeout.
Ctrl-C stops following, not the step.
"""

EPILOG = """\
examples:
  wikilake run edits --date 2015-09-12
  wikilake run pageviews --date 2024-03-15 --no-wait        # prints the step id only
  wikilake run edits --date 2015-09-12 --job-args='--country France'  # extra job options
  wikilake run pageviews --date 2024-03-15 --timeout 240 --log-lines 100
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="run a dataset's Spark job for one date on the EMR cluster and follow it",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--date", required=True, help="the partition to (re)build, YYYY-MM-DD")
    parser.add_argument("--job-args", default="", metavar="'ARGS'",
                        help="extra job options, shell-quoted: --job-args='--country France'")
    follow = parser.add_argument_group("following")
    follow.add_argument("--wait", dest="wait", action="store_true", default=True,
                        help="follow the step until it ends (default)")
    follow.add_argument("--no-wait", dest="wait", action="store_false",
                        help="print the step id and return")
    follow.add_argument("--timeout", type=float, default=120.0, metavar="MINUTES",
                        help="stop following after this long (exit 1; the step goes on) (default 120)")
    follow.add_argument("--poll", type=float, default=None, metavar="SECONDS",
                        help="seconds between status checks (default: the step_complete waiter's, 30)")
    follow.add_argument("--log-lines", type=int, default=40, metavar="N",
                        help="lines of stderr to show when the step fails (default 40)")
    follow.add_argument("--log-wait", type=float, default=300.0, metavar="SECONDS",
                        help="how long to wait for EMR to copy the failed step's log to S3 (default 300)")
    add_aws_options(parser)
    parser.set_defaults(func=_run)


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


class _StatusLine:
    """What the live status line shows; rendered by rich on every refresh, so the clock ticks."""

    def __init__(self, step_id: str, cluster_id: str):
        self.step_id, self.cluster_id = step_id, cluster_id
        self.state = "PENDING"
        self.started = time.monotonic()

    def update(self, step: dict) -> None:
        self.state = step["Status"]["State"]

    def __rich__(self) -> str:
        return (f"step {self.step_id} on {self.cluster_id}: [bold]{self.state}[/bold] "
                f"({_elapsed(time.monotonic() - self.started)})")


def _run(args) -> int:
    from rich.console import Console

    from wikilake.aws import emr
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs
    from wikilake_core.dates import parse_date

    dataset, dt = args.dataset, parse_date(args.date)
    job_options = shell_words(args.job_args, "--job-args")
    out, err = Console(), Console(stderr=True)
    with aws_errors():
        aws = AwsContext.from_args(args)
        step = emr.job_step(aws.outputs, dataset, dt, job_options)
        cluster_id = aws.outputs.require(Outputs.CLUSTER_ID)
        client = aws.client("emr")
        cluster = emr.describe_cluster(client, cluster_id)
        emr.require_active(cluster, f"it cannot run steps; {emr.RECREATE_HINT}")
        step_id = emr.submit_step(client, cluster_id, step)
        if not args.wait:
            print(step_id)
            return 0
        err.print(f"submitted step {step_id} ({step['Name']}) to cluster {cluster_id} "
                  f"({cluster['Status']['State']})", highlight=False, soft_wrap=True)
        line = _StatusLine(step_id, cluster_id)
        try:
            with err.status(line):
                final = emr.follow_step(client, cluster_id, step_id, timeout_seconds=args.timeout * 60,
                                        poll_seconds=args.poll, on_update=line.update)
        except KeyboardInterrupt:
            err.print(f"stopped following; step {step_id} goes on: `wikilake status` shows it")
            raise
        state = final["Status"]["State"]
        took = _elapsed(time.monotonic() - line.started)
        if state == "COMPLETED":
            out.print(f"step {step_id} COMPLETED in {took}: {dataset} dt={dt} is in "
                      f"s3://{aws.outputs.require(Outputs.BUCKET)}/processed/", highlight=False)
            return 0
        log_url = _show_log_tail(aws, err, cluster, step_id, final, args)
        reason = _failure_reason(final)
        raise WikilakeError(f"step {step_id} {state} after {took}{f': {reason}' if reason else ''}"
                            f"{f' (log: {log_url})' if log_url else ''}")


def _failure_reason(step: dict) -> str:
    from wikilake.aws.emr import state_reason

    details = step["Status"].get("FailureDetails") or {}
    return " ".join(filter(None, (details.get("Reason"), details.get("Message")))) \
        or state_reason(step["Status"])


def _show_log_tail(aws, console, cluster: dict, step_id: str, step: dict, args) -> str | None:
    """Print the tail of the step's stderr (or how to get it later); returns the log's URL."""
    import botocore.exceptions

    from wikilake.aws import emr

    log_uri = cluster.get("LogUri")
    if not log_uri:
        console.print(f"cluster {cluster['Id']} has no LogUri: no step log to show")
        return None
    url = emr.step_log_url(log_uri, cluster["Id"], step_id, step)
    try:
        with console.status(f"waiting for the step's log at {url} (EMR copies it within minutes)"):
            tail = emr.log_tail(aws.client("s3"), url, lines=args.log_lines, wait_seconds=args.log_wait,
                                poll_seconds=min(15.0, args.poll or 15.0))
    except botocore.exceptions.WaiterError:
        console.print(f"the step's log is not in S3 yet; later: aws s3 cp {url} - | gunzip | tail -n "
                      f"{args.log_lines}", highlight=False, soft_wrap=True)
        return url
    console.rule(f"last {len(tail)} lines of the step's stderr")
    for text in tail:
        console.out(text, highlight=False)
    console.rule()
    return url
