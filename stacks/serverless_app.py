"""runtime=emr-serverless: an EMR Serverless Spark application and the job runs' execution role.

The application starts itself when a job run arrives and stops after `idle_timeout_minutes`
without one; its maximum capacity (vCPU and memory across all its workers) is the cost guard.
Workers run in the stack's subnet behind a security group with no ingress, on the release's own
image (no bootstrap actions: the job package must run on the image's Python, see
wikilake_core/release_labels.py). Logs go to `logs/emr-serverless/` in the lake and to CloudWatch Logs.

The execution role is as narrow as the EMR-on-EC2 instance role (stacks/emr_roles.py): the same
lake prefixes (its own log prefix instead of EMR's), the job-code objects, this app's Glue tables
and the lake's key; nothing for SSM or EC2, since there are no instances.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emrserverless as emrs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import nag
from stacks.job_code import JobCode
from stacks.job_data_access import acknowledge_lake_prefixes, allow, grant_job_data
from wikilake_core import layout, prices

APPLICATION_TYPE = "Spark"
# The workers' architecture, the one the price table prices (docs/runtimes.md: ARM64 is ~20% cheaper).
ARCHITECTURE = prices.SERVERLESS_ARCHITECTURE
SERVICE_PRINCIPAL = "emr-serverless.amazonaws.com"
LOG_STREAM_ACTIONS = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]


class ServerlessApp(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        release_label: str,
        idle_timeout_minutes: int,
        max_vcpu: int,
        max_memory_gb: int,
        vpc: ec2.IVpc,
        subnet_id: str,
        bucket: s3.IBucket,
        bucket_nag_name: str,
        data_key: kms.IKey | None,
        job_code: JobCode,
        database_name: str,
        table_names: Iterable[str],
        spark_defaults: dict[str, str],
        log_group: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = Stack.of(self)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            allow_all_outbound=True,
            description=f"{name} EMR Serverless workers: no ingress; out to S3 (gateway endpoint) and AWS APIs",
        )
        # The job runs' CloudWatch logs (stacks/log_groups.audit_log_group in the stack: retention,
        # kept in prod, deleted in dev, the data key with kms=true).
        self.log_group = log_group
        self.log_uri = f"s3://{bucket.bucket_name}/{layout.EMR_SERVERLESS_LOGS}/"
        self.application = self._application(
            name,
            release_label=release_label,
            idle_timeout_minutes=idle_timeout_minutes,
            max_capacity=(f"{max_vcpu} vCPU", f"{max_memory_gb} GB"),
            subnet_id=subnet_id,
            spark_defaults=spark_defaults,
        )
        self.application_arn = self._stack.format_arn(
            service="emr-serverless",
            resource="/applications",
            resource_name=self.application.attr_application_id,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.execution_role = self._execution_role(name)
        grant_job_data(
            self.execution_role,
            bucket=bucket,
            data_key=data_key,
            log_prefix=layout.EMR_SERVERLESS_LOGS,
            database=database_name,
            table_names=table_names,
        )
        job_code.grant_job_read(self.execution_role)
        self._grant_logs()
        self._acknowledge(bucket_nag_name)

    def _application(
        self,
        name: str,
        *,
        release_label: str,
        idle_timeout_minutes: int,
        max_capacity: tuple[str, str],
        subnet_id: str,
        spark_defaults: dict[str, str],
    ) -> emrs.CfnApplication:
        """Starts itself for a job run, stops when idle; at most ``max_capacity`` (vCPU, memory)."""
        cpu, memory = max_capacity
        return emrs.CfnApplication(
            self,
            "Application",
            name=name,
            release_label=release_label,
            type=APPLICATION_TYPE,
            architecture=ARCHITECTURE,
            auto_start_configuration=emrs.CfnApplication.AutoStartConfigurationProperty(enabled=True),
            auto_stop_configuration=emrs.CfnApplication.AutoStopConfigurationProperty(
                enabled=True, idle_timeout_minutes=idle_timeout_minutes
            ),
            maximum_capacity=emrs.CfnApplication.MaximumAllowedResourcesProperty(cpu=cpu, memory=memory),
            network_configuration=emrs.CfnApplication.NetworkConfigurationProperty(
                subnet_ids=[subnet_id], security_group_ids=[self.security_group.security_group_id]
            ),
            monitoring_configuration=emrs.CfnApplication.MonitoringConfigurationProperty(
                s3_monitoring_configuration=emrs.CfnApplication.S3MonitoringConfigurationProperty(log_uri=self.log_uri),
                cloud_watch_logging_configuration=emrs.CfnApplication.CloudWatchLoggingConfigurationProperty(
                    enabled=True, log_group_name=self.log_group.log_group_name, log_stream_name_prefix="jobs"
                ),
            ),
            runtime_configuration=[
                emrs.CfnApplication.ConfigurationObjectProperty(
                    classification="spark-defaults", properties=spark_defaults
                )
            ],
        )

    def _execution_role(self, name: str) -> iam.Role:
        """Assumed by EMR Serverless for this account's application only (confused deputy)."""
        return iam.Role(
            self,
            "ExecutionRole",
            description=f"{name} EMR Serverless job runs: lake prefixes, job code, Glue tables",
            assumed_by=iam.ServicePrincipal(
                SERVICE_PRINCIPAL,
                conditions={
                    "StringEquals": {"aws:SourceAccount": self._stack.account},
                    "ArnLike": {"aws:SourceArn": self.application.attr_arn},
                },
            ),
        )

    def _grant_logs(self) -> None:
        allow(self.execution_role, "WriteJobLogs", LOG_STREAM_ACTIONS, [self.log_group.log_group_arn])
        # DescribeLogGroups has no resource-level scoping beyond the account's log groups.
        allow(
            self.execution_role,
            "FindLogGroup",
            ["logs:DescribeLogGroups"],
            [
                self._stack.format_arn(
                    service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
                )
            ],
        )

    def _acknowledge(self, bucket: str) -> None:
        acknowledge_lake_prefixes(
            self.execution_role,
            bucket,
            layout.EMR_SERVERLESS_LOGS,
            "EMR Serverless writes each job run's driver and executor logs here",
        )
        nag.acknowledge(
            self.execution_role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]",
            "logs:DescribeLogGroups only (it cannot be scoped to one group): EMR Serverless looks up "
            "the job's log group before it writes to it; writes are scoped to that group.",
        )
