"""runtime=emr-serverless: an EMR Serverless Spark application and the job runs' execution role.

The application starts itself when a job run arrives and stops after `idle_timeout_minutes`
without one; its maximum capacity (vCPU and memory across all its workers) is the cost guard.
Workers run in the stack's subnet behind a security group with no ingress, on the release's own
image (no bootstrap actions: the job package must run on the image's Python, see
stacks/release_labels.py). Logs go to `logs/emr-serverless/` in the lake and to CloudWatch Logs.

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
from stacks.emr_roles import GLUE_DEFAULT_DATABASE, GLUE_READ_ACTIONS, READ_PREFIXES
from stacks.job_code import JobCode
from wikilake_core import layout

APPLICATION_TYPE = "Spark"
ARCHITECTURE = "X86_64"  # what the bench's sizing assumes (docs/runtimes.md: ARM64 is ~20% cheaper)
SERVICE_PRINCIPAL = "emr-serverless.amazonaws.com"
WRITE_PREFIXES = (layout.PROCESSED, layout.REJECTED, layout.MANIFESTS, layout.EMR_SERVERLESS_LOGS)
PREFIX_USES = {
    layout.RAW: "the jobs read the day's dump files, named by Wikimedia",
    layout.PROCESSED: "the jobs replace dt partitions of their tables (Spark part-file names)",
    layout.REJECTED: "the jobs write the records they reject, per dataset and dt",
    layout.MANIFESTS: "the jobs write (and reruns read) the run manifest per dataset and dt",
    layout.EMR_SERVERLESS_LOGS: "EMR Serverless writes each job run's driver and executor logs here",
}
LOG_STREAM_ACTIONS = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]


def _under(prefixes: Iterable[str]) -> list[str]:
    return [f"{prefix}/*" for prefix in prefixes]


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
        self.application = emrs.CfnApplication(
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
            maximum_capacity=emrs.CfnApplication.MaximumAllowedResourcesProperty(
                cpu=f"{max_vcpu} vCPU", memory=f"{max_memory_gb} GB"
            ),
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
                    classification="spark-defaults",
                    properties=spark_defaults,
                )
            ],
        )
        self.application_arn = self._stack.format_arn(
            service="emr-serverless",
            resource="/applications",
            resource_name=self.application.attr_application_id,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.execution_role = iam.Role(
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
        self._grant_lake(bucket, data_key)
        self._grant_glue(database_name, table_names)
        job_code.grant_job_read(self.execution_role)
        self._grant_logs()
        self._acknowledge(bucket_nag_name)

    def _allow(self, sid: str, actions: list[str], resources: list[str], conditions: dict | None = None) -> None:
        self.execution_role.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions)
        )

    def _glue_arn(self, resource: str, name: str | None = None) -> str:
        return self._stack.format_arn(
            service="glue", resource=resource, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )

    def _grant_lake(self, bucket: s3.IBucket, data_key: kms.IKey | None) -> None:
        listable = list(dict.fromkeys([*READ_PREFIXES, *WRITE_PREFIXES]))
        self._allow(
            "ListLakePrefixes",
            ["s3:ListBucket"],
            [bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [*listable, *_under(listable)]}},
        )
        self._allow("ReadLake", ["s3:GetObject"], [bucket.arn_for_objects(p) for p in _under(READ_PREFIXES)])
        self._allow(
            "WriteJobOutputs",
            ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            [bucket.arn_for_objects(p) for p in _under(WRITE_PREFIXES)],
        )
        if data_key:
            self._allow("UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [data_key.key_arn])

    def _grant_glue(self, database: str, table_names: Iterable[str]) -> None:
        self._allow(
            "ReadCatalog",
            GLUE_READ_ACTIONS,
            [
                self._glue_arn("catalog"),
                self._glue_arn("database", database),
                self._glue_arn("database", GLUE_DEFAULT_DATABASE),
                *(self._glue_arn("table", f"{database}/{table}") for table in table_names),
            ],
        )
        self._allow(
            "CreateDefaultDatabase",
            ["glue:CreateDatabase"],
            [self._glue_arn("catalog"), self._glue_arn("database", GLUE_DEFAULT_DATABASE)],
        )

    def _grant_logs(self) -> None:
        self._allow("WriteJobLogs", LOG_STREAM_ACTIONS, [self.log_group.log_group_arn])
        # DescribeLogGroups has no resource-level scoping beyond the account's log groups.
        self._allow(
            "FindLogGroup",
            ["logs:DescribeLogGroups"],
            [
                self._stack.format_arn(
                    service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
                )
            ],
        )

    def _acknowledge(self, bucket: str) -> None:
        for prefix, use in PREFIX_USES.items():
            nag.acknowledge(
                self.execution_role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}/*]",
                f"Objects under {prefix}/ of the lake bucket only: {use}.",
            )
        nag.acknowledge(
            self.execution_role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]",
            "logs:DescribeLogGroups only (it cannot be scoped to one group): EMR Serverless looks up "
            "the job's log group before it writes to it; writes are scoped to that group.",
        )
