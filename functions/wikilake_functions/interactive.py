"""The stack's interactive cluster as a run's compute (EMR on EC2, interactive_cluster=true): check
that the cluster a run names is that cluster and takes steps (the plan function), and find and
cancel a run's step on it (the reap function, for an execution stopped or timed out).

The interactive cluster is recognized by its tags (the app's Project and Stage and
``wikilake:cluster=interactive``), as the pipeline's IAM grants recognize it: the stack hands the
functions those tags (INTERACTIVE_CLUSTER_TAGS), set only when the cluster is deployed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import botocore.exceptions

from wikilake_core.submit import run_id_of
from wikilake_functions import common
from wikilake_functions.common import InvalidInput

log = common.logger(__name__)
# EMR accepts steps in these cluster states only (AddJobFlowSteps, Amazon EMR API reference).
ACCEPTS_STEPS = frozenset({"STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"})
LIVE_STEP_STATES = ["PENDING", "RUNNING"]  # what CancelSteps can still stop
NO_INTERACTIVE_CLUSTER = (
    "this deployment has no interactive cluster (it needs runtime=emr-ec2 and interactive_cluster=true): "
    "leave cluster_id out to run on a cluster made for the run"
)
RECREATE_HINT = "recreate it by redeploying the processing stack (docs/operating.md)"
# DescribeCluster's answers for a cluster id that is not one the function may read.
NOT_THIS_CLUSTER = frozenset({"InvalidRequestException", "AccessDeniedException", "ValidationException"})


def expected_tags(env: Mapping[str, str]) -> dict[str, str]:
    """The tags the stack's interactive cluster carries; InvalidInput when none is deployed."""
    text = env.get(common.INTERACTIVE_CLUSTER_TAGS)
    if not text:
        raise InvalidInput(NO_INTERACTIVE_CLUSTER)
    return json.loads(text)


def require_cluster(emr, cluster_id: str, env: Mapping[str, str]) -> None:
    """InvalidInput unless ``cluster_id`` is the stack's interactive cluster and takes steps now.

    The plan function may describe only clusters carrying the interactive cluster's tags: another
    cluster answers AccessDenied on AWS (and a missing one InvalidRequest), both refused here."""
    tags = expected_tags(env)
    try:
        cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error", {})
        if error.get("Code") not in NOT_THIS_CLUSTER:
            raise
        raise InvalidInput(
            f"cluster {cluster_id} is not this app's interactive cluster ({error.get('Code')}: {error.get('Message')})"
        ) from None
    carried = {tag["Key"]: tag["Value"] for tag in cluster.get("Tags", [])}
    lacking = sorted(f"{key}={value}" for key, value in tags.items() if carried.get(key) != value)
    if lacking:
        raise InvalidInput(
            f"cluster {cluster_id} is not this app's interactive cluster: it is not tagged {', '.join(lacking)}"
        )
    status = cluster["Status"]
    if status["State"] not in ACCEPTS_STEPS:
        reason = (status.get("StateChangeReason") or {}).get("Message")
        raise InvalidInput(
            f"the interactive cluster {cluster_id} is {status['State']}{f' ({reason})' if reason else ''}: "
            f"it takes no steps; {RECREATE_HINT}"
        )


def live_steps_of_run(emr, cluster_id: str, run_id: str) -> list[str]:
    """The ids of the run's steps on the cluster that are pending or running (found by the run id
    their arguments pass to the job)."""
    pages = emr.get_paginator("list_steps").paginate(ClusterId=cluster_id, StepStates=LIVE_STEP_STATES)
    return [
        step["Id"]
        for page in pages
        for step in page["Steps"]
        if run_id_of(step.get("Config", {}).get("Args", [])) == run_id
    ]


def cancel_run_steps(emr, cluster_id: str, run_id: str) -> list[str]:
    """Cancel the run's live steps on the interactive cluster (the cluster itself stays); returns
    their ids. A cluster the function may not touch (not the interactive one) is logged, not raised:
    the reap function has given the day back already."""
    try:
        steps = live_steps_of_run(emr, cluster_id, run_id)
        if steps:
            emr.cancel_steps(ClusterId=cluster_id, StepIds=steps, StepCancellationOption="SEND_INTERRUPT")
    except botocore.exceptions.ClientError as err:
        log.error("could not cancel the steps of run %s on %s: %s", run_id, cluster_id, err)
        return []
    return steps
