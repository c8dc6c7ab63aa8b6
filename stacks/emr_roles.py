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
from constructs import Construct, IConstruct

from stacks import nag
from stacks.job_code import JobCode
from stacks.job_data_access import acknowledge_lake_prefixes, allow, grant_job_data, grant_spark_event_logs
from wikilake_core import layout

# The services that assume the cluster's roles: EMR its service role, EC2 its nodes' instance role.
EMR_SERVICE = "elasticmapreduce.amazonaws.com"
EC2_SERVICE = "ec2.amazonaws.com"
EMR_SERVICE_POLICY = "service-role/AmazonEMRServicePolicy_v2"
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


class EmrRoles(Construct):
    """The cluster's instance role (and profile) and EMR's service role for the app ``name``: the
    lake ``bucket`` (cdk-nag spells it ``bucket_nag_name``), the Glue ``database_name`` and
    ``table_names``, the ``job_code``, the keys; ``tls_certificates_s3_uri``: the in-transit
    encryption certificates' zip, when the cluster uses its own."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        bucket: s3.IBucket,
        bucket_nag_name: str,
        data_key: kms.IKey | None,
        disk_key: kms.IKey,
        job_code: JobCode,
        database_name: str,
        table_names: Iterable[str],
        tls_certificates_s3_uri: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = Stack.of(self)
        self.instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal(EC2_SERVICE),
            description=f"{name} EMR nodes: lake prefixes, job code, Glue tables",
        )
        # EMR wants the profile name equal to the role name.
        self.instance_profile = iam.CfnInstanceProfile(
            self,
            "InstanceProfile",
            roles=[self.instance_role.role_name],
            instance_profile_name=self.instance_role.role_name,
        )
        grant_job_data(
            self.instance_role,
            bucket=bucket,
            data_key=data_key,
            log_prefix=layout.EMR_LOGS,
            database=database_name,
            table_names=table_names,
        )
        grant_spark_event_logs(self.instance_role, bucket, bucket_nag_name)
        self._grant_key_use(self.instance_role, disk_key)
        job_code.grant_cluster_read(self.instance_role)
        if tls_certificates_s3_uri:
            allow(
                self.instance_role,
                "ReadTlsCertificates",
                ["s3:GetObject"],
                [self._s3_object_arn(tls_certificates_s3_uri)],
            )
        self._grant_agents()
        self._acknowledge_instance_findings(bucket_nag_name)

        self.service_role = self._service_role(name)
        self._grant_key_use(self.service_role, disk_key)
        allow(
            self.service_role,
            "EbsVolumeGrants",
            KEY_GRANT_ACTIONS,
            [disk_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )

    @property
    def inline_policies(self) -> list[IConstruct]:
        """The roles' default policies, which the cluster must wait for (roles are referenced anyway)."""
        return [role.node.find_child("DefaultPolicy") for role in (self.instance_role, self.service_role)]

    def _s3_object_arn(self, uri: str) -> str:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        return f"arn:{self._stack.partition}:s3:::{bucket}/{key}"

    def _grant_agents(self) -> None:
        instances = self._instance_arn()
        allow(self.instance_role, "SsmAgentRegistration", SSM_AGENT_REGISTRATION, [instances])
        allow(
            self.instance_role,
            "SsmAgentChannels",
            SSM_AGENT_CHANNELS,
            ["*"],
            conditions={"ArnLike": {"ec2:SourceInstanceARN": instances}},
        )
        allow(
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
        allow(role, "UseDiskKey", KEY_USER_ACTIONS, [key.key_arn])

    def _service_role(self, name: str) -> iam.Role:
        account = self._stack.account
        role = iam.Role(
            self,
            "ServiceRole",
            description=f"{name} EMR service role",
            assumed_by=iam.ServicePrincipal(
                EMR_SERVICE,
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
        allow(
            role,
            "PassInstanceRole",
            ["iam:PassRole"],
            [self.instance_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": EC2_SERVICE}},
        )
        nag.acknowledge(
            role,
            nag.managed_policy_finding(EMR_SERVICE_POLICY),
            "AmazonEMRServicePolicy_v2 is the EMR service policy AWS maintains; it acts only on "
            "resources tagged for-use-with-amazon-emr-managed-policies=true.",
        )
        return role

    def _acknowledge_instance_findings(self, bucket_nag_name: str) -> None:
        acknowledge_lake_prefixes(
            self.instance_role,
            bucket_nag_name,
            layout.EMR_LOGS,
            "EMR pushes node, application and step logs here",
        )
        nag.acknowledge(
            self.instance_role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]",
            "ssm:UpdateInstanceInformation for the SSM agent: EMR launches the nodes, so their "
            "instance ids are unknown at deploy time; limited to this account and region.",
        )
        nag.acknowledge(
            self.instance_role,
            nag.iam5_finding("*"),
            "Only actions without resource-level permissions, each conditioned: the SSM agent's "
            "ssmmessages/ec2messages calls (ec2:SourceInstanceARN of this account's instances) and "
            "cloudwatch:PutMetricData (cloudwatch:namespace CWAgent).",
        )
