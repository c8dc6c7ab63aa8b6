"""`wikilake status`: the deployment at a glance (stacks, outputs, dashboard, latest runs, dead letters,
interactive cluster and its steps, lake partitions)."""

from __future__ import annotations

import argparse

from wikilake.commands.common import add_aws_options

DESCRIPTION = """\
Show the deployed wikilake: each stack's CloudFormation status and outputs, the URL of the
pipeline's CloudWatch dashboard, the latest runs, the dead letters waiting (events a schedule,
an EventBridge rule or the reap function could not deliver) and how to read them, the
interactive EMR cluster's state and its latest steps (when one is deployed), and which dt=
partitions are present under raw/ and processed/ in the data bucket. A stack that is not
deployed is shown as such; the rest is still listed.
"""

EPILOG = """\
examples:
  wikilake status
  wikilake status --steps 25 --runs 10
  wikilake status --stage prod --region eu-west-1
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="stacks, outputs, dashboard, latest runs, dead letters, interactive cluster and lake partitions",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--runs", type=int, default=5, metavar="N", help="how many of the pipeline's latest runs to list (default 5)"
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=10,
        metavar="N",
        help="how many of the interactive cluster's latest steps to list (default 10)",
    )
    add_aws_options(parser)
    parser.set_defaults(func=_status)


def _status(args) -> int:
    from rich.console import Console

    from wikilake.aws import emr, pipeline, status
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs

    console = Console()
    with aws_errors():
        aws = AwsContext.from_args(args)
        outputs = aws.outputs
        console.print(_stacks_table(aws, outputs))
        values = outputs.values
        if values:
            console.print(_outputs_table(values))
        dashboard = values.get(Outputs.DASHBOARD_URL)
        if dashboard:  # whole, on one line: a link to open
            console.print(f"dashboard: {dashboard}", highlight=False, soft_wrap=True)
        state_machine = values.get(Outputs.STATE_MACHINE_ARN)
        if state_machine:
            runs = pipeline.list_runs(aws.client("stepfunctions"), state_machine, last=args.runs)
            console.print(_runs_table(list(runs), args.runs))
        queue_url = values.get(Outputs.DEAD_LETTER_QUEUE_URL)
        if queue_url:
            letters = status.dead_letters(aws.client("sqs"), queue_url)
            console.print(_dead_letters_text(letters, queue_url, aws.region), highlight=False, soft_wrap=True)
        cluster_id = values.get(Outputs.CLUSTER_ID)
        if cluster_id:
            client = aws.client("emr")
            console.print(_cluster_table(emr.describe_cluster(client, cluster_id)))
            console.print(_steps_table(status.recent_steps(client, cluster_id, args.steps), args.steps))
        elif any(stack.usable and stack.name == aws.stack_names["processing"] for stack in outputs.stacks):
            console.print(
                "no interactive cluster (each run makes its own; deploy one with -c interactive_cluster=true)",
                highlight=False,
            )
        bucket = values.get(Outputs.BUCKET)
        if bucket:
            console.print(_lake_table(bucket, status.lake_partitions(aws.client("s3"), bucket)))
    return 0


def _table(title: str, *columns: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _stacks_table(aws, outputs):
    table = _table(f"{aws.deployment} in {aws.region}", "stack", "status")
    for stack in outputs.stacks:
        style = "green" if stack.usable else "red"
        table.add_row(stack.name, f"[{style}]{stack.status}")
    return table


def _outputs_table(values: dict):
    table = _table("outputs", "output", "value")
    for key in sorted(values):
        table.add_row(key, values[key])
    return table


def _when(stamp) -> str:
    return stamp.strftime("%Y-%m-%d %H:%M:%S") if stamp else ""


def _duration(timeline: dict) -> str:
    start, end = timeline.get("StartDateTime"), timeline.get("EndDateTime")
    if not (start and end):
        return ""
    minutes, seconds = divmod(int((end - start).total_seconds()), 60)
    return f"{minutes}m{seconds:02d}s"


def _cluster_table(cluster: dict):
    from wikilake.aws.emr import state_reason

    status = cluster["Status"]
    table = _table("EMR cluster", "cluster", "state", "release", "primary node", "created")
    reason = state_reason(status)
    table.add_row(
        f"{cluster['Id']} ({cluster.get('Name', '')})",
        status["State"] + (f" ({reason})" if reason else ""),
        cluster.get("ReleaseLabel", ""),
        cluster.get("MasterPublicDnsName", ""),
        _when(status.get("Timeline", {}).get("CreationDateTime")),
    )
    return table


def _steps_table(steps: list[dict], limit: int):
    table = _table(f"latest steps (up to {limit})", "step", "name", "state", "started", "took")
    for step in steps:
        timeline = step["Status"].get("Timeline", {})
        table.add_row(
            step["Id"], step["Name"], step["Status"]["State"], _when(timeline.get("StartDateTime")), _duration(timeline)
        )
    if not steps:
        table.add_row("", "(no steps yet: `wikilake run <dataset> --date D`)", "", "", "")
    return table


def _runs_table(runs, limit: int):
    table = _table(f"latest pipeline runs (up to {limit})", "dataset", "dt", "state", "started", "took")
    for run in runs:
        took = _duration({"StartDateTime": run.start, "EndDateTime": run.stop})
        table.add_row(run.dataset, run.dt, run.status, _when(run.start), took)
    if not runs:
        table.add_row("", "(no runs yet: `wikilake run <dataset> --date D`)", "", "", "")
    return table


def _dead_letters_text(letters, queue_url: str, region: str) -> str:
    """One line when the sink is empty; otherwise the count and how to read and clear them."""
    if not (letters.waiting or letters.in_flight):
        return "dead letters: none (nothing a schedule, a rule or the reap function gave up on)"
    in_flight = f", {letters.in_flight} being read" if letters.in_flight else ""
    return "\n".join(
        [
            f"[red]dead letters: {letters.waiting} waiting{in_flight}[/red] in {queue_url}",
            "  events a schedule, an EventBridge rule or the reap function could not deliver: a missed "
            "day, an alert not sent, a cluster not reaped. Read them:",
            f"  aws sqs receive-message --region {region} --queue-url {queue_url} --max-number-of-messages 10 "
            "--attribute-names All --message-attribute-names All",
            "  redo each by hand (docs/running-daily.md, Dead letters: `wikilake run` for a missed day, the "
            "reap function for a cluster), then delete it:",
            f"  aws sqs delete-message --region {region} --queue-url {queue_url} --receipt-handle <ReceiptHandle>",
            "  (SQS redrive, StartMessageMoveTask, cannot move these: their source is not an SQS queue)",
        ]
    )


def _lake_table(bucket: str, partitions: dict[str, list[str]]):
    table = _table(f"lake partitions in s3://{bucket}/", "prefix", "dt partitions", "dates")
    for prefix, dates in partitions.items():
        shown = ", ".join(dates) if len(dates) <= 4 else f"{dates[0]} ... {dates[-1]}"
        table.add_row(f"{prefix}/", str(len(dates)), shown)
    return table
