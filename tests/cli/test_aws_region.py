"""Which region the AWS verbs use: --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's.

The order is the AWS CLI v2's and the SDKs' (AWS SDKs and Tools Reference Guide, "AWS Region":
docs.aws.amazon.com/sdkref/latest/guide/feature-region.html; AWS CLI User Guide, environment
variables: docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html). botocore by
itself reads only AWS_DEFAULT_REGION (checked below, so the test fails if that ever changes and
the CLI's own lookup becomes redundant). The conftest sets AWS_DEFAULT_REGION=us-east-1, removes
AWS_REGION and points the shared config file at an empty folder.
"""

from __future__ import annotations

import argparse

import boto3
import pytest

from wikilake.aws.session import AwsContext
from wikilake_core.errors import WikilakeError


def context(region: str | None = None, profile: str | None = None) -> AwsContext:
    args = argparse.Namespace(region=region, profile=profile, endpoint_url=None, stack_prefix="Wikilake", stage="dev")
    return AwsContext.from_args(args)


@pytest.fixture
def profile_config(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text(
        "[profile lake]\nregion = ap-southeast-2\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return "lake"


def test_botocore_alone_ignores_aws_region(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    assert boto3.Session().region_name is None


def test_aws_region_wins_over_aws_default_region(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    assert context().region == "eu-west-1"


def test_aws_region_alone_is_enough(monkeypatch):
    """The issue's case: a new user with only AWS_REGION set was told to set AWS_REGION."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    assert context().region == "us-east-1"


def test_the_flag_wins_over_both_variables(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    assert context(region="ap-south-1").region == "ap-south-1"


def test_aws_default_region_is_read_when_aws_region_is_unset_or_blank(monkeypatch):
    assert context().region == "us-east-1"
    monkeypatch.setenv("AWS_REGION", " ")
    assert context().region == "us-east-1"


def test_the_variables_win_over_the_profile(monkeypatch, profile_config):
    assert context(profile=profile_config).region == "us-east-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert context(profile=profile_config).region == "eu-west-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert context(profile=profile_config).region == "ap-southeast-2"


def test_no_region_anywhere_names_every_way_to_set_one(monkeypatch, wikilake):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(WikilakeError) as raised:
        context()
    message = str(raised.value)
    assert all(way in message for way in ("--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile"))

    code, _, err = wikilake("status")
    assert code != 0
    assert err.count("\n") == 1 and "no AWS region" in err


def test_a_verb_reaches_the_deployment_with_only_aws_region(monkeypatch, wikilake, deployed, endpoint):
    """End to end: `wikilake status` against the moto deployment, region from AWS_REGION only."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    code, out, err = wikilake("status", "--endpoint-url", endpoint)
    assert code == 0, err
    assert "Wikilake-dev in us-east-1" in out and "NOT_DEPLOYED" not in out

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # wins: the deployment is not in that region
    code, out, err = wikilake("status", "--endpoint-url", endpoint)
    assert "Wikilake-dev in eu-west-1" in out and "NOT_DEPLOYED" in out
