"""ProcessingStack: the pipeline (state machine, functions, alerts, schedules), the ONE cluster
definition its runs use and everything a cluster needs (network, key pair, IAM, encryption), the
opt-in interactive cluster (interactive_cluster=true) with the steps declared in context, and an
optional monthly budget. A default deploy runs no compute.

runtime=emr-serverless: the pipeline runs its jobs on an EMR Serverless application instead
(stacks/serverless_app.py); no cluster definition, key pair, disk key or instance role then."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import CfnOutput, Duration, Fn, Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emr as emr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import nag
from stacks.cluster_network import EMR_MANAGED_POLICY_TAG, ClusterNetwork
from stacks.emr_cluster import cfn_cluster
from stacks.emr_roles import EC2_SERVICE, EMR_SERVICE, EmrRoles
from stacks.emr_security import security_configuration
from stacks.job_code import JobCode
from stacks.lake_bucket import import_lake_bucket, lake_bucket_nag_name
from stacks.lease_table import LeaseTable
from stacks.log_groups import audit_log_group
from stacks.narrowing import required
from stacks.pipeline import Pipeline, pipeline_settings
from stacks.pipeline_dashboard import DashboardProps, PipelineDashboard
from stacks.serverless_app import ServerlessApp
from stacks.storage_stack import removal_policy
from wikilake_core import contract, datasets, layout
from wikilake_core.cluster import (
    GLUE_METASTORE_FACTORY,
    BootstrapAction,
    ClusterDefinition,
)
from wikilake_core.contract import SSH_USER, Outputs
from wikilake_core.submit import spark_step
from wikilake_settings.config import WikilakeConfig

BUDGET_ALERTS = (("ACTUAL", 80), ("FORECASTED", 100))  # (notification type, percent of the limit)


class ProcessingStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: WikilakeConfig,
        data_key: kms.IKey | None,
        job_code: JobCode,
        table_names: Iterable[str],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = import_lake_bucket(self, config)
        self.config = config
        self.network = ClusterNetwork(
            self,
            "Network",
            data_key=data_key,
            vpc_id=config.vpc_id,
            subnet_id=config.subnet_id,
            # EMR Serverless brings its own security group.
            cluster_groups=not config.is_serverless,
            ssh_cidrs=config.ssh_cidrs,
            removal=removal_policy(config),
        )
        # Leases shared by the pipeline's executions (its download slots).
        self.leases = LeaseTable(self, "Leases", data_key=data_key)
        if config.is_serverless:
            self._serverless_runtime(bucket, data_key, job_code, table_names)
        else:
            self._cluster_runtime(bucket, data_key, job_code, table_names)

    def _cluster_runtime(
        self, bucket: s3.IBucket, data_key: kms.IKey | None, job_code: JobCode, table_names: Iterable[str]
    ) -> None:
        """runtime=emr-ec2: the ONE cluster definition, the pipeline whose runs use it, the opt-in
        interactive cluster."""
        config = self.config
        self._cluster_security(bucket, data_key, job_code, table_names)
        self.log_uri = f"s3://{bucket.bucket_name}/{layout.EMR_LOGS}/"
        self.cluster_definition = self._cluster_definition(job_code)
        self._pipeline(
            bucket,
            data_key,
            job_code,
            definition=self.cluster_definition,
            pass_roles=[
                (self.roles.service_role, EMR_SERVICE),
                (self.roles.instance_role, EC2_SERVICE),
            ],
        )
        # Opt-in: a default deploy runs no compute at all (no cluster, no instance).
        self.cluster = self._interactive_cluster(bucket, job_code) if config.interactive_cluster else None
        if config.budget_monthly_usd:
            self._budget(config.budget_monthly_usd)
        self._outputs()

    def _pipeline(
        self,
        bucket: s3.IBucket,
        data_key: kms.IKey | None,
        job_code: JobCode,
        *,
        definition: ClusterDefinition | None = None,
        pass_roles: list[tuple[iam.IRole, str]] | None = None,
        serverless: ServerlessApp | None = None,
    ) -> None:
        """The pipeline and its dashboard, on the cluster ``definition`` (passing ``pass_roles``)
        or on the ``serverless`` application."""
        self.pipeline = Pipeline(
            self,
            "Pipeline",
            settings=pipeline_settings(self.config),
            bucket=bucket,
            data_key=data_key,
            job_code=job_code,
            leases=self.leases,
            definition=definition,
            pass_roles=pass_roles,
            serverless=serverless,
        )
        self.dashboard = self._dashboard(
            serverless_application_id=serverless.application.attr_application_id if serverless else None
        )

    def _cluster_security(
        self, bucket: s3.IBucket, data_key: kms.IKey | None, job_code: JobCode, table_names: Iterable[str]
    ) -> None:
        """The clusters' key pair, disk key, IAM roles and security configuration."""
        config = self.config
        # The configured key pair, or one created here (its private key is then in SSM).
        self.created_key_pair: ec2.KeyPair | None = None
        if config.key_pair_name:
            self.key_pair: ec2.IKeyPair = ec2.KeyPair.from_key_pair_name(self, "KeyPair", config.key_pair_name)
        else:
            self.created_key_pair = self.key_pair = ec2.KeyPair(
                self,
                "KeyPair",
                key_pair_name=config.name.lower(),
                type=ec2.KeyPairType.RSA,
                format=ec2.KeyPairFormat.PEM,
            )
        self.disk_key = kms.Key(
            self,
            "ClusterDiskKey",
            description=f"{config.name} EMR local disks and EBS volumes",
            enable_key_rotation=True,
            removal_policy=removal_policy(config),
        )
        self.roles = EmrRoles(
            self,
            "Iam",
            name=config.name,
            bucket=bucket,
            bucket_nag_name=lake_bucket_nag_name(config),
            data_key=data_key,
            disk_key=self.disk_key,
            job_code=job_code,
            database_name=config.database_name,
            table_names=table_names,
            tls_certificates_s3_uri=config.tls_certificates_s3_uri,
        )
        self.security_configuration = emr.CfnSecurityConfiguration(
            self,
            "SecurityConfiguration",
            security_configuration=security_configuration(
                disk_key_arn=self.disk_key.key_arn,
                s3_key_arn=data_key.key_arn if data_key else None,
                tls_certificates_s3_uri=config.tls_certificates_s3_uri,
            ),
        )

    def _serverless_runtime(
        self, bucket: s3.IBucket, data_key: kms.IKey | None, job_code: JobCode, table_names: Iterable[str]
    ) -> None:
        """runtime=emr-serverless: the application and the pipeline that runs its jobs there."""
        config = self.config
        self.serverless = ServerlessApp(
            self,
            "Serverless",
            name=config.name,
            release_label=config.release.label,
            idle_timeout_minutes=config.idle_timeout_minutes,
            max_vcpu=config.serverless_max_vcpu,
            max_memory_gb=config.serverless_max_memory_gb,
            vpc=self.network.vpc,
            subnet_id=self.network.subnet_id,
            bucket=bucket,
            bucket_nag_name=lake_bucket_nag_name(config),
            data_key=data_key,
            job_code=job_code,
            database_name=config.database_name,
            table_names=table_names,
            spark_defaults={"spark.hadoop.hive.metastore.client.factory.class": GLUE_METASTORE_FACTORY},
            # What ran, with which command and result: audit data, like the state machine's history.
            log_group=audit_log_group(self, "ServerlessJobLogs", data_key=data_key, removal=removal_policy(config)),
        )
        self._pipeline(bucket, data_key, job_code, serverless=self.serverless)
        if config.budget_monthly_usd:
            self._budget(config.budget_monthly_usd)
        self._pipeline_outputs()
        CfnOutput(
            self,
            Outputs.SERVERLESS_APPLICATION_ID,
            value=self.serverless.application.attr_application_id,
            description="EMR Serverless application the pipeline runs its jobs on",
        )
        CfnOutput(
            self,
            Outputs.SERVERLESS_EXECUTION_ROLE_ARN,
            value=self.serverless.execution_role.role_arn,
            description="Execution role of the EMR Serverless job runs",
        )
        CfnOutput(
            self,
            Outputs.SERVERLESS_LOG_GROUP,
            value=self.serverless.log_group.log_group_name,
            description="CloudWatch log group of the job runs (also in the lake under logs/emr-serverless/)",
        )

    def _dashboard(self, serverless_application_id: str | None) -> PipelineDashboard:
        """The pipeline's CloudWatch dashboard (its URL is an output)."""
        pipeline = self.pipeline
        return PipelineDashboard(
            self,
            "Dashboard",
            DashboardProps(
                name=self.config.name,
                state_machine=pipeline.state_machine,
                functions=pipeline.functions.by_label,
                metrics_namespace=contract.metrics_namespace(self.config.name),
                datasets=datasets.DATASETS,
                serverless_application_id=serverless_application_id,
            ),
        )

    def _cluster_definition(self, job_code: JobCode) -> ClusterDefinition:
        """The ONE cluster definition: the interactive cluster and every run's cluster."""
        config, network = self.config, self.network
        shape = config.cluster_shape
        return ClusterDefinition(
            release_label=config.release.label,
            python=config.release.python,
            applications=config.release.applications,
            instance_groups=shape.instance_groups,
            subnet_id=network.subnet_id,
            key_name=self.key_pair.key_pair_name,
            primary_security_group=network.primary_security_group.security_group_id,
            core_security_group=network.core_security_group.security_group_id,
            additional_primary_security_groups=(
                (network.ssh_security_group.security_group_id,) if network.ssh_security_group else ()
            ),
            service_role=self.roles.service_role.role_name,
            job_flow_role=self.roles.instance_profile.ref,
            security_configuration=self.security_configuration.ref,
            log_uri=self.log_uri,
            bootstrap_actions=(
                BootstrapAction("ensure-python", job_code.ensure_python.s3_object_url, (config.release.python,)),
            ),
            idle_timeout_seconds=int(Duration.minutes(config.idle_timeout_minutes).to_seconds()),
            managed_scaling=shape.managed_scaling,
            termination_protected=config.is_prod,
            tags=(EMR_MANAGED_POLICY_TAG, *config.tags.items()),
        )

    def _interactive_cluster(self, bucket: s3.IBucket, job_code: JobCode) -> emr.CfnCluster:
        config = self.config
        steps = [
            spark_step(dataset, dt, bucket=bucket.bucket_name, scripts=job_code.scripts) for dataset, dt in config.steps
        ]
        cluster = cfn_cluster(self, "Cluster", self.cluster_definition, name=config.name, steps=steps)
        # Its role tag (beside the app's Project and Stage) is what a run naming it is checked and
        # granted against (stacks/run_clusters.py); runs' own clusters never carry it. Adding it to
        # a deployed cluster updates it in place (AWS::EMR::Cluster Tag: "Update requires: No
        # interruption", CloudFormation template reference).
        cluster.tags.set_tag(contract.TAG_CLUSTER_ROLE, contract.INTERACTIVE)
        # The nodes must find their permissions in place when they boot.
        cluster.node.add_dependency(*self.roles.inline_policies)
        self._acknowledge_encryption_findings(cluster)
        return cluster

    def _acknowledge_encryption_findings(self, cluster: emr.CfnCluster) -> None:
        """cdk-nag 3.0.2 looks for the encryption switches at the top level of the security
        configuration instead of under EncryptionConfiguration, so a correct one still fails;
        tests/infra/test_processing.py checks the nested document instead."""
        nag.acknowledge(
            cluster,
            "AwsSolutions-EMR4",
            "Local-disk (and EBS) encryption with a rotating KMS key is enabled under "
            "EncryptionConfiguration; cdk-nag 3.0.2 reads the top level (known bug), tested separately.",
        )
        in_transit = (
            "In-transit TLS is enabled with the configured PEM certificates under EncryptionConfiguration; "
            "cdk-nag 3.0.2 reads the top level (known bug), tested separately."
            if self.config.tls_certificates_s3_uri
            else "dev stage without tls_certificates_s3_uri: in-transit TLS needs a certificate zip the "
            "project cannot create for you; node traffic stays inside the cluster's own security "
            "groups, lake and catalog traffic is TLS anyway. stage=prod refuses to synth without it."
        )
        nag.acknowledge(cluster, "AwsSolutions-EMR5", in_transit)

    def _budget(self, monthly_usd: float) -> None:
        config = self.config
        email = required(config.budget_email, "budget_email", "with budget_monthly_usd")
        budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{config.name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_usd, unit="USD"),
                # Needs the Project tag activated as a cost allocation tag (docs/configuration.md, deploy).
                cost_filters={"TagKeyValue": [f"user:{contract.TAG_PROJECT}${contract.APP_NAME}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=email)],
                )
                for kind, percent in BUDGET_ALERTS
            ],
        )

    def _ssh_command(self, cluster: emr.CfnCluster) -> str:
        if not self.config.ssh_cidrs:
            return "SSH is disabled: redeploy with -c ssh_cidrs=<your-ip>/32 (or use SSM Session Manager)"
        return Fn.join("", [f"ssh -i {self.key_pair.key_pair_name}.pem {SSH_USER}@", cluster.attr_master_public_dns])

    def _pipeline_outputs(self) -> None:
        # The delivery's integration step reads it (stacks/delivery_stack.py).
        self.state_machine_arn_output = CfnOutput(
            self,
            Outputs.STATE_MACHINE_ARN,
            value=self.pipeline.state_machine.state_machine_arn,
            description='The pipeline: start an execution with {"dataset": ..., "dt": ...}',
        )
        CfnOutput(
            self,
            Outputs.ALERTS_TOPIC_ARN,
            value=self.pipeline.alerts.topic_arn,
            description="SNS topic for failed, timed-out and stopped runs and failed clusters",
        )
        CfnOutput(
            self,
            Outputs.DEAD_LETTER_QUEUE_URL,
            value=self.pipeline.failures.queue.queue_url,
            description="SQS dead letters: events a schedule, rule or the reap function could not deliver",
        )
        CfnOutput(
            self,
            Outputs.DASHBOARD_URL,
            value=self.dashboard.url,
            description="CloudWatch dashboard: runs, functions, compute and each dataset's seconds, rows and USD",
        )

    def _outputs(self) -> None:
        self._pipeline_outputs()
        if self.cluster is not None:
            CfnOutput(self, Outputs.CLUSTER_ID, value=self.cluster.ref, description="Interactive EMR cluster id")
            CfnOutput(
                self,
                Outputs.PRIMARY_DNS,
                value=self.cluster.attr_master_public_dns,
                description="Public DNS of the interactive cluster's primary node",
            )
            CfnOutput(
                self,
                Outputs.SSH_COMMAND,
                value=self._ssh_command(self.cluster),
                description="SSH to the interactive cluster's primary node",
            )
        CfnOutput(self, Outputs.LOG_URI, value=self.log_uri, description="EMR log location")
        CfnOutput(self, Outputs.KEY_PAIR_NAME, value=self.key_pair.key_pair_name, description="EC2 key pair")
        if self.created_key_pair is not None:
            CfnOutput(
                self,
                Outputs.KEY_PAIR_SSM_PARAMETER,
                value=self.created_key_pair.private_key.parameter_name,
                description="SSM parameter holding the private key (SecureString)",
            )
