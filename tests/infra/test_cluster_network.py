"""stacks/cluster_network.ClusterNetwork on its own, with only what it must be given: the defaults
are the safe ones (flow logs kept when the stack goes, no SSH from anywhere)."""

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.cluster_network import SSH_PORT, ClusterNetwork


def _template(**props) -> dict:
    stack = cdk.Stack(cdk.App(), "Network")
    ClusterNetwork(stack, "Network", data_key=None, **props)
    return Template.from_stack(stack).to_json()["Resources"]


def _of_type(resources: dict, kind: str) -> list[dict]:
    return [r for r in resources.values() if r["Type"] == kind]


def _ssh_ingress(resources: dict) -> list[dict]:
    inline = [
        rule
        for group in _of_type(resources, "AWS::EC2::SecurityGroup")
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    separate = [r["Properties"] for r in _of_type(resources, "AWS::EC2::SecurityGroupIngress")]
    return [rule for rule in inline + separate if rule.get("FromPort") == SSH_PORT]


def test_by_default_the_flow_logs_are_kept_and_no_one_reaches_ssh():
    resources = _template()
    (flow_logs,) = _of_type(resources, "AWS::Logs::LogGroup")
    assert flow_logs["DeletionPolicy"] == "Retain"
    assert len(_of_type(resources, "AWS::EC2::SecurityGroup")) == 2  # the primary and core nodes'
    assert _ssh_ingress(resources) == []


def test_ssh_is_open_to_the_given_cidrs_only_and_serverless_gets_no_cluster_groups():
    rules = _ssh_ingress(_template(ssh_cidrs=("203.0.113.0/24",)))
    assert [(rule.get("CidrIp"), rule["ToPort"]) for rule in rules] == [("203.0.113.0/24", SSH_PORT)]
    assert _of_type(_template(cluster_groups=False), "AWS::EC2::SecurityGroup") == []
