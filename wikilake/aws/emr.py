"""EMR for `wikilake run --cluster interactive`, `status` and `ssh`: the cluster's state, submitting
a job step, following it, and the tail of a failed step's stderr from the cluster's S3 log location."""

from __future__ import annotations

import gzip
import time
from collections import deque
from typing import Callable

from wikilake.aws.stack import StackOutputs
from wikilake_core.contract import Outputs, job_entrypoint_output
from wikilake_core.errors import WikilakeError
from wikilake_core.submit import JobScripts, spark_step

# States of a live cluster: it accepts steps (AddJobFlowSteps) and has a primary node.
ACTIVE = frozenset({"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"})
STEP_DONE = frozenset({"COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED"})


def describe_cluster(emr, cluster_id: str) -> dict:
    return emr.describe_cluster(ClusterId=cluster_id)["Cluster"]


def state_reason(status: dict) -> str:
    reason = status.get("StateChangeReason") or {}
    return reason.get("Message") or reason.get("Code") or ""


def require_active(cluster: dict, consequence: str) -> None:
    """A one-line error saying the cluster is gone (and why), then ``consequence``."""
    status = cluster["Status"]
    if status["State"] not in ACTIVE:
        reason = state_reason(status)
        raise WikilakeError(
            f"cluster {cluster['Id']} is {status['State']}{f' ({reason})' if reason else ''}: {consequence}"
        )


RECREATE_HINT = "recreate it by redeploying the processing stack (docs/operating.md)"
NO_INTERACTIVE_CLUSTER = "no interactive cluster is deployed: deploy one with -c interactive_cluster=true"


def interactive_cluster_id(outputs: StackOutputs, processing_stack: str, alternative: str = "") -> str:
    """The interactive cluster's id; a one-line error (ending with ``alternative``) when the
    deployment has none (the default: runs make their own clusters) or when the processing stack
    itself is missing."""
    processing_usable = any(stack.usable and stack.name == processing_stack for stack in outputs.stacks)
    if processing_usable and not outputs.get(Outputs.CLUSTER_ID):
        raise WikilakeError(NO_INTERACTIVE_CLUSTER + (f"; {alternative}" if alternative else ""))
    return outputs.require(Outputs.CLUSTER_ID)


def job_step(outputs: StackOutputs, dataset: str, dt: str, job_options: tuple[str, ...] = ()) -> dict:
    """The same step the stack declares for (dataset, dt): built by steps.spark_step from the outputs."""
    scripts = JobScripts(
        package_url=outputs.require(Outputs.JOBS_PACKAGE_URL),
        entrypoint_urls={dataset: outputs.require(job_entrypoint_output(dataset))},
    )
    return spark_step(dataset, dt, bucket=outputs.require(Outputs.BUCKET), scripts=scripts, job_options=job_options)


def submit_step(emr, cluster_id: str, step: dict) -> str:
    return emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"][0]


def follow_step(
    emr,
    cluster_id: str,
    step_id: str,
    *,
    timeout_seconds: float,
    poll_seconds: float | None = None,
    on_update: Callable[[dict], None] = lambda step: None,
) -> dict:
    """Poll DescribeStep with the ``step_complete`` waiter's delay and acceptors until the step ends.

    The waiter itself cannot report progress between attempts, so its configuration drives this
    loop, which calls ``on_update(step)`` after every poll (the live status line). Returns the
    final ``Step``; raises WikilakeError if it is still going after ``timeout_seconds``.
    """
    config = emr.get_waiter("step_complete").config
    delay = config.delay if poll_seconds is None else poll_seconds
    deadline = time.monotonic() + timeout_seconds
    while True:
        response = emr.describe_step(ClusterId=cluster_id, StepId=step_id)
        step = response["Step"]
        on_update(step)
        # INTERRUPTED is terminal too, though the waiter does not list it.
        if step["Status"]["State"] in STEP_DONE or any(
            acceptor.matcher_func(response) for acceptor in config.acceptors
        ):
            return step
        if time.monotonic() + delay > deadline:
            raise WikilakeError(
                f"step {step_id} is still {step['Status']['State']} after {timeout_seconds / 60:.0f} "
                f"min; it keeps running on cluster {cluster_id}: follow it with `wikilake status`"
            )
        time.sleep(delay)


def _s3_url(url: str) -> str:
    # DescribeCluster reports LogUri as s3n://...; it is the same object store.
    for scheme in ("s3n://", "s3a://"):
        if url.startswith(scheme):
            return "s3://" + url[len(scheme) :]
    return url


def step_log_url(log_uri: str, cluster_id: str, step_id: str, step: dict | None = None) -> str:
    """Where EMR puts the step's stderr: FailureDetails.LogFile if EMR named one, else
    ``<LogUri>/<cluster>/steps/<step>/stderr.gz``."""
    log_file = ((step or {}).get("Status", {}).get("FailureDetails") or {}).get("LogFile", "")
    if log_file.endswith(".gz"):
        return _s3_url(log_file)
    return f"{_s3_url(log_uri).rstrip('/')}/{cluster_id}/steps/{step_id}/stderr.gz"


def split_s3_url(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def log_tail(s3, url: str, *, lines: int, wait_seconds: float, poll_seconds: float = 15.0) -> list[str]:
    """The last ``lines`` lines of a gzipped log in S3, streamed (never loaded whole).

    EMR copies step logs to S3 a few minutes after the step ends, so this first waits for the
    object with the ``object_exists`` waiter for up to ``wait_seconds``.
    """
    bucket, key = split_s3_url(url)
    poll = max(min(poll_seconds, wait_seconds), 0.1)
    s3.get_waiter("object_exists").wait(
        Bucket=bucket, Key=key, WaiterConfig={"Delay": poll, "MaxAttempts": max(1, int(wait_seconds / poll) + 1)}
    )
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    with gzip.GzipFile(fileobj=body) as log:
        tail = deque((line.decode("utf-8", "replace").rstrip("\n") for line in log), maxlen=lines)
    return list(tail)
