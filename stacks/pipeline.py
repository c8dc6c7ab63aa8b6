"""The pipeline: one Step Functions state machine that runs (dataset, dt) end to end on compute
that exists only for the run, its Lambda functions, the alerts, the optional schedules.

Its parts, each with narrow props: the functions and their grants (stacks/pipeline_functions.py),
the state machine's definition (stacks/pipeline_definition.py, with the runtime's job stage from
stacks/cluster_job.py or stacks/serverless_job.py), the alerts (stacks/pipeline_alerts.py) and the
schedules (stacks/pipeline_schedule.py). Each part builds into this construct's scope rather than
a child of its own: a child would add its id to the path of every resource, and so change the
logical ids a deployed pipeline already has (its alerts topic with the e-mail subscriptions, the
dead-letter queue, the execution history's log group), replacing them on the next deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.cluster_job import ClusterJobStage
from stacks.job_code import JobCode
from stacks.lake_bucket import lake_bucket_nag_name
from stacks.lease_table import LeaseTable
from stacks.log_groups import audit_log_group
from stacks.pipeline_alerts import PipelineAlerts
from stacks.pipeline_definition import DefinitionProps, JobStage, PipelineDefinition
from stacks.pipeline_functions import FunctionsProps, PipelineFunctions
from stacks.pipeline_schedule import add_schedules
from stacks.run_clusters import RunClusters
from stacks.serverless_app import ServerlessApp
from stacks.serverless_job import ServerlessJobStage
from stacks.storage_stack import removal_policy
from wikilake_core import contract, run_sizing
from wikilake_core.cluster import ClusterDefinition
from wikilake_settings.config import WikilakeConfig


@dataclass(frozen=True)
class PipelineSettings:
    """What the pipeline takes from the app's configuration (pipeline_settings builds it from
    WikilakeConfig): names, what a run may be given, who hears of failures, when it runs."""

    name: str
    database_name: str
    bucket_nag_name: str  # the lake bucket as cdk-nag spells it in finding ids
    run_bounds: run_sizing.RunBounds
    app_tags: Mapping[str, str]  # its Project and Stage tags name the app's run clusters
    schedule: tuple[tuple[str, str], ...] = ()  # (dataset, EventBridge Scheduler expression)
    alert_email: str | None = None
    contact: str | None = None  # for the downloads' User-Agent
    ingest_reserved_concurrency: int | None = None
    interactive_cluster: bool = False
    history_removal: RemovalPolicy = RemovalPolicy.RETAIN  # the state machine's execution logs


def pipeline_settings(config: WikilakeConfig) -> PipelineSettings:
    return PipelineSettings(
        name=config.name,
        database_name=config.database_name,
        bucket_nag_name=lake_bucket_nag_name(config),
        run_bounds=run_bounds(config),
        app_tags=config.tags,
        schedule=config.schedule,
        alert_email=config.alert_email,
        contact=config.contact,
        ingest_reserved_concurrency=config.ingest_reserved_concurrency,
        interactive_cluster=config.interactive_cluster,
        history_removal=removal_policy(config),
    )


def run_bounds(config: WikilakeConfig) -> run_sizing.RunBounds:
    """What the plan function may give a run (context keys), for its SizeRun state."""
    return run_sizing.RunBounds(
        runtime=config.runtime,
        core_instance_type=config.core_instance_type,
        core_nodes_min=config.core_instance_count,
        core_nodes_max=config.run_core_nodes_max,
        target_seconds=config.run_target_minutes * 60,
        run_timeout_seconds=run_sizing.RUN_TIMEOUT_SECONDS,
        serverless_max_vcpu=config.serverless_max_vcpu,
        serverless_max_memory_gb=config.serverless_max_memory_gb,
        task_nodes=config.task_instance_count,
        managed_scaling_max=config.managed_scaling_max,
        task_spot=config.task_spot,
    )


class Pipeline(Construct):
    """runtime=emr-ec2: give the cluster ``definition`` and the roles RunJobFlow passes
    (``pass_roles``: (role, service) pairs); runtime=emr-serverless: the ``serverless`` application."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: PipelineSettings,
        bucket: s3.IBucket,
        data_key: kms.IKey | None,
        job_code: JobCode,
        leases: LeaseTable,
        definition: ClusterDefinition | None = None,
        pass_roles: list[tuple[iam.IRole, str]] | None = None,
        serverless: ServerlessApp | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        alerts = PipelineAlerts(self, name=settings.name, email=settings.alert_email)
        self.alerts, self.failures = alerts.topic, alerts.failures
        clusters = None if serverless else RunClusters.of(self, settings.app_tags)
        self.functions = PipelineFunctions(
            self,
            FunctionsProps(
                name=settings.name,
                bucket=bucket,
                lake_nag_name=settings.bucket_nag_name,
                database_name=settings.database_name,
                leases=leases,
                alerts=alerts.topic,
                dead_letters=alerts.failures.queue,
                job_scripts=job_code.scripts,
                run_bounds=settings.run_bounds,
                metrics_namespace=contract.metrics_namespace(settings.name),
                clusters=clusters,
                serverless=serverless,
                data_key=data_key,
                contact=settings.contact,
                ingest_reserved_concurrency=settings.ingest_reserved_concurrency,
                interactive_cluster=bool(clusters and settings.interactive_cluster),
            ),
        )
        job = self._job_stage(alerts, clusters, definition, pass_roles or [], serverless, settings.interactive_cluster)
        history = audit_log_group(self, "ExecutionLogs", data_key=data_key, removal=settings.history_removal)
        self.state_machine = PipelineDefinition(
            self,
            DefinitionProps(
                name=settings.name, functions=self.functions, alerts=alerts.topic, execution_logs=history, job=job
            ),
        ).state_machine
        alerts.watch_runs(self.state_machine, self.functions.reap)
        add_schedules(
            self,
            name=settings.name,
            state_machine=self.state_machine,
            entries=settings.schedule,
            dead_letters=alerts.failures.queue,
        )

    @staticmethod
    def _job_stage(
        alerts: PipelineAlerts,
        clusters: RunClusters | None,
        definition: ClusterDefinition | None,
        pass_roles: list[tuple[iam.IRole, str]],
        serverless: ServerlessApp | None,
        interactive: bool,
    ) -> JobStage:
        """The runtime's job stage (on EMR on EC2 with the interactive cluster: a run may name
        it), and the alert for its compute failing."""
        if serverless:
            alerts.watch_job_runs(serverless.application.attr_application_id)
            return ServerlessJobStage(serverless)
        if definition and clusters:
            alerts.watch_clusters()
            return ClusterJobStage(
                definition=definition, pass_roles=pass_roles, clusters=clusters, interactive=interactive
            )
        raise ValueError("Pipeline: give a cluster definition (runtime=emr-ec2) or a serverless application")
