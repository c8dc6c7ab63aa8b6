"""The state machine's calls to EMR on EC2: one aws-sdk task per action (no .sync exists for these
EMR actions, and moto's interpreter runs them), its statement narrowed by tag conditions, EMR's
transient errors retried. Shared by the run's own cluster (stacks/cluster_job.py) and the
interactive cluster (stacks/interactive_job.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.pipeline_states import J
from stacks.run_clusters import EMR

# Step Functions names an aws-sdk task's error <Service>.<ErrorName> (Step Functions developer
# guide, "AWS SDK service integrations"); an error EMR's API does not model (throttling by HTTP
# status, a 5xx) comes as the SDK's base exception, Emr.EmrException, as S3's 503 SlowDown comes as
# S3.S3Exception (cdklabs/construct-hub#1904). Retrying a permanent one costs ~2.5 minutes.
EMR_TRANSIENT_ERRORS = [
    "Emr.ThrottlingException",
    "Emr.InternalServerErrorException",
    "Emr.InternalServerException",
    "Emr.EmrException",
]
# What creates something (RunJobFlow: a cluster; AddJobFlowSteps: a step; neither takes an
# idempotency token) is retried only when throttled (the request was refused, nothing was
# created): after a 5xx (or an unmodelled Emr.EmrException) the cluster or step may exist, and a
# second one would write the same run folder.
EMR_REFUSED_ERRORS = ["Emr.ThrottlingException"]
STEP_FAILED_STATES = ["FAILED", "CANCELLED", "INTERRUPTED"]


def emr_task(
    scope: Construct,
    construct_id: str,
    action: str,
    parameters: dict,
    *,
    resources: Sequence[str],
    conditions: Mapping[str, Mapping[str, str]],
    creates: bool = False,
    result_selector: dict | None = None,
    result_path: str = J.DISCARD,
) -> tasks.CallAwsService:
    """The task calling EMR's ``action`` (camelCase, e.g. ``describeStep``), allowed on
    ``resources`` under ``conditions`` only; ``creates``: retried only when throttled."""
    task = tasks.CallAwsService(
        scope,
        construct_id,
        service="emr",
        action=action,
        iam_action=f"{EMR}:{action[0].upper()}{action[1:]}",
        iam_resources=list(resources),
        parameters=parameters,
        result_selector=result_selector,
        result_path=result_path,
    )
    retried = EMR_REFUSED_ERRORS if creates else EMR_TRANSIENT_ERRORS
    task.add_retry(errors=retried, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
    # The task grants its action in one statement without conditions (CDK's taskPolicies); the
    # conditions narrow it to the clusters it is meant for.
    (statement,) = task._task_policies or []
    statement.add_conditions(dict(conditions))
    return task
