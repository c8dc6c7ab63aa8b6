"""Deploy round trip with the real CDK CLI against a moto server: `cdk bootstrap`, `cdk deploy --all`,
what exists (through boto3), `cdk destroy --all --force`, and nothing of the app left.

Run it alone with `pytest -m roundtrip` (it also runs in `make test`). The moto server runs in this
process (patches below apply to it), on 127.0.0.1 with a free port and fake credentials; nothing
reaches AWS.

Where moto cannot model the app (moto 5.2.5), the test works around it or leaves the check out:
- Stacks deployed through a change set have no outputs in moto: the test deploys with
  `--method direct` (CreateStack), which is what the CLI does with that flag against AWS too.
- The CLI hands CloudFormation an S3 template URL; moto resolves its bucket only with host
  `localhost`: AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION.
- moto's CloudFormation passes KMS key tags as Key/Value to a KMS model expecting TagKey/TagValue
  (HTTP 500 on any stack with a tagged key), and the key policy as a dict where the model expects
  JSON (HTTP 500 on DescribeKey): patched here, in this process only.
- moto runs Lambda functions only in Docker, so CDK's custom-resource providers (S3 auto-delete,
  default-security-group restriction) never answer: their custom resources are created as
  succeeded at once, and what they do is not exercised (the buckets are empty anyway).
- moto's CloudFormation creates a bucket with its encryption and tags only: versioning, public
  access block, access logging, lifecycle rules and ownership controls are not asserted here
  (tests/infra/test_storage.py checks them in the template).
- No CloudFormation support for Glue, Athena and S3 bucket policies: moto skips those resources,
  so the database, tables, workgroup, named queries and TLS-only bucket policies are neither
  asserted after deploy nor after destroy (the Catalog stack's outputs are).
- The EMR cluster: moto's CloudFormation resolves only `Id` of AWS::EMR::Cluster in Fn::GetAtt,
  not `MasterPublicDNS` (the primary-DNS output): patched. moto's EMR adds an
  `ElasticMapReduce-ServiceAccess` security group to the VPC (AWS does so only for private
  subnets): the test deletes it before destroy. Both go once the cluster is opt-in.
- moto's CloudFormation does not delete VPC endpoints and route tables (the VPC then stays):
  patched. It has no model for EC2 key pairs: a minimal one on moto's key pairs is added, but the
  private key's SSM parameter (created by EC2) does not exist in moto and is not asserted.
- moto stores a role's inline `Policies` as a Python repr (policy_document reads both).
"""

from __future__ import annotations

import ast
import json
import logging
import os
import socket
import subprocess
import time
import urllib.request

import pytest

from wikilake_core.contract import Outputs
from wikilake_core.paths import PROJECT_ROOT

from .conftest import variant_config

pytestmark = [
    pytest.mark.roundtrip,
    # moto warns once per resource type it skips; the docstring lists them.
    pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto"),
]

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
BOOTSTRAP_STACK = "CDKToolkit"
CLI_TIMEOUT_S = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kms_key_as_kms_expects(create_key):
    """moto's CloudFormation hands the KMS model tags as Key/Value and the key policy as a dict;
    the model expects TagKey/TagValue and a JSON string."""

    def create_key_from_cloudformation(self, *args, policy=None, tags=None, **kwargs):
        tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags or []]
        policy = json.dumps(policy) if isinstance(policy, dict) else policy
        return create_key(self, *args, policy=policy, tags=tags, **kwargs)

    return create_key_from_cloudformation


def _custom_resource_created_at_once(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    from moto.cloudformation.custom_model import CustomModel

    resource = CustomModel(region_name, "roundtrip", kwargs["LogicalId"], resource_name)
    resource.set_data({})
    return resource


def _emr_cluster_attribute(get_cfn_attribute):
    def with_primary_dns(self, attribute_name):
        return (
            self.master_public_dns_name
            if attribute_name == "MasterPublicDNS"
            else get_cfn_attribute(self, attribute_name)
        )

    return with_primary_dns


class _KeyPairModel:
    """AWS::EC2::KeyPair for moto's CloudFormation, on moto's EC2 key pairs (moto has no model for it)."""

    def __init__(self, backend, key_pair):
        self._backend, self._key_pair = backend, key_pair

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::KeyPair"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("KeyPairId", "KeyFingerprint")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[account_id][region_name]
        properties = cloudformation_json["Properties"]
        return cls(backend, backend.create_key_pair(properties["KeyName"], properties.get("KeyType", "rsa"), tags={}))

    @property
    def physical_resource_id(self) -> str:
        return self._key_pair.key_name  # Ref of a key pair is its name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return {"KeyPairId": self._key_pair.id, "KeyFingerprint": self._key_pair.key_fingerprint}[attribute_name]

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region_name: str) -> None:
        self._backend.delete_key_pair(self._key_pair.key_name)


