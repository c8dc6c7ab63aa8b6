"""`wikilake run`: run a dataset's pipeline for one date (a Step Functions execution) on a cluster
made for the run or, with --cluster interactive, with its job as a step on the interactive EMR
cluster; either way follow the execution to the end."""

from __future__ import annotations

import argparse
import time

from wikilake.commands.common import add_aws_options, elapsed, shell_words
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError

DESCRIPTION = """\
Run the dataset's pipeline for one date: start an execution of the deployed state machine
(ingest -> Spark job on a cluster that exists only for this run -> verify the manifest ->
record), then follow it with a live status line (its state and the step it is in) until it
ends. On success it prints the run record: rows written per table, rejected records and the
cost (the cluster's normalized instance hours, or on EMR Serverless the job run's billed vCPU
hours, and an estimate in USD). A rerun replaces exactly that date's partitions.

--cluster interactive runs the same pipeline (the day's lease, ingest, verification, quality
checks, publishing) with the job as one EMR step on the long-lived interactive cluster
(runtime=emr-ec2, deployed with -c interactive_cluster=true) instead of a cluster made for the
run: no cluster is created or terminated, and the run's cost is the cluster's share while its
step ran. When the step fails, the command also prints EMR's failure reason and the tail of the
step's stderr from the cluster's S3 log location (EMR copies logs there a few minutes after the
step ends; the command waits for it).

Exit status: 0 when the execution SUCCEEDED; 1 when it FAILED, TIMED_OUT or was ABORTED or
--timeout passed, with one line saying why; 130 on Ctrl-C. Ctrl-C stops following, not the run:
the execution goes on, unless --stop-on-interrupt stops the execution (and so its cluster, or
its step on the interactive cluster).
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
PIPELINE_POLL_SECONDS = 10.0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a dataset's pipeline for one date (its job on a cluster of its own or the interactive one), followed",
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
        help="transient: the job on compute made for the run (default); "
        "interactive: the job as a step on the interactive cluster",
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
        help="pageviews: run even if some hourly dumps of the date are missing",
    )
    _add_following_options(parser.add_argument_group("following"))
    add_aws_options(parser)
    parser.set_defaults(func=_run)


def _add_following_options(follow) -> None:
    follow.add_argument(
        "--wait", dest="wait", action="store_true", default=True, help="follow the run until it ends (default)"
    )
    follow.add_argument("--no-wait", dest="wait", action="store_false", help="print the execution ARN and return")
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
        help=f"seconds between status checks (default {PIPELINE_POLL_SECONDS:g})",
    )
    follow.add_argument(
        "--stop-on-interrupt",
        action="store_true",
        help="on Ctrl-C stop the execution too, which terminates its cluster (cancels its interactive step)",
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
    return _run_pipeline(args, dt, job_options)


class _ExecutionLine:
    """The live status line of an execution; rendered by rich on every refresh, so the clock ticks.
    Not on a terminal, each change of state is printed as a plain line instead."""

    def __init__(self, name: str, console):
        self.name, self.console = name, console
        self.status: str = "RUNNING"
        self.state: str | None = None
        self.started = time.monotonic()

    def update(self, execution: dict, state: str | None) -> None:
        changed = (execution["status"], state) != (self.status, self.state)
        self.status, self.state = execution["status"], state
        if changed and not self.console.is_terminal and self.status == "RUNNING":
            self.console.print(self.__rich__(), highlight=False, soft_wrap=True)

    def __rich__(self):
        from rich.text import Text

        # Text, not markup: a state's name may hold brackets.
        return Text.assemble(
            f"execution {self.name}: {self.status}",
            *((" in ", (self.state, "bold")) if self.state else ()),
            f" ({elapsed(time.monotonic() - self.started)})",
        )


def _run_pipeline(args, dt: str, job_options: tuple[str, ...]) -> int:
    from rich.console import Console

    from wikilake.aws import pipeline
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs

    out, err = Console(), Console(stderr=True)
    with aws_errors():
        aws = AwsContext.from_args(args)
        cluster_id = _interactive_cluster(aws) if args.cluster == INTERACTIVE else None
        state_machine = aws.outputs.require(Outputs.STATE_MACHINE_ARN)
        sfn = aws.client("stepfunctions")
        arn = pipeline.start(
            sfn,
            state_machine,
            args.dataset,
            dt,
            job_options=job_options,
            allow_missing_hours=args.allow_missing_hours,
            cluster_id=cluster_id,
        )
        if not args.wait:
            print(arn)
            return 0
        name = arn.rsplit(":", 1)[-1]
        where = f" on the interactive cluster {cluster_id}" if cluster_id else ""
        err.print(f"started execution {name} of {args.dataset} dt={dt}{where}", highlight=False, soft_wrap=True)
        final = _follow(sfn, arn, name, err, args)
        took = elapsed((final["stopDate"] - final["startDate"]).total_seconds())
        if final["status"] != pipeline.SUCCEEDED:
            reason = pipeline.failure(final)
            log_url = _show_failed_step(aws, err, cluster_id, name, args) if cluster_id else None
            raise WikilakeError(
                f"execution {name} {final['status']} after {took}{f': {reason}' if reason else ''}"
                f"{f' (log: {log_url})' if log_url else ''}"
            )
    out.print(
        f"execution {name} SUCCEEDED in {took}: {args.dataset} dt={dt}; {_record_summary(pipeline.run_record(final))}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _interactive_cluster(aws) -> str:
    """The interactive cluster's id, once it is known to take steps; a one-line error when the
    deployment has none (runtime=emr-serverless, or interactive_cluster=false) or it is gone."""
    from wikilake.aws import emr
    from wikilake_core.contract import Outputs

    if aws.outputs.get(Outputs.SERVERLESS_APPLICATION_ID):
        raise WikilakeError(
            "--cluster interactive: this deployment runs its jobs on EMR Serverless (runtime=emr-serverless), "
            "which has no interactive cluster; run without --cluster"
        )
    cluster_id = emr.interactive_cluster_id(aws.outputs, aws.stack_names["processing"], "or run without --cluster")
    emr.require_active(emr.describe_cluster(aws.client("emr"), cluster_id), f"it cannot run steps; {emr.RECREATE_HINT}")
    return cluster_id


def _follow(sfn, arn: str, name: str, err, args) -> dict:
    """Follow the execution with its live status line until it ends; on Ctrl-C say what goes on
    (or stop it, with --stop-on-interrupt) and re-raise."""
    from wikilake.aws import pipeline

    line = _ExecutionLine(name, err)
    try:
        with err.status(line):
            return pipeline.follow(
                sfn,
                arn,
                poll_seconds=args.poll or PIPELINE_POLL_SECONDS,
                timeout_seconds=args.timeout * 60,
                on_update=line.update,
            )
    except KeyboardInterrupt:
        if args.stop_on_interrupt:
            pipeline.stop(sfn, arn, "Ctrl-C in wikilake run --stop-on-interrupt")
            ends = "cancels its step" if args.cluster == INTERACTIVE else "terminates its cluster"
            err.print(f"stopped execution {name}; the pipeline {ends}", highlight=False, soft_wrap=True)
        else:
            err.print(
                f"stopped following; execution {name} goes on: `wikilake runs` shows it, "
                f"`aws stepfunctions stop-execution --execution-arn {arn}` stops it",
                highlight=False,
                soft_wrap=True,
            )
        raise


def _record_summary(record: dict) -> str:
    """``rows written: edits 120, ...; 3 rejected records; cost: 1.5 normalized instance hours,
    ~$0.42 (prices of 2026-11-01)`` from a run record (parts it lacks are left out); a job run
    on EMR Serverless gives its billed ``vCPU hours`` instead; a run on the interactive cluster
    starts with its step (its cost: the cluster's share while the step ran)."""
    from wikilake_core.prices import compute_hours

    parts = []
    if record.get("step_id"):
        parts.append(f"step {record['step_id']} on the interactive cluster {record.get('cluster_id')}")
    written = record.get("rows_written") or {}
    if written:
        parts.append("rows written: " + ", ".join(f"{table} {rows:,}" for table, rows in written.items()))
    if record.get("rejected_records") is not None:
        parts.append(f"{record['rejected_records']:,} rejected records")
    cost = record.get("cost") or {}
    costs = []
    compute = compute_hours(cost)
    if compute is not None:
        costs.append(f"{compute[0]:g} {compute[1].words}")
    if cost.get("usd") is not None:
        costs.append(f"~${cost['usd']:.2f} (prices of {cost.get('prices_as_of', '?')})")
    if costs:
        parts.append("cost: " + ", ".join(costs))
    return "; ".join(parts) or "no run record in the execution's output"


def _show_failed_step(aws, console, cluster_id: str, run_id: str, args) -> str | None:
    """When the run's step on the interactive cluster failed: EMR's reason and the tail of its
    stderr; returns the log's URL (None when the run added no step, or it did not fail)."""
    from wikilake.aws import emr

    client = aws.client("emr")
    step = emr.step_of_run(client, cluster_id, run_id)
    if step is None or step["Status"]["State"] != "FAILED":
        return None
    reason = _failure_reason(step)
    console.print(f"step {step['Id']} FAILED{f': {reason}' if reason else ''}", highlight=False, soft_wrap=True)
    return _show_log_tail(aws, console, emr.describe_cluster(client, cluster_id), step["Id"], step, args)


def _failure_reason(step: dict) -> str:
    from wikilake.aws.emr import state_reason

    details = step["Status"].get("FailureDetails") or {}
    return " ".join(filter(None, (details.get("Reason"), details.get("Message")))) or state_reason(step["Status"])


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
            tail = emr.log_tail(
                aws.client("s3"),
                url,
                lines=args.log_lines,
                wait_seconds=args.log_wait,
                poll_seconds=min(15.0, args.poll or 15.0),
            )
    except botocore.exceptions.WaiterError:
        console.print(
            f"the step's log is not in S3 yet; later: aws s3 cp {url} - | gunzip | tail -n {args.log_lines}",
            highlight=False,
            soft_wrap=True,
        )
        return url
    console.rule(f"last {len(tail)} lines of the step's stderr")
    for text in tail:
        console.out(text, highlight=False)
    console.rule()
    return url
