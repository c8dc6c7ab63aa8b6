"""Clean up after a run whose execution ended without doing so itself: timed out (the state
machine's overall timeout runs no further state) or stopped by hand. Triggered by EventBridge
("Step Functions Execution Status Change", status TIMED_OUT | ABORTED | FAILED of this app's
state machine): gives the day's writer lease back if the execution still holds it
(functions/wikilake_functions/day_lease.py), and (EMR on EC2) finds the run's cluster by its
wikilake:execution tag and terminates it. A run on the interactive cluster (its input's
cluster_id) has no cluster of its own: the reap function cancels the run's step there (found by
its run id) and never terminates the interactive cluster (its grants cannot either).

The cluster would end by itself anyway (no keep-alive: after its step; idle: after 15 minutes);
this ends it within a minute, and also covers a step that hangs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

from wikilake_core import contract, runs
from wikilake_functions import common, day_lease, interactive

log = common.logger(__name__)
ACTIVE = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]


def clusters_of(emr, execution_arn: str, name_prefix: str) -> list[str]:
    found = []
    for page in emr.get_paginator("list_clusters").paginate(ClusterStates=ACTIVE):
        for summary in page["Clusters"]:
            if not summary["Name"].startswith(name_prefix):
                continue
            tags = {
                t["Key"]: t["Value"] for t in emr.describe_cluster(ClusterId=summary["Id"])["Cluster"].get("Tags", [])
            }
            if tags.get(contract.TAG_RUN_EXECUTION) == execution_arn:
                found.append(summary["Id"])
    return found


def release_day(detail: Mapping, env: Mapping[str, str], dynamodb=None) -> bool:
    """The event carries the execution's input and start (epoch milliseconds): the day's lease."""
    if not detail.get("input") or detail.get("startDate") is None:
        return False
    started = datetime.fromtimestamp(detail["startDate"] / 1000, timezone.utc).isoformat()
    try:
        run_input = json.loads(detail["input"])
    except ValueError:
        return False
    released = day_lease.release(run_input, started, detail["executionArn"], env, dynamodb or common.client("dynamodb"))
    return released["released"]


def interactive_cluster_of(detail: Mapping, env: Mapping[str, str]) -> str | None:
    """The interactive cluster the execution ran its step on (its input's cluster_id), if the
    stack has one."""
    if not env.get(common.INTERACTIVE_CLUSTER_TAGS):
        return None
    try:
        cluster_id = json.loads(detail.get("input") or "{}").get(runs.CLUSTER_ID)
    except (ValueError, AttributeError):
        return None
    return cluster_id if isinstance(cluster_id, str) else None


def handle(event: Mapping, env: Mapping[str, str], emr=None, dynamodb=None) -> dict:
    detail = event.get("detail", {})
    execution_arn, status = detail.get("executionArn"), detail.get("status")
    released = bool(execution_arn) and release_day(detail, env, dynamodb)
    clusters, cancelled = [], []
    if env.get(common.CLUSTER_NAME_PREFIX) and execution_arn:  # EMR on EC2 (Serverless cancels its own)
        emr = emr or common.client("emr")
        interactive_cluster = interactive_cluster_of(detail, env)
        if interactive_cluster:  # never terminated: only the run's own step on it is cancelled
            run_id = execution_arn.rsplit(":", 1)[-1]  # the execution's name
            cancelled = interactive.cancel_run_steps(emr, interactive_cluster, run_id)
        else:
            clusters = clusters_of(emr, execution_arn, env[common.CLUSTER_NAME_PREFIX] + "-")
            if clusters:
                emr.terminate_job_flows(JobFlowIds=clusters)
    log.info(
        "execution %s %s: terminated %s, cancelled steps %s",
        execution_arn,
        status,
        clusters or "none",
        cancelled or "none",
    )
    return {
        "execution": execution_arn,
        "status": status,
        "terminated": clusters,
        "cancelled_steps": cancelled,
        "day_released": released,
    }


def handler(event, context):
    return handle(event, os.environ)
