"""Where the cluster runs: a VPC (new, or an existing one by id), its subnet and security groups.

The new VPC has one public subnet (no NAT gateway to pay for), an S3 gateway endpoint so lake
traffic stays off the internet, and flow logs. SSH reaches the primary node only from
`ssh_cidrs`, through a security group EMR never edits.
"""

from __future__ import annotations

from aws_cdk import Annotations, Fn, RemovalPolicy, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from stacks.log_groups import audit_log_group
from stacks.narrowing import required

# AmazonEMRServicePolicy_v2 acts only on subnets and security groups carrying this tag.
EMR_MANAGED_POLICY_TAG = ("for-use-with-amazon-emr-managed-policies", "true")
VPC_CIDR = "10.80.0.0/16"
SSH_PORT = 22
INTRA_CLUSTER_PORTS = (ec2.Port.all_tcp(), ec2.Port.all_udp(), ec2.Port.all_icmp())


def tag_for_emr(construct: IConstruct) -> None:
    Tags.of(construct).add(*EMR_MANAGED_POLICY_TAG)


class ClusterNetwork(Construct):
    """``vpc_id`` and ``subnet_id``: an existing VPC and subnet, else a new VPC whose flow logs
    (encrypted with ``data_key``) go with the stack as ``removal`` says. ``cluster_groups``: the
    security groups of an EMR on EC2 cluster (EMR Serverless brings its own); ``ssh_cidrs``: who
    may reach the primary node on port 22 (nobody by default)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data_key: kms.IKey | None,
        vpc_id: str | None = None,
        subnet_id: str | None = None,
        cluster_groups: bool = True,
        ssh_cidrs: tuple[str, ...] = (),
        removal: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        if vpc_id:
            # Only the id is needed (security groups): no lookup, so synth needs no AWS credentials.
            self.vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=vpc_id, availability_zones=Fn.get_azs())
            Annotations.of(self.vpc).acknowledge_warning(
                "@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
                "Only the VPC id is used (for the security groups); no construct selects its subnets.",
            )
            self.subnet_id = required(subnet_id, "subnet_id", "with vpc_id")
        else:
            self.vpc = self._new_vpc(data_key, removal)
            self.subnet_id = self.vpc.public_subnets[0].subnet_id
            for subnet in self.vpc.public_subnets:
                tag_for_emr(subnet)
        if not cluster_groups:
            return
        self.primary_security_group = self._managed_security_group("PrimarySecurityGroup", "primary node")
        self.core_security_group = self._managed_security_group("CoreSecurityGroup", "core and task nodes")
        self._declare_intra_cluster_rules()
        self.ssh_security_group = self._ssh_security_group(ssh_cidrs) if ssh_cidrs else None

    def _new_vpc(self, data_key: kms.IKey | None, removal: RemovalPolicy) -> ec2.Vpc:
        flow_log_group = audit_log_group(self, "FlowLogGroup", data_key=data_key, removal=removal)
        return ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
            max_azs=1,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
            ],
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            flow_logs={
                "AllTraffic": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )

    def _managed_security_group(self, construct_id: str, nodes: str) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            construct_id,
            vpc=self.vpc,
            allow_all_outbound=True,
            description=f"EMR-managed security group of the {nodes}",
        )
        tag_for_emr(group)
        return group

    def _declare_intra_cluster_rules(self) -> None:
        """The rules EMR would add between its managed groups, declared here instead.

        EMR adds missing rules at cluster start; rules it adds that reference the other group are
        unknown to CloudFormation and block deleting both groups on destroy.
        """
        groups = (self.primary_security_group, self.core_security_group)
        for group in groups:
            for peer in groups:
                for port in INTRA_CLUSTER_PORTS:
                    group.add_ingress_rule(peer, port, "intra-cluster traffic")

    def _ssh_security_group(self, cidrs: tuple[str, ...]) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "SshSecurityGroup",
            vpc=self.vpc,
            allow_all_outbound=False,
            description="SSH to the primary node from the configured CIDRs only",
        )
        for cidr in cidrs:
            peer = ec2.Peer.ipv6(cidr) if ":" in cidr else ec2.Peer.ipv4(cidr)
            group.add_ingress_rule(peer, ec2.Port.tcp(SSH_PORT), f"SSH from {cidr}")
        tag_for_emr(group)
        return group