def _delete_vpc_endpoint(self, account_id: str, region_name: str) -> None:
    """moto's CloudFormation has no delete for AWS::EC2::VPCEndpoint (nor for RouteTable, below):
    they would stay, and with them the VPC. Deleting it removes its routes from the route tables
    that still exist (moto deletes in no particular order)."""
    self.route_table_ids = [table for table in self.route_table_ids if table in self.ec2_backend.route_tables]
    self.ec2_backend.delete_vpc_endpoints([self.id])


def _delete_route_table(self, account_id: str, region_name: str) -> None:
    self.ec2_backend.delete_route_table(self.id)


def _with_key_pairs(get_model_map):
    def model_map():
        return {**get_model_map(), _KeyPairModel.cloudformation_type(): _KeyPairModel}

    return model_map


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.cloudformation import parsing
    from moto.cloudformation.custom_model import CustomModel
    from moto.ec2.models.route_tables import RouteTable
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.emr.models import Cluster as EmrCluster
    from moto.kms.models import KmsBackend
    from moto.server import ThreadedMotoServer

    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KmsBackend, "create_key", _kms_key_as_kms_expects(KmsBackend.create_key))
        patch.setattr(CustomModel, "create_from_cloudformation_json", classmethod(_custom_resource_created_at_once))
        patch.setattr(EmrCluster, "has_cfn_attr", classmethod(lambda cls, attr: attr in ("Id", "MasterPublicDNS")))
        patch.setattr(EmrCluster, "get_cfn_attribute", _emr_cluster_attribute(EmrCluster.get_cfn_attribute))
        patch.setattr(parsing, "get_model_map", _with_key_pairs(parsing.get_model_map))
        patch.setattr(VPCEndPoint, "delete", _delete_vpc_endpoint, raising=False)
        patch.setattr(RouteTable, "delete", _delete_route_table, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        # moto's backends are process-wide: other tests of this session (tests/cli, tests/pipeline)
        # may have left resources behind, and the round trip starts from an empty account.
        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"), timeout=60
        ).close()
        try:
            yield port
        finally:
            server.stop()


@pytest.fixture(scope="module")
def aws_env(moto_endpoint):
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_endpoint}",
            "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": f"http://localhost:{moto_endpoint}",
            "CI": "true",
        }
    )
    return env


@pytest.fixture(scope="module")
def aws(aws_env):
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=aws_env["AWS_ENDPOINT_URL"])


