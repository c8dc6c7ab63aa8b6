"""The data bucket's name, known at synth time so no stack needs a cross-stack reference to it.

Without `bucket_name` it is <prefix>-<stage>-<account>-<region> (lower case), unique per account
and region; the account and region are CloudFormation pseudo parameters, so the name also has a
stable spelling in cdk-nag finding ids.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from wikilake_settings.config import WikilakeConfig

# The construct id of the lake bucket in the storage stack, and of its import in the others.
DATA_BUCKET_ID = "DataBucket"
NAG_ACCOUNT = "<AWS::AccountId>"
NAG_REGION = "<AWS::Region>"


def lake_bucket_name(config: WikilakeConfig, account: str, region: str) -> str:
    return config.bucket_name or f"{config.name.lower()}-{account}-{region}"


def lake_bucket_name_in_stack(config: WikilakeConfig, scope: Construct) -> str:
    stack = Stack.of(scope)
    return lake_bucket_name(config, stack.account, stack.region)


def lake_bucket_nag_name(config: WikilakeConfig) -> str:
    """How cdk-nag spells the bucket name in finding ids."""
    return lake_bucket_name(config, NAG_ACCOUNT, NAG_REGION)


def import_lake_bucket(scope: Construct, config: WikilakeConfig) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(scope, DATA_BUCKET_ID, lake_bucket_name_in_stack(config, scope))
