"""CloudWatch log groups of the app: each one has a retention, goes with its stack in dev, and is
encrypted with the data key when `kms=true`.

Two kinds:
- audit log groups (VPC flow logs, the state machine's history): retained in prod like the
  buckets, marked with AUDIT_METADATA so tests/infra/test_removal.py can tell them apart;
- the log groups of CDK's own provider functions (S3 auto-delete, default-security-group
  restriction), which CDK declares without one: Lambda would create `/aws/lambda/<name>` at first
  invocation, with no retention, and `cdk destroy` would leave it behind. ProviderLogGroups
  declares one per provider and points the function at it.
"""

from __future__ import annotations

import jsii
from aws_cdk import CfnResource, IAspect, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from stacks.narrowing import default_child

AUDIT_RETENTION = logs.RetentionDays.ONE_MONTH
# Provider logs only matter while a deploy or destroy is being debugged.
PROVIDER_RETENTION = logs.RetentionDays.ONE_WEEK
AUDIT_METADATA = ("wikilake:audit-log", True)
LAMBDA_FUNCTION = "AWS::Lambda::Function"


def audit_log_group(
    scope: Construct,
    construct_id: str,
    *,
    data_key: kms.IKey | None,
    removal: RemovalPolicy = RemovalPolicy.RETAIN,
) -> logs.LogGroup:
    """A log group holding audit data, kept when its stack goes unless ``removal`` says otherwise
    (dev: stacks.storage_stack.removal_policy)."""
    group = logs.LogGroup(
        scope, construct_id, retention=AUDIT_RETENTION, encryption_key=data_key, removal_policy=removal
    )
    default_child(group, logs.CfnLogGroup).add_metadata(*AUDIT_METADATA)
    return group


@jsii.implements(IAspect)
class ProviderLogGroups:
    """Gives every Lambda function that CDK declares as a plain CfnResource (the singleton
    custom-resource providers) a log group of its own: retention, encryption, deleted with the stack.

    Functions built with aws_lambda (CfnFunction) are left alone: with the feature flag
    `@aws-cdk/aws-lambda:useCdkManagedLogGroup` CDK already declares theirs, and their authors set
    retention and removal policy there.
    """

    def __init__(self, data_key: kms.IKey | None) -> None:
        self._data_key = data_key

    def visit(self, node: IConstruct) -> None:
        if (
            not isinstance(node, CfnResource)
            or isinstance(node, lambda_.CfnFunction)
            or node.cfn_resource_type != LAMBDA_FUNCTION
        ):
            return
        group = logs.LogGroup(
            provider_scope(node),
            "LogGroup",
            retention=PROVIDER_RETENTION,
            encryption_key=self._data_key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # The function references the group, so the group exists before any invocation and is
        # deleted only after the function (and the custom resources calling it) are gone.
        node.add_property_override("LoggingConfig", {"LogGroup": group.log_group_name})


def provider_scope(function: CfnResource) -> Construct:
    """The construct declaring a provider's function (its log group goes beside it): every
    CfnResource is declared inside one, only the root construct has no scope."""
    scope = function.node.scope
    if not isinstance(scope, Construct):
        raise TypeError(f"{function.node.path}: its scope is {type(scope).__name__}, expected a Construct")
    return scope
