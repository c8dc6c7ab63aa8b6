"""Names shared by the CDK stacks and the CLI: stack ids, CloudFormation output keys, tags.

Kept free of aws_cdk imports so the CLI starts fast (importing aws_cdk starts a Node process).
"""

from __future__ import annotations

APP_NAME = "wikilake"
DEFAULT_STACK_PREFIX = "Wikilake"

# The context's `runtime`: where the pipeline runs its jobs (docs/runtimes.md).
RUNTIME_EC2 = "emr-ec2"  # a transient EMR cluster per run
RUNTIME_SERVERLESS = "emr-serverless"  # the app's EMR Serverless application
RUNTIMES = (RUNTIME_EC2, RUNTIME_SERVERLESS)


def stack_names(prefix: str = DEFAULT_STACK_PREFIX, stage: str = "dev") -> dict[str, str]:
    """CloudFormation stack names, by role."""
    base = f"{prefix}-{stage}"
    return {
        "storage": f"{base}-Storage",
        "catalog": f"{base}-Catalog",
        "processing": f"{base}-Processing",
    }


class Outputs:
    """CfnOutput keys (logical ids) the CLI reads back with DescribeStacks."""

    BUCKET = "DataBucketName"
    JOBS_PACKAGE_URL = "SparkJobsPackageUrl"
    JOB_ENTRYPOINT_URL_PREFIX = "SparkJobEntrypointUrl"  # + dataset title, e.g. ...Edits
    DDL_URL = "AthenaDdlUrl"
    DATABASE = "GlueDatabaseName"
    WORKGROUP = "AthenaWorkgroupName"
    STATE_MACHINE_ARN = "PipelineStateMachineArn"
    ALERTS_TOPIC_ARN = "PipelineAlertsTopicArn"
    DEAD_LETTER_QUEUE_URL = "PipelineDeadLetterQueueUrl"  # the failure sink (`wikilake status`)
    CLUSTER_ID = "EmrClusterId"  # the interactive cluster (interactive_cluster=true) only
    PRIMARY_DNS = "EmrPrimaryDns"
    KEY_PAIR_NAME = "KeyPairName"
    KEY_PAIR_SSM_PARAMETER = "KeyPairPrivateKeySsmParameter"
    SSH_COMMAND = "SshCommand"
    LOG_URI = "EmrLogUri"
    # runtime=emr-serverless: the application the pipeline runs its jobs on.
    SERVERLESS_APPLICATION_ID = "EmrServerlessApplicationId"
    SERVERLESS_EXECUTION_ROLE_ARN = "EmrServerlessExecutionRoleArn"
    SERVERLESS_LOG_GROUP = "EmrServerlessLogGroup"
    DASHBOARD_URL = "PipelineDashboardUrl"  # the pipeline's CloudWatch dashboard (`wikilake status`)


def metrics_namespace(deployment: str) -> str:
    """The CloudWatch namespace of a deployment's custom metrics (``deployment``: its
    <prefix>-<stage> name): one per deployment, so the record function's grant, conditioned on
    it, cannot write another stage's metrics, and each dashboard graphs its own."""
    return f"{APP_NAME}/{deployment}"


def job_entrypoint_output(dataset: str) -> str:
    return Outputs.JOB_ENTRYPOINT_URL_PREFIX + dataset.title()


# The delivery pipeline hands the dev state machine's ARN to its integration check in this variable
# (stacks/delivery_stack.py sets it, wikilake/delivery_check.py reads it).
DELIVERY_STATE_MACHINE_ARN_ENV = "WIKILAKE_STATE_MACHINE_ARN"

# EMR's login user on the primary node (the SSH command the stack outputs and `wikilake ssh`).
SSH_USER = "hadoop"

TAG_PROJECT = "Project"
TAG_STAGE = "Stage"
TAG_COST_CENTER = "CostCenter"

# Tags on each run's transient cluster: how `wikilake ssh --run`, `runs` and alerts find it.
TAG_RUN_DATASET = "wikilake:dataset"
TAG_RUN_DT = "wikilake:dt"
TAG_RUN_EXECUTION = "wikilake:execution"
# Tag of the opt-in interactive cluster (with the app's Project and Stage): what the pipeline's
# grants and the plan function recognize it by when a run asks to use it (docs/atomic-days.md).
TAG_CLUSTER_ROLE = "wikilake:cluster"
INTERACTIVE = "interactive"
# Tag the record function puts on the objects of a day's superseded (or abandoned) runs; the lake
# bucket's lifecycle rule expires tagged objects (stacks/storage_stack.py, docs/atomic-days.md).
TAG_SUPERSEDED = "wikilake:superseded"
SUPERSEDED = "true"
