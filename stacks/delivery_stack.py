"""DeliveryStack (opt-in, docs/delivery.md): a CDK Pipelines pipeline from the fork's GitHub
repository that synthesizes the app as the Makefile does, deploys the dev stage, proves it with
one real pipeline execution (wikilake/delivery_check.py), waits for a manual approval, then
deploys prod. Self-mutating: a change to this stack reaches the pipeline through the pipeline.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Aws, Duration, RemovalPolicy, Stack, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from stacks import nag
from stacks.narrowing import required
from stacks.wikilake_app import WikilakeStage, state_machine_name
from wikilake_core import contract
from wikilake_core.paths import PROJECT_ROOT
from wikilake_settings.config import WikilakeConfig, context_arguments
from wikilake_settings.delivery_source import DeliverySource

# The integration run: one pageviews day whose 24 hourly dumps are published (2024-03-15), with
# allow_missing_hours so a dump the mirror lacks that day does not fail the delivery by itself.
INTEGRATION_DATASET = "pageviews"
INTEGRATION_DT = "2024-03-15"
# The run's deadline: ingest of a day of pageviews plus a transient cluster's start and job.
INTEGRATION_TIMEOUT = Duration.minutes(90)
# Ubuntu standard:7.0 offers Python 3.11 as a runtime version (CodeBuild "Available runtimes").
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
PYTHON_RUNTIME = {"phases": {"install": {"runtime-versions": {"python": "3.11"}}}}
ARTIFACT_LOG_PREFIX = "artifacts-access/"
ACCESS_LOG_DAYS = 90

# cdk-nag's spelling of an ARN's partition, region and account in finding ids.
NAG_ARN_PREFIX = "<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>"
# What CDK Pipelines' grants on the artifact bucket and its key add (grantRead / grantReadWrite).
ARTIFACT_READ_ACTIONS = [
    "Action::kms:GenerateDataKey*",
    "Action::kms:ReEncrypt*",
    "Action::s3:GetBucket*",
    "Action::s3:GetObject*",
    "Action::s3:List*",
]
ARTIFACT_WRITE_ACTIONS = ["Action::s3:DeleteObject*", "Action::s3:Abort*"]
ARTIFACTS_REASON = (
    "CDK Pipelines' grant on this pipeline's own artifact bucket and its key: artifacts are "
    "objects named per execution, so the grant covers the bucket's objects, nothing else."
)
PROJECT_LOGS_REASON = (
    "CodeBuild writes the project's own log streams and test reports, named per build: the log "
    "group and report groups carry the project's name."
)
SELF_MUTATION_DESCRIBE_REASON = (
    "Self-mutation runs `cdk deploy` of this stack: cloudformation:DescribeStacks and "
    "s3:ListBucket take no narrower resource before the CLI knows the bootstrap stack."
)
BOOTSTRAP_ROLES_REASON = (
    "sts:AssumeRole only on roles tagged aws-cdk:bootstrap-role (deploy, file-publishing, "
    "image-publishing): the CDK bootstrap roles of this account, which do the deploying."
)
ASSETS_REASON = (
    "The asset-publishing action role of CDK Pipelines starts its CodeBuild builds and writes "
    "their logs; it publishes through the bootstrap file-publishing role."
)


def delivery_stack_name(prefix: str) -> str:
    return f"{prefix}-Delivery"


def pinned_cdk_cli() -> str:
    return json.loads((PROJECT_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]


def add_delivery(
    app: App, config: WikilakeConfig, stages: tuple[WikilakeConfig, WikilakeConfig], context: Mapping[str, Any]
) -> DeliveryStack:
    """The delivery pipeline, which owns the app's stacks: they are deployed through it, not beside it."""
    defaults = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    dev, prod = stages
    name = delivery_stack_name(config.stack_prefix)
    return DeliveryStack(
        app,
        name,
        stack_name=name,
        source=required(config.delivery, "delivery_repo", "with delivery_connection_arn for the delivery pipeline"),
        dev=dev,
        prod=prod,
        synth_args=context_arguments(context, defaults),
        tags={**dev.tags, contract.TAG_STAGE: "delivery"},
        description="wikilake: delivery pipeline (source, synth, dev, integration run, approval, prod)",
    )


class DeliveryStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: DeliverySource,
        dev: WikilakeConfig,
        prod: WikilakeConfig,
        synth_args: tuple[str, ...],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        repository = pipelines.CodePipelineSource.connection(
            source.repo, source.branch, connection_arn=source.connection_arn
        )
        # CDK Pipelines names the source action after the repository, "/" made "_".
        self.source_action_name = source.repo.replace("/", "_")
        self.synth = self._synth_step(repository, synth_args)
        self.artifact_bucket = self._artifact_bucket()
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self.synth,
            artifact_bucket=self.artifact_bucket,
            self_mutation=True,
            # Self-mutation and asset publishing run the CLI package.json pins, not the latest.
            cli_version=pinned_cdk_cli(),
            # One assets project instead of one per asset: the app ships a dozen file assets.
            publish_assets_in_parallel=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE)
            ),
        )
        self.dev_stage = WikilakeStage(self, "Dev", config=dev)
        self.prod_stage = WikilakeStage(self, "Prod", config=prod)
        self.integration_step = self._integration_step(repository, dev)
        self.pipeline.add_stage(self.dev_stage, post=[self.integration_step])
        self.pipeline.add_stage(
            self.prod_stage,
            pre=[
                pipelines.ManualApprovalStep(
                    "PromoteToProd",
                    comment=f"dev passed its integration run ({INTEGRATION_DATASET} dt={INTEGRATION_DT}): "
                    "deploy this commit to prod?",
                )
            ],
        )
        self.pipeline.build_pipeline()  # now the steps have their CodeBuild projects and roles
        self._acknowledge_generated_grants(dev)

    def _acknowledge_generated_grants(self, dev: WikilakeConfig) -> None:
        """cdk-nag IAM5 on the roles CDK Pipelines makes: its grants on the pipeline's own
        artifact bucket and key, and each CodeBuild project's own logs and report groups."""
        artifacts = f"<{nag.logical_id(self.artifact_bucket)}.Arn>/*"
        read = [*ARTIFACT_READ_ACTIONS, f"Resource::{artifacts}"]
        read_write = [*read, *ARTIFACT_WRITE_ACTIONS]
        pipeline = self.pipeline.pipeline
        source_role = pipeline.node.find_child("Source").node.find_child(self.source_action_name).node
        nag_all(pipeline.role, read_write, ARTIFACTS_REASON)
        nag_all(source_role.find_child("CodePipelineActionRole"), read_write, ARTIFACTS_REASON)
        for step, grants in ((self.synth, read_write), (self.integration_step, read)):
            nag_all(project_role(step.project), grants, ARTIFACTS_REASON)
            nag_all(project_role(step.project), self._project_logs(step.project), PROJECT_LOGS_REASON)
        mutation = self.pipeline.self_mutation_project
        mutation_role = project_role(mutation)
        nag_all(mutation_role, read, ARTIFACTS_REASON)
        nag_all(mutation_role, self._project_logs(mutation), PROJECT_LOGS_REASON)
        nag.acknowledge(mutation_role, nag.iam5_finding("*"), SELF_MUTATION_DESCRIBE_REASON)
        nag.acknowledge(
            mutation_role, "AwsSolutions-IAM5[Resource::arn:*:iam::<AWS::AccountId>:role/*]", BOOTSTRAP_ROLES_REASON
        )
        assets = self.node.find_child("Pipeline").node.find_child("Assets").node.find_child("FileRole")
        nag.skip_checkov(
            assets.node.find_child("DefaultPolicy"),
            "CKV_AWS_111",
            "CDK Pipelines' asset-publishing role starts, stops and reads its own CodeBuild builds "
            "(codebuild:StartBuild/StopBuild/BatchGetBuilds on *); no data is written.",
        )
        nag_all(assets, [*ARTIFACT_READ_ACTIONS[2:], f"Resource::{artifacts}"], ARTIFACTS_REASON)
        nag_all(
            assets,
            [
                "Resource::*",
                f"Resource::arn:{NAG_ARN_PREFIX.format(service='logs')}:log-group:/aws/codebuild/*",
                f"Resource::arn:{NAG_ARN_PREFIX.format(service='codebuild')}:report-group/*",
            ],
            ASSETS_REASON,
        )
        nag.acknowledge(
            project_role(self.integration_step.project),
            f"AwsSolutions-IAM5[Resource::arn:{NAG_ARN_PREFIX.format(service='states')}:"
            f"execution:{state_machine_name(dev)}:*]",
            "Executions get their names when started: DescribeExecution and GetExecutionHistory "
            "on the executions of the dev state machine only (its fixed name), nothing else.",
        )

    def _project_logs(self, project: codebuild.IProject) -> list[str]:
        """The finding ids of a CodeBuild project's grants on its own log group and report groups."""
        logical_id = f"<{nag.logical_id(project)}>"
        return [
            f"Resource::arn:{NAG_ARN_PREFIX.format(service='logs')}:log-group:/aws/codebuild/{logical_id}:*",
            f"Resource::arn:{NAG_ARN_PREFIX.format(service='codebuild')}:report-group/{logical_id}-*",
        ]

    def _artifact_bucket(self) -> s3.Bucket:
        """Encrypted with a key of its own (rotated), TLS only, private, access-logged."""
        logs = s3.Bucket(
            self,
            "ArtifactAccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery needs SSE-S3
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_DAYS))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        key = kms.Key(
            self,
            "ArtifactKey",
            description="wikilake delivery pipeline artifacts",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        return s3.Bucket(
            self,
            "Artifacts",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=logs,
            server_access_logs_prefix=ARTIFACT_LOG_PREFIX,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _synth_step(
        self, repository: pipelines.CodePipelineSource, synth_args: tuple[str, ...]
    ) -> pipelines.CodeBuildStep:
        """`make synth` as a developer runs it (it installs what it needs first), with the
        context this stack was synthesized with beyond cdk.json (so the pipeline finds itself)."""
        cdk_args = " ".join(synth_args)
        return pipelines.CodeBuildStep(
            "Synth",
            input=repository,
            partial_build_spec=codebuild.BuildSpec.from_object(PYTHON_RUNTIME),
            commands=[f"make synth PYTHON=python3 CDK_ARGS={shlex.quote(cdk_args)}"],
            primary_output_directory="cdk.out",
        )

    def _integration_step(
        self, repository: pipelines.CodePipelineSource, dev: WikilakeConfig
    ) -> pipelines.CodeBuildStep:
        state_machine_arn = self.dev_stage.stacks.processing.state_machine_arn_output
        command = [
            "python3",
            "-m",
            "wikilake.delivery_check",
            INTEGRATION_DATASET,
            "--date",
            INTEGRATION_DT,
            "--allow-missing-hours",
            "--timeout",
            str(INTEGRATION_TIMEOUT.to_minutes()),
        ]
        return pipelines.CodeBuildStep(
            "IntegrationRun",
            input=repository,
            partial_build_spec=codebuild.BuildSpec.from_object(PYTHON_RUNTIME),
            # boto3 at requirements.txt's pins; the check needs nothing else from the project.
            install_commands=["python3 -m pip install --quiet -c requirements.txt boto3 botocore"],
            commands=[shlex.join(command)],
            env_from_cfn_outputs={contract.DELIVERY_STATE_MACHINE_ARN_ENV: state_machine_arn},
            role_policy_statements=integration_statements(dev),
            timeout=INTEGRATION_TIMEOUT.plus(Duration.minutes(10)),
        )


def integration_statements(dev: WikilakeConfig) -> list[iam.PolicyStatement]:
    """What the integration step may do beyond CodeBuild's own logs and artifacts: start
    executions of the dev state machine, and read those executions; nothing else."""
    name = state_machine_name(dev)
    prefix = f"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    return [
        iam.PolicyStatement(
            sid="StartDevPipelineRuns",
            actions=["states:StartExecution"],
            resources=[f"{prefix}:stateMachine:{name}"],
        ),
        iam.PolicyStatement(
            sid="ReadDevPipelineRuns",
            actions=["states:DescribeExecution", "states:GetExecutionHistory"],
            resources=[f"{prefix}:execution:{name}:*"],
        ),
    ]


def project_role(project: codebuild.IProject) -> iam.IRole:
    """The role of a CodeBuild project CDK Pipelines made (with a role: only an imported project has none)."""
    role = project.role
    if role is None:
        raise TypeError(f"{project.node.path}: a CodeBuild project without a role")
    return role


def nag_all(construct: IConstruct, findings: list[str], reason: str) -> None:
    for finding in findings:
        nag.acknowledge(construct, f"AwsSolutions-IAM5[{finding}]", reason)
