"""stacks/narrowing.py: a construct's default child comes back as the class asked for, or a TypeError
names the construct; an optional setting the configuration's checks require comes back as is, or a
ConfigError names the key. The synthesized variants only take the good paths (WikilakeConfig
refuses the configurations that would reach the errors), so the errors are provoked here directly."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.narrowing import default_child, required
from wikilake_settings.config import ConfigError


@pytest.fixture
def stack():
    return cdk.Stack(cdk.App(), "Narrowing")


def test_default_child_is_the_resource_the_l2_construct_wraps(stack):
    group = logs.LogGroup(stack, "Group")
    resource = default_child(group, logs.CfnLogGroup)
    assert resource.node.path == "Narrowing/Group/Resource"
    assert resource.cfn_resource_type == "AWS::Logs::LogGroup"


def test_default_child_of_another_class_names_the_construct(stack):
    queue = sqs.Queue(stack, "Queue")
    with pytest.raises(TypeError, match=r"^Narrowing/Queue: its default child is CfnQueue, expected CfnLogGroup$"):
        default_child(queue, logs.CfnLogGroup)


def test_a_construct_without_a_default_child_is_refused(stack):
    with pytest.raises(TypeError, match=r"^Narrowing/Plain: its default child is NoneType, expected CfnResource$"):
        default_child(Construct(stack, "Plain"), cdk.CfnResource)


def test_a_required_setting_that_is_set_comes_back_unchanged():
    assert required("subnet-0abc1234def56789a", "subnet_id", "with vpc_id") == "subnet-0abc1234def56789a"
    assert required(0.0, "budget_monthly_usd", "here") == 0.0  # only None is missing, not a falsy value


def test_a_required_setting_that_is_missing_is_a_one_line_config_error():
    with pytest.raises(ConfigError) as error:
        required(None, "subnet_id", "with vpc_id")
    assert str(error.value) == "context subnet_id: required with vpc_id; fix: set subnet_id"
