"""EMR for `wikilake run --cluster interactive`, `status` and `ssh`: the cluster's state, a run's
step on the interactive cluster, and the tail of a failed step's stderr from the cluster's S3 log
location."""

from __future__ import annotations

import gzip
from collections import deque

from wikilake.aws.stack import StackOutputs
from wikilake_core.contract import Outputs
from wikilake_core.errors import WikilakeError
from wikilake_core.submit import run_id_of

# States of a live cluster: it accepts steps (AddJobFlowSteps) and has a primary node.
ACTIVE = frozenset({"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"})


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


def step_of_run(emr, cluster_id: str, run_id: str) -> dict | None:
    """The step a pipeline run added to the cluster (DescribeStep's ``Step``), found by the run id
    its arguments pass to the job (the execution's name); None if it added none."""
    for page in emr.get_paginator("list_steps").paginate(ClusterId=cluster_id):
        for step in page["Steps"]:
            if run_id_of(step.get("Config", {}).get("Args", [])) == run_id:
                return emr.describe_step(ClusterId=cluster_id, StepId=step["Id"])["Step"]
    return None


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
