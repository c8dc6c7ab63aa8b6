"""cdk-nag (AwsSolutions, 3.x API): registering the checks and acknowledging single findings; and
checkov's skips, which it reads from a resource's own metadata.

An acknowledgment names one exact finding (granular ids like ``AwsSolutions-IAM5[Resource::...]``)
on one construct, with the reason it is acceptable there; docs/security.md lists them all, as the
synthesized stacks record them (tests/infra/test_docs.py).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, CfnResource, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from stacks.narrowing import default_child


def register_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=reason))


def managed_policy_finding(policy_path: str) -> str:
    """The IAM4 finding id for an AWS managed policy, e.g. ``service-role/AmazonEMRServicePolicy_v2``."""
    return f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy_path}]"


def iam5_finding(resource: str) -> str:
    """The IAM5 (wildcard permission) finding id on ``resource`` as cdk-nag spells it: ``*``, or an
    ARN with ``<AWS::Partition>``-style pseudo parameters and ``<LogicalId.Attribute>`` references."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def lake_objects_finding(bucket_nag_name: str, prefix: str) -> str:
    """The IAM5 finding id on every object under ``prefix``/ of the lake bucket."""
    return iam5_finding(f"arn:<AWS::Partition>:s3:::{bucket_nag_name}/{prefix}/*")


def skip_checkov(construct: IConstruct, check_id: str, reason: str) -> None:
    """checkov skips ``check_id`` on the resource (the construct's default child) for ``reason``:
    the resource's `Metadata.checkov.skip` in the template (checkov.io, 2.Basics, "Suppressing and
    Skipping Policies", CloudFormation)."""
    cfn_resource(construct).add_metadata("checkov", {"skip": [{"id": check_id, "comment": reason}]})


def logical_id(construct: IConstruct) -> str:
    """The logical id of the construct's resource, as cdk-nag writes references to it (``<id.Arn>``)."""
    resource = cfn_resource(construct)
    return resource.stack.get_logical_id(resource)


def cfn_resource(construct: IConstruct) -> CfnResource:
    """The construct itself if it is a CloudFormation resource, else its default child."""
    return construct if isinstance(construct, CfnResource) else default_child(construct, CfnResource)
