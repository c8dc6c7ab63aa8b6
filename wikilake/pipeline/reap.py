"""End the cluster of a run whose execution ended without cleaning up: timed out (the state
machine's overall timeout runs no further state) or stopped by hand. Triggered by EventBridge
("Step Functions Execution Status Change", status TIMED_OUT | ABORTED | FAILED of this app's
state machine); finds the run's cluster by its wikilake:execution tag and terminates it.

The cluster would end by itself anyway (no keep-alive: after its step; idle: after 15 minutes);
this ends it within a minute, and also covers a step that hangs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from wikilake.pipeline import common
from wikilake_core import contract

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


def handle(event: Mapping, env: Mapping[str, str], emr=None) -> dict:
    detail = event.get("detail", {})
    execution_arn, status = detail.get("executionArn"), detail.get("status")
    emr = emr or common.client("emr")
    prefix = common.require(env, common.CLUSTER_NAME_PREFIX) + "-"
    clusters = clusters_of(emr, execution_arn, prefix) if execution_arn else []
    if clusters:
        emr.terminate_job_flows(JobFlowIds=clusters)
    log.info("execution %s %s: terminated %s", execution_arn, status, clusters or "nothing (no live cluster)")
    return {"execution": execution_arn, "status": status, "terminated": clusters}


def handler(event, context):
    return handle(event, os.environ)
