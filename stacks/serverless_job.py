"""The pipeline's job stage on runtime=emr-serverless (ServerlessJobStage): one Task that starts
the job run on the application and waits for it (`emr-serverless:startJobRun.sync`, the optimised
integration), then VerifyAndRecord; and the permissions the state machine needs for it.

The request is in Step Functions' names for that integration (PascalCase: ApplicationId,
ExecutionRoleArn, JobDriver.SparkSubmit.EntryPoint, ...), as the AWS Step Functions docs give them;
the job driver's fields come from the plan function, which renders them with the one submit
builder (wikilake_core.submit.job_submit), so the EC2 step and this job run the same command.
Its SizeRun state sizes the job from the day's bytes (wikilake_core/run_sizing.py): the Spark
parameters carry the executors it gets, and ExecutionTimeoutMinutes its deadline, after which
EMR Serverless cancels the job run (a hung job fails the run).
The task's output (the job run's ids) goes to `$.job_run`; the record function reads the billed
resource utilization with GetJobRun and prices it (wikilake_core.prices.serverless_cost).

moto runs this integration only without `.sync` and with boto3's camelCase names
(tests/pipeline/test_serverless_pipeline.py adapts the definition that way, and says why).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import nag
from stacks.pipeline_states import ALL_ERRORS, ERROR, EXECUTION_ID, PLAN, J, verify_and_record
from stacks.serverless_app import SERVICE_PRINCIPAL, ServerlessApp
from wikilake_core import contract

INTEGRATION = "emr-serverless:startJobRun.sync"
TRANSIENT_ERRORS = [
    "EmrServerless.ThrottlingException",
    "EmrServerless.InternalServerException",
    "EMRServerless.ThrottlingException",
    "EMRServerless.InternalServerException",
]
# The EventBridge rule Step Functions manages for the .sync integration (docs: IAM policies for
# EMR Serverless).
SYNC_RULE = "StepFunctionsGetEventsForEMRServerlessJobRule"
JOB_RUN = "$.job_run"  # where the task puts the job run's ids


class ServerlessJobStage:
    """The job as one job run on ``app``: StartJobRun (.sync) with the sized executors and deadline
    -> VerifyAndRecord; a failed (or cancelled at its deadline) job run -> the failure path."""

    description = "job run on the EMR Serverless application"

    def __init__(self, app: ServerlessApp) -> None:
        self._app = app

    def states(
        self, scope: Construct, *, record: lambda_.IFunction, on_failure: sfn.State, release_day: sfn.State
    ) -> sfn.IChainable:
        job = start_job_run(scope, "RunJob", app=self._app)
        job.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        verify = verify_and_record(scope, record, {"job_run": J.object_at(JOB_RUN)})
        verify.add_catch(on_failure, errors=ALL_ERRORS, result_path=ERROR)
        return job.next(verify).next(release_day)

    def grant(self, machine: sfn.StateMachine) -> None:
        grant_start_job_run(machine.role, self._app)
        nag.acknowledge(
            machine,
            job_runs_finding(self._app),
            "Job runs get their ids at run time: StartJobRun (with its tags), GetJobRun and "
            "CancelJobRun for the .sync integration, on this app's one application only.",
        )
        nag.acknowledge(
            machine,
            nag.iam5_finding("*"),
            "CloudWatch Logs delivery and X-Ray tracing for the state machine take * as AWS "
            "documents; the job-run permissions are scoped to the application.",
        )


def start_job_run(
    scope: Construct,
    construct_id: str,
    *,
    app: ServerlessApp,
    plan_path: str = PLAN,
    result_path: str = JOB_RUN,
) -> sfn.CustomState:
    """The Task state: the plan's job on ``app``, waiting for the run to end (SUCCESS or fail)."""
    run = f"{plan_path}.run"
    job = f"{plan_path}.job"
    size = f"{plan_path}.size"
    state = sfn.CustomState(
        scope,
        construct_id,
        state_json={
            "Type": "Task",
            "Resource": f"arn:{Aws.PARTITION}:states:::{INTEGRATION}",
            "Parameters": {
                "ApplicationId": app.application.attr_application_id,
                "ExecutionRoleArn": app.execution_role.role_arn,
                # Idempotent per execution: a retried request does not start a second job run.
                "ClientToken.$": f"States.Hash({EXECUTION_ID}, 'MD5')",
                "Name.$": f"{job}.name",
                "ExecutionTimeoutMinutes.$": f"{size}.timeout_minutes",
                "JobDriver": {
                    "SparkSubmit": {
                        "EntryPoint.$": f"{job}.entry_point",
                        "EntryPointArguments.$": f"{job}.arguments",
                        "SparkSubmitParameters.$": f"{size}.spark_submit_parameters",
                    }
                },
                "Tags": {
                    f"{contract.TAG_RUN_DATASET}.$": f"{run}.dataset",
                    f"{contract.TAG_RUN_DT}.$": f"{run}.dt",
                    f"{contract.TAG_RUN_EXECUTION}.$": EXECUTION_ID,
                },
            },
            "ResultPath": result_path,
        },
    )
    state.add_retry(errors=TRANSIENT_ERRORS, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
    return state


def job_runs_arn(app: ServerlessApp) -> str:
    return f"{app.application_arn}/jobruns/*"


def grant_start_job_run(role: iam.IRole, app: ServerlessApp) -> None:
    """What the state machine's role needs for startJobRun.sync on ``app`` (and nothing else)."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="StartJobRuns",
            actions=["emr-serverless:StartJobRun", "emr-serverless:TagResource"],
            resources=[app.application_arn, job_runs_arn(app)],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="WatchJobRuns",
            actions=["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"],
            resources=[job_runs_arn(app)],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="SyncJobRunEvents",
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/{SYNC_RULE}"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="PassExecutionRole",
            actions=["iam:PassRole"],
            resources=[app.execution_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": SERVICE_PRINCIPAL}},
        )
    )


def job_runs_finding(app: ServerlessApp) -> str:
    """cdk-nag's id for the jobruns/* wildcard (the application id is a GetAtt)."""
    return nag.iam5_finding(
        f"arn:<AWS::Partition>:emr-serverless:<AWS::Region>:<AWS::AccountId>:"
        f"/applications/<{nag.logical_id(app.application)}.ApplicationId>/jobruns/*"
    )
