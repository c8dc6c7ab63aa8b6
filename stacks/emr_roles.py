"""The cluster's IAM: the EMR service role and the nodes' instance role + profile, least privilege.

The instance role reads raw/ and writes only the prefixes the jobs produce, reads the job code
objects and nothing else of the asset bucket, and reads only this app's Glue tables.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks import nag
from stacks.config import WikilakeConfig
from stacks.job_code import JobCode
from stacks.lake_bucket import lake_bucket_nag_name
from wikilake_core import layout

EMR_SERVICE_POLICY = "service-role/AmazonEMRServicePolicy_v2"
READ_PREFIXES = (layout.RAW, layout.PROCESSED, layout.REJECTED, layout.MANIFESTS)
WRITE_PREFIXES = (layout.PROCESSED, layout.REJECTED, layout.MANIFESTS, layout.EMR_LOGS)
# Why the nodes need every object under each prefix (keys are generated at run time).
PREFIX_USES = {
    layout.RAW: "the jobs read the day's dump files, named by Wikimedia",
    layout.PROCESSED: "the jobs replace dt partitions of their tables (Spark part-file names)",
    layout.REJECTED: "the jobs write the records they reject, per dataset and dt",
    layout.MANIFESTS: "the jobs write (and reruns read) the run manifest per dataset and dt",
    layout.EMR_LOGS: "EMR pushes node, application and step logs here",
}
GLUE_READ_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
]
# The Glue metastore client checks for (and creates, when missing) the `default` database at start.
GLUE_DEFAULT_DATABASE = "default"
# SSM Session Manager's agent on the nodes. It registers its own instance (this action takes
# instance resources); its message channels take no resource, so they are limited by
# ec2:SourceInstanceARN, which names the instance whose role credentials sign the call.
SSM_AGENT_REGISTRATION = ["ssm:UpdateInstanceInformation"]
SSM_AGENT_CHANNELS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
]
# PutMetricData takes no resource; the namespace condition limits it to the namespace of the
# CloudWatch agent EMR 7 offers as an application (its default), the only metrics writer on the nodes.
METRIC_NAMESPACES = ["CWAgent"]
KEY_USER_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
]
# EMR attaches encrypted EBS volumes through grants on the disk key.
KEY_GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


def _under(prefixes: Iterable[str]) -> list[str]:
    return [f"{prefix}/*" for prefix in prefixes]


class EmrRoles(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: WikilakeConfig,
        bucket: s3.IBucket,
        data_key: kms.IKey | None,
        disk_key: kms.IKey,
        job_code: JobCode,
        table_names: Iterable[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = Stack.of(self)
        self.instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"{config.name} EMR nodes: lake prefixes, job code, Glue tables",
        )
        # EMR wants the profile name equal to the role name.
        self.instance_profile = iam.CfnInstanceProfile(
            self,
            "InstanceProfile",
            roles=[self.instance_role.role_name],
            instance_profile_name=self.instance_role.role_name,
        )
        self._grant_lake(bucket, data_key)
        self._grant_glue(config.database_name, table_names)
        self._grant_key_use(self.instance_role, disk_key)
        job_code.grant_cluster_read(self.instance_role)
        if config.tls_certificates_s3_uri:
            self._allow(
                self.instance_role,
                "ReadTlsCertificates",
                ["s3:GetObject"],
                [self._s3_object_arn(config.tls_certificates_s3_uri)],
            )
        self._grant_agents()
        self._acknowledge_instance_findings(config)

        self.service_role = self._service_role(config)
        self._grant_key_use(self.service_role, disk_key)
        self._allow(
            self.service_role,
            "EbsVolumeGrants",
            KEY_GRANT_ACTIONS,
            [disk_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )

    @property
    def inline_policies(self) -> list[Construct]:
        """The roles' default policies, which the cluster must wait for (roles are referenced anyway)."""
        return [role.node.find_child("DefaultPolicy") for role in (self.instance_role, self.service_role)]

    @staticmethod
    def _allow(
        role: iam.Role, sid: str, actions: list[str], resources: list[str], conditions: dict | None = None
    ) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions)
        )

    def _s3_object_arn(self, uri: str) -> str:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        return f"arn:{self._stack.partition}:s3:::{bucket}/{key}"

    def _glue_arn(self, resource: str, name: str | None = None) -> str:
        return self._stack.format_arn(
            service="glue", resource=resource, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )

    def _grant_lake(self, bucket: s3.IBucket, data_key: kms.IKey | None) -> None:
        listable = list(dict.fromkeys([*READ_PREFIXES, *WRITE_PREFIXES]))
        self._allow(
            self.instance_role,
            "ListLakePrefixes",
            ["s3:ListBucket"],
            [bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [*listable, *_under(listable)]}},
        )
        self._allow(
            self.instance_role,
            "ReadLake",
            ["s3:GetObject"],
            [bucket.arn_for_objects(pattern) for pattern in _under(READ_PREFIXES)],
        )
        self._allow(
            self.instance_role,
            "WriteJobOutputs",
            ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            [bucket.arn_for_objects(pattern) for pattern in _under(WRITE_PREFIXES)],
        )
        if data_key:
            self._allow(self.instance_role, "UseDataKey", ["kms:Decrypt", "kms:GenerateDataKey"], [data_key.key_arn])

    def _grant_glue(self, database: str, table_names: Iterable[str]) -> None:
        self._allow(
            self.instance_role,
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
            self.instance_role,
            "CreateDefaultDatabase",
            ["glue:CreateDatabase"],
            [self._glue_arn("catalog"), self._glue_arn("database", GLUE_DEFAULT_DATABASE)],
        )

    def _grant_agents(self) -> None:
        instances = self._instance_arn()
        self._allow(self.instance_role, "SsmAgentRegistration", SSM_AGENT_REGISTRATION, [instances])
        self._allow(
            self.instance_role,
            "SsmAgentChannels",
            SSM_AGENT_CHANNELS,
            ["*"],
            conditions={"ArnLike": {"ec2:SourceInstanceARN": instances}},
        )
        self._allow(
            self.instance_role,
            "PutAgentMetrics",
            ["cloudwatch:PutMetricData"],
            ["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACES}},
        )

    def _instance_arn(self) -> str:
        """Any EC2 instance of this account and region (EMR names the cluster's nodes at run time)."""
        return self._stack.format_arn(
            service="ec2", resource="instance", resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )

    def _grant_key_use(self, role: iam.Role, key: kms.IKey) -> None:
        self._allow(role, "UseDiskKey", KEY_USER_ACTIONS, [key.key_arn])

    def _service_role(self, config: WikilakeConfig) -> iam.Role:
        account = self._stack.account
        role = iam.Role(
            self,
            "ServiceRole",
            description=f"{config.name} EMR service role",
            assumed_by=iam.ServicePrincipal(
                "elasticmapreduce.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:{self._stack.partition}:elasticmapreduce:{self._stack.region}:{account}:*"
                        )
                    },
                },
            ),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(EMR_SERVICE_POLICY)],
        )
        # The managed policy may pass only EMR_EC2_DefaultRole; this cluster's nodes use ours.
        self._allow(
            role,
            "PassInstanceRole",
            ["iam:PassRole"],
            [self.instance_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        )
        nag.acknowledge(
            role,
            nag.managed_policy_finding(EMR_SERVICE_POLICY),
            "AmazonEMRServicePolicy_v2 is the EMR service policy AWS maintains; it acts only on "
            "resources tagged for-use-with-amazon-emr-managed-policies=true.",
        )
        return role

    def _acknowledge_instance_findings(self, config: WikilakeConfig) -> None:
        bucket = lake_bucket_nag_name(config)
        for prefix, use in PREFIX_USES.items():
            nag.acknowledge(
                self.instance_role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}/*]",
                f"Objects under {prefix}/ of the lake bucket only: {use}.",
            )
        nag.acknowledge(
            self.instance_role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]",
            "ssm:UpdateInstanceInformation for the SSM agent: EMR launches the nodes, so their "
            "instance ids are unknown at deploy time; limited to this account and region.",
        )
        nag.acknowledge(
            self.instance_role,
            "AwsSolutions-IAM5[Resource::*]",
            "Only actions without resource-level permissions, each conditioned: the SSM agent's "
            "ssmmessages/ec2messages calls (ec2:SourceInstanceARN of this account's instances) and "
            "cloudwatch:PutMetricData (cloudwatch:namespace CWAgent).",
        )
