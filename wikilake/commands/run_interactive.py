"""`wikilake run --cluster interactive`: submit the job as one EMR step to the interactive cluster,
follow it with a live status line, and on failure show why and the tail of its stderr."""

from __future__ import annotations

import time

from wikilake.commands.common import elapsed
from wikilake_core.errors import WikilakeError


class _StatusLine:
    """What the live status line shows; rendered by rich on every refresh, so the clock ticks."""

    def __init__(self, step_id: str, cluster_id: str):
        self.step_id, self.cluster_id = step_id, cluster_id
        self.state = "PENDING"
        self.started = time.monotonic()

    def update(self, step: dict) -> None:
        self.state = step["Status"]["State"]

    def __rich__(self) -> str:
        return (
            f"step {self.step_id} on {self.cluster_id}: [bold]{self.state}[/bold] "
            f"({elapsed(time.monotonic() - self.started)})"
        )


def run_interactive(args, dt: str, job_options: tuple[str, ...]) -> int:
    from rich.console import Console

    from wikilake.aws import emr
    from wikilake.aws.session import AwsContext, aws_errors
    from wikilake_core.contract import Outputs

    dataset = args.dataset
    out, err = Console(), Console(stderr=True)
    with aws_errors():
        aws = AwsContext.from_args(args)
        step = emr.job_step(aws.outputs, dataset, dt, job_options)
        cluster_id = emr.interactive_cluster_id(aws.outputs, aws.stack_names["processing"])
        client = aws.client("emr")
        cluster = emr.describe_cluster(client, cluster_id)
        emr.require_active(cluster, f"it cannot run steps; {emr.RECREATE_HINT}")
        step_id = emr.submit_step(client, cluster_id, step)
        if not args.wait:
            print(step_id)
            return 0
        err.print(
            f"submitted step {step_id} ({step['Name']}) to cluster {cluster_id} ({cluster['Status']['State']})",
            highlight=False,
            soft_wrap=True,
        )
        line = _StatusLine(step_id, cluster_id)
        try:
            with err.status(line):
                final = emr.follow_step(
                    client,
                    cluster_id,
                    step_id,
                    timeout_seconds=args.timeout * 60,
                    poll_seconds=args.poll,
                    on_update=line.update,
                )
        except KeyboardInterrupt:
            err.print(f"stopped following; step {step_id} goes on: `wikilake status` shows it")
            raise
        state = final["Status"]["State"]
        took = elapsed(time.monotonic() - line.started)
        if state == "COMPLETED":
            out.print(
                f"step {step_id} COMPLETED in {took}: {dataset} dt={dt} is in "
                f"s3://{aws.outputs.require(Outputs.BUCKET)}/processed/",
                highlight=False,
            )
            return 0
        log_url = _show_log_tail(aws, err, cluster, step_id, final, args)
        reason = _failure_reason(final)
        raise WikilakeError(
            f"step {step_id} {state} after {took}{f': {reason}' if reason else ''}"
            f"{f' (log: {log_url})' if log_url else ''}"
        )


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
