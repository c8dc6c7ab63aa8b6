"""What the pipeline's states share: where a caught error goes, where the plan is in a state's
input, and the one way to call the pipeline's Lambda functions (the payload in, the function's
answer out, Lambda's transient errors retried)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

J = sfn.JsonPath
ERROR = "$.error"  # where a caught error goes: {"Error": ..., "Cause": ...}
ALL_ERRORS = ["States.ALL"]
EXECUTION_ID = "$$.Execution.Id"
# Where the Plan state puts its plan, in it the run (dataset, dt) it plans, and SizeRun the run's size.
PLAN = "$.plan"
RUN = f"{PLAN}.run"
SIZE = f"{PLAN}.size"
VERIFY_AND_RECORD = "VerifyAndRecord"
# Lambda's transient service errors and its throttling, retried with full jitter
# (docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
]


def lambda_task(
    scope: Construct, construct_id: str, function: lambda_.IFunction, payload: dict, **kwargs: Any
) -> tasks.LambdaInvoke:
    """A LambdaInvoke state named ``construct_id``; ``kwargs`` (result_path, ...) go to the state."""
    task = tasks.LambdaInvoke(
        scope,
        construct_id,
        lambda_function=function,
        payload=sfn.TaskInput.from_object(payload),
        payload_response_only=True,
        retry_on_service_exceptions=False,
        **kwargs,
    )
    task.add_retry(
        errors=LAMBDA_TRANSIENT_ERRORS,
        interval=Duration.seconds(5),
        backoff_rate=2,
        max_attempts=8,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def verify_and_record(
    scope: Construct, record: lambda_.IFunction, ran_on: dict, *, construct_id: str = VERIFY_AND_RECORD
) -> tasks.LambdaInvoke:
    """The record function on the run and on what ran its job (``ran_on``: the cluster's id, the
    step's on the interactive cluster, or the job run's ids)."""
    return lambda_task(scope, construct_id, record, {"run": J.object_at(RUN), **ran_on})
