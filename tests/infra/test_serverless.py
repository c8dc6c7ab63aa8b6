"""runtime=emr-serverless: the application, its network, logs and the execution role's exact
permissions; no cluster and no instance of any kind (variant `serverless`: prod, KMS data key)."""

import json
import re

import pytest

from wikilake_core import datasets
from wikilake_core.datasets import DATASETS

from .test_processing import all_ingress_rules, only

CLUSTER_TYPES = (
    "AWS::EMR::Cluster",
    "AWS::EMR::InstanceGroupConfig",
    "AWS::EMR::InstanceFleetConfig",
    "AWS::EMR::SecurityConfiguration",
    "AWS::EC2::Instance",
    "AWS::EC2::KeyPair",
    "AWS::IAM::InstanceProfile",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::EC2::LaunchTemplate",
)


@pytest.fixture(scope="module")
def processing(templates):
    return templates("serverless", "processing")


def application(processing) -> dict:
    return only(processing, "AWS::EMRServerless::Application")[1]["Properties"]


def render(value) -> str:
    """A template value as one string: Ref/GetAtt/stack outputs become ${...}, joins are joined."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"${{{value['Ref']}}}"
    if "Fn::GetAtt" in value:
        return f"${{{'.'.join(value['Fn::GetAtt'])}}}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if "Fn::Sub" in value:
        return value["Fn::Sub"]
    if "Fn::GetStackOutput" in value:
        return f"${{output:{value['Fn::GetStackOutput']['OutputName']}}}"
    raise AssertionError(f"unexpected intrinsic {value}")


def statements(processing, role_prefix: str) -> dict[str, tuple]:
    role, _ = only(processing, "AWS::IAM::Role", role_prefix)
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in processing.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role}]
    ]
    result = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        result[statement["Sid"]] = (
            sorted(actions),
            sorted(render(r) for r in resources),
            json.dumps(statement.get("Condition"), sort_keys=True),
        )
    return result


def test_no_cluster_and_no_instance_in_the_serverless_runtime(processing):
    for resource_type in CLUSTER_TYPES:
        processing.resource_count_is(resource_type, 0)
    processing.resource_count_is("AWS::EMRServerless::Application", 1)
    processing.resource_count_is("AWS::KMS::Key", 0)  # no disks of ours to encrypt


def test_application_runs_the_release_spark_with_auto_start_auto_stop_and_the_capacity_caps(processing):
    app = application(processing)
    assert (app["Type"], app["ReleaseLabel"], app["Architecture"]) == ("Spark", "emr-7.13.0", "X86_64")
    assert app["AutoStartConfiguration"] == {"Enabled": True}
    assert app["AutoStopConfiguration"] == {"Enabled": True, "IdleTimeoutMinutes": 15}
    assert app["MaximumCapacity"] == {"Cpu": "48 vCPU", "Memory": "192 GB"}
    assert "InitialCapacity" not in app  # no pre-initialized workers billed while idle
    assert app["RuntimeConfiguration"] == [
        {
            "Classification": "spark-defaults",
            "Properties": {
                "spark.hadoop.hive.metastore.client.factory.class": "com.amazonaws.glue.catalog.metastore."
                "AWSGlueDataCatalogHiveClientFactory"
            },
        }
    ]


def test_default_caps_come_from_cdk_json(synthesized, tmp_path):
    from .conftest import cdk_context

    context = cdk_context()
    assert (context["runtime"], context["serverless_max_vcpu"], context["serverless_max_memory_gb"]) == (
        "emr-ec2",
        32,
        128,
    )


def test_workers_run_in_the_stacks_subnet_behind_a_group_without_ingress(processing):
    network = application(processing)["NetworkConfiguration"]
    subnet, _ = only(processing, "AWS::EC2::Subnet")
    group, group_properties = only(processing, "AWS::EC2::SecurityGroup")
    assert network == {"SubnetIds": [{"Ref": subnet}], "SecurityGroupIds": [{"Fn::GetAtt": [group, "GroupId"]}]}
    assert all_ingress_rules(processing) == []
    assert group_properties["Properties"]["SecurityGroupEgress"] == [
        {"CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic by default", "IpProtocol": "-1"}
    ]
    processing.resource_count_is("AWS::EC2::VPCEndpoint", 1)  # S3 stays off the internet


def test_logs_go_to_the_lake_and_to_a_retained_audit_log_group_in_prod(processing):
    from stacks.log_groups import AUDIT_METADATA

    monitoring = application(processing)["MonitoringConfiguration"]
    group, group_resource = only(processing, "AWS::Logs::LogGroup", "ServerlessJobLogs")
    assert render(monitoring["S3MonitoringConfiguration"]["LogUri"]) == (
        "s3://sls-prod-${AWS::AccountId}-${AWS::Region}/logs/emr-serverless/"
    )
    assert monitoring["CloudWatchLoggingConfiguration"] == {
        "Enabled": True,
        "LogGroupName": {"Ref": group},
        "LogStreamNamePrefix": "jobs",
    }
    properties = group_resource["Properties"]
    assert properties["RetentionInDays"] == 30
    assert "DataKey" in json.dumps(properties["KmsKeyId"])  # kms=true: the lake's key
    assert group_resource["Metadata"][AUDIT_METADATA[0]] is AUDIT_METADATA[1]
    assert (group_resource["DeletionPolicy"], group_resource["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_execution_role_is_assumed_by_emr_serverless_for_this_application_only(processing):
    _, role = only(processing, "AWS::IAM::Role", "ServerlessExecutionRole")
    app, _ = only(processing, "AWS::EMRServerless::Application")
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "emr-serverless.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [app, "Arn"]}},
    }
    assert "ManagedPolicyArns" not in role["Properties"]


LAKE = "arn:${AWS::Partition}:s3:::sls-prod-${AWS::AccountId}-${AWS::Region}"
GLUE = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"
TABLES = tuple(sorted(datasets.TABLES))  # the registry's tables (the stack takes them from the DDL)


def test_execution_role_has_exactly_these_permissions(processing):
    found = statements(processing, "ServerlessExecutionRole")
    assets = found.pop("ReadJobCode")
    assert assets[0] == ["s3:GetObject"] and assets[2] == "null"
    # The package and one entrypoint per dataset, each one object: no bootstrap script, no listing.
    assert len(assets[1]) == 1 + len(DATASETS)
    assert all(r.startswith("arn:${AWS::Partition}:s3:::cdk-") and "*" not in r for r in assets[1])
    log_group, _ = only(processing, "AWS::Logs::LogGroup", "Serverless")
    # The storage stack's data key, by its ARN (a weak cross-stack reference).
    assert re.fullmatch(r"\$\{output:\w*DataKey\w*Arn\w*\}", found["UseDataKey"][1][0]), found["UseDataKey"]
    assert found == {
        "ListLake": (["s3:ListBucket"], [LAKE], "null"),  # key names only; a missing key's HEAD answers 404
        "ReadLake": (
            ["s3:GetObject"],
            sorted(f"{LAKE}/{p}/*" for p in ("raw", "processed", "rejected", "run-manifests")),
            "null",
        ),
        "WriteJobOutputs": (
            ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
            sorted(f"{LAKE}/{p}/*" for p in ("processed", "rejected", "run-manifests", "logs/emr-serverless")),
            "null",
        ),
        "UseDataKey": (["kms:Decrypt", "kms:GenerateDataKey"], found["UseDataKey"][1], "null"),
        "ReadCatalog": (
            sorted(
                [
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ]
            ),
            sorted(
                [
                    f"{GLUE}:catalog",
                    f"{GLUE}:database/sls_prod",
                    f"{GLUE}:database/default",
                    *(f"{GLUE}:table/sls_prod/{t}" for t in TABLES),
                ]
            ),
            "null",
        ),
        "CreateDefaultDatabase": (
            ["glue:CreateDatabase"],
            sorted([f"{GLUE}:catalog", f"{GLUE}:database/default"]),
            "null",
        ),
        "WriteJobLogs": (
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [f"${{{log_group}.Arn}}"],
            "null",
        ),
        "FindLogGroup": (
            ["logs:DescribeLogGroups"],
            ["arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"],
            "null",
        ),
    }


def test_the_same_lake_and_catalog_scope_as_the_ec2_instance_role(templates, processing):
    """Apart from its own log prefix, the execution role reaches exactly what the instance role does."""
    ec2 = statements(templates("default", "processing"), "IamInstanceRole")
    serverless = statements(processing, "ServerlessExecutionRole")

    def in_serverless_terms(text: str) -> str:
        text = re.sub(r"logs/emr(?=[/\"])", "logs/emr-serverless", text)
        return text.replace("wikilake-dev-", "sls-prod-").replace("wikilake_dev", "sls_prod")

    for sid in ("ListLake", "ReadLake", "WriteJobOutputs", "ReadCatalog", "CreateDefaultDatabase"):
        actions, resources, condition = ec2[sid]
        assert serverless[sid] == (
            actions,
            sorted(in_serverless_terms(r) for r in resources),
            in_serverless_terms(condition),
        ), sid


def test_outputs_name_the_application_role_and_log_group(processing):
    outputs = processing.to_json()["Outputs"]
    assert {"EmrServerlessApplicationId", "EmrServerlessExecutionRoleArn", "EmrServerlessLogGroup"} <= set(outputs)
    assert "EmrClusterId" not in outputs and "SshCommand" not in outputs


def test_dev_destroys_everything_of_the_application_with_the_stack():
    """Removal per stage: the prod variant retains its job-run log group (above); in dev nothing of
    the application outlives `cdk destroy` (tests/infra/test_removal.py covers the other variants)."""
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Template

    from stacks.job_code import JobCode
    from stacks.log_groups import audit_log_group
    from stacks.serverless_app import ServerlessApp
    from stacks.storage_stack import removal_policy
    from wikilake_settings.config import WikilakeConfig

    from .conftest import cdk_context

    config = WikilakeConfig.from_context({**cdk_context(), "runtime": "emr-serverless"})
    stack = cdk.Stack(cdk.App())
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0abc1234", availability_zones=["us-east-1a"])
    ServerlessApp(
        stack,
        "Serverless",
        name="Wikilake-dev",
        release_label="emr-7.13.0",
        idle_timeout_minutes=60,
        max_vcpu=32,
        max_memory_gb=128,
        vpc=vpc,
        subnet_id="subnet-0abc1234",
        bucket=s3.Bucket.from_bucket_name(stack, "Lake", "lake"),
        bucket_nag_name="lake",
        data_key=None,
        job_code=JobCode(stack, "Code"),
        database_name="wikilake_dev",
        table_names=("edits",),
        spark_defaults={},
        log_group=audit_log_group(stack, "Logs", data_key=None, removal=removal_policy(config)),
    )
    template = Template.from_stack(stack).to_json()["Resources"]
    kept = [
        (name, r.get("DeletionPolicy"))
        for name, r in template.items()
        if r.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate", "Snapshot")
    ]
    assert kept == []
    assert {r["Type"] for r in template.values()} >= {"AWS::Logs::LogGroup", "AWS::EMRServerless::Application"}


def test_failed_job_runs_of_the_application_alert(processing):
    (rule,) = [
        r["Properties"]
        for r in processing.find_resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("source") == ["aws.emr-serverless"]
    ]
    app, _ = only(processing, "AWS::EMRServerless::Application")
    assert rule["EventPattern"] == {
        "source": ["aws.emr-serverless"],
        "detail-type": ["EMR Serverless Job Run State Change"],
        "detail": {"state": ["FAILED"], "applicationId": [{"Fn::GetAtt": [app, "ApplicationId"]}]},
    }
    assert not [
        r
        for r in processing.find_resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("source") == ["aws.emr"]
    ]
