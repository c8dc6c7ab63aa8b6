"""cdk-nag (AwsSolutions, 3.x API): registering the checks and acknowledging single findings.

An acknowledgment names one exact finding (granular ids like ``AwsSolutions-IAM5[Resource::...]``)
on one construct, with the reason it is acceptable there; docs/security.md lists them all, as the
synthesized stacks record them (tests/infra/test_docs.py).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def register_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=reason))


def managed_policy_finding(policy_path: str) -> str:
    """The IAM4 finding id for an AWS managed policy, e.g. ``service-role/AmazonEMRServicePolicy_v2``."""
    return f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy_path}]"