def cdk(env: dict, tmp_path, *args: str) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [
            "npx",
            "--no-install",
            "cdk",
            *args,
            "--output",
            str(tmp_path / "cdk.out"),
            "--no-notices",
            "--no-version-reporting",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    print(f"cdk {args[0]}: {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, f"cdk {' '.join(args)} failed:\n{result.stdout}\n{result.stderr[-6000:]}"


def outputs(aws, stack: str) -> dict[str, str]:
    (described,) = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE", described["StackStatus"]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def physical_ids(aws, stack: str, resource_type: str) -> list[str]:
    resources = aws("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return [r["PhysicalResourceId"] for r in resources if r.get("ResourceType") == resource_type]


def app_leftovers(aws) -> dict[str, list]:
    """What of the app exists; the bootstrap stack's own resources are not the app's."""
    stacks = [
        s["StackName"]
        for s in aws("cloudformation").list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE" and s["StackName"] != BOOTSTRAP_STACK
    ]
    buckets = [b["Name"] for b in aws("s3").list_buckets()["Buckets"] if not b["Name"].startswith("cdk-")]
    roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if not r["RoleName"].startswith("cdk-")]
    log_groups = [g["logGroupName"] for g in aws("logs").describe_log_groups()["logGroups"]]
    # AWS managed keys (alias/aws/...: the account's aws/dynamodb key, made at the first table
    # encrypted with it) belong to the account and outlive every stack.
    aws_managed = {
        a.get("TargetKeyId") for a in aws("kms").list_aliases()["Aliases"] if a["AliasName"].startswith("alias/aws/")
    }
    keys = [
        k["KeyId"]
        for k in aws("kms").list_keys()["Keys"]
        if k["KeyId"] not in aws_managed
        and aws("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
    ]
    vpcs = [v["VpcId"] for v in aws("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]]
    security_groups = [
        g["GroupId"] for g in aws("ec2").describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"
    ]
    key_pairs = [k["KeyName"] for k in aws("ec2").describe_key_pairs()["KeyPairs"]]
    clusters = [
        c["Id"]
        for c in aws("emr").list_clusters(ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"])["Clusters"]
    ]
    return {
        "stacks": stacks,
        "buckets": buckets,
        "roles": roles,
        "log_groups": log_groups,
        "kms_keys": keys,
        "vpcs": vpcs,
        "security_groups": security_groups,
        "key_pairs": key_pairs,
        "emr_clusters": clusters,
    }


def check_storage(aws, stack: str) -> None:
    out = outputs(aws, stack)
    bucket = out[Outputs.BUCKET]
    assert bucket == f"wikilake-dev-{ACCOUNT}-{REGION}"
    s3 = aws("s3")
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["Project"] == "wikilake" and tags["Stage"] == "dev"
    # The job code the CLI submits: every URL output points at an uploaded object.
    urls = [value for key, value in out.items() if value.startswith("s3://")]
    assert Outputs.JOBS_PACKAGE_URL in out and len(urls) >= 3
    for url in urls:
        asset_bucket, key = url.removeprefix("s3://").split("/", 1)
        assert s3.head_object(Bucket=asset_bucket, Key=key)["ContentLength"] > 0, url
    for group in physical_ids(aws, stack, "AWS::Logs::LogGroup"):
        (described,) = aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert described.get("retentionInDays"), group


def check_catalog(aws, stack: str) -> None:
    out = outputs(aws, stack)
    assert out[Outputs.DATABASE] == "wikilake_dev"
    assert out[Outputs.WORKGROUP] == "Wikilake-dev"


def policy_document(document) -> dict:
    """boto3 decodes policy documents; moto returns a role's inline `Policies` as a Python repr."""
    if isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except json.JSONDecodeError:
        return ast.literal_eval(document)


def check_processing(aws, stack: str) -> None:
    out = outputs(aws, stack)
    # A default deploy runs no compute: the pipeline's state machine and alerts topic, no cluster.
    assert Outputs.CLUSTER_ID not in out and Outputs.SSH_COMMAND not in out
    assert (
        aws("stepfunctions").describe_state_machine(stateMachineArn=out[Outputs.STATE_MACHINE_ARN])["status"]
        == "ACTIVE"
    )
    assert aws("sns").get_topic_attributes(TopicArn=out[Outputs.ALERTS_TOPIC_ARN])["Attributes"]
    assert aws("emr").list_clusters()["Clusters"] == []
    assert aws("ec2").describe_instances()["Reservations"] == []
    iam = aws("iam")
    roles = physical_ids(aws, stack, "AWS::IAM::Role")
    assert roles
    policies = {
        name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for role in roles
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    sids = {s.get("Sid") for document in policies.values() for s in policy_document(document)["Statement"]}
    assert {"SsmAgentRegistration", "SsmAgentChannels", "ReadJobCode"} <= sids
    for key in physical_ids(aws, stack, "AWS::KMS::Key"):
        assert aws("kms").get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]


def remove_moto_emr_service_access_group(aws) -> None:
    """moto's EMR adds this group to the cluster's VPC, as AWS does only for private subnets (the
    app's subnet is public); left there, it blocks the VPC's deletion."""
    ec2 = aws("ec2")
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["ElasticMapReduce-ServiceAccess"]}]
    )["SecurityGroups"]
    for group in groups:
        ec2.delete_security_group(GroupId=group["GroupId"])


def test_deploy_and_destroy_with_the_real_cli(aws_env, aws, tmp_path):
    started = time.monotonic()
    cdk(aws_env, tmp_path, "bootstrap", f"aws://{ACCOUNT}/{REGION}")
    empty = app_leftovers(aws)
    assert empty == {key: [] for key in empty}, "moto is not empty"

    cdk(aws_env, tmp_path, "deploy", "--all", "--require-approval", "never", "--method", "direct")
    names = variant_config("default").stack_names
    check_storage(aws, names["storage"])
    check_catalog(aws, names["catalog"])
    check_processing(aws, names["processing"])
    deployed = app_leftovers(aws)
    assert sorted(deployed["stacks"]) == sorted(names.values())
    for kind in ("buckets", "roles", "log_groups", "kms_keys", "vpcs", "security_groups", "key_pairs"):
        assert deployed[kind], f"nothing deployed of {kind}: the check after destroy would prove nothing"

    remove_moto_emr_service_access_group(aws)
    cdk(aws_env, tmp_path, "destroy", "--all", "--force")
    assert app_leftovers(aws) == {key: [] for key in deployed}
    print(f"round trip: {time.monotonic() - started:.0f} s")
