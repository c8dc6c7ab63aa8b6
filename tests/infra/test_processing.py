"""ProcessingStack: network, IAM, encryption, the cluster, steps and budget."""

import pytest
from aws_cdk.assertions import Match

from wikilake_core.datasets import DATASETS, TABLES
from wikilake_core.paths import SPARK_JOBS_DIR

EMR_TAG = {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"}
ACCOUNT_REGION = [{"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]


def only(template, resource_type: str, prefix: str = "") -> tuple[str, dict]:
    (found,) = [(k, v) for k, v in template.find_resources(resource_type).items() if k.startswith(prefix)]
    return found


def cluster(templates, variant) -> dict:
    return only(templates(variant, "processing"), "AWS::EMR::Cluster")[1]["Properties"]


def security_configuration(templates, variant) -> dict:
    return only(templates(variant, "processing"), "AWS::EMR::SecurityConfiguration")[1]["Properties"][
        "SecurityConfiguration"
    ]


# --- encryption and instance metadata (cdk-nag 3.0.2 cannot check the nested document: EMR4/EMR5) ---


def test_security_configuration_encrypts_s3_and_local_disks_and_requires_imdsv2(templates):
    processing = templates("interactive", "processing")
    disk_key, _ = only(processing, "AWS::KMS::Key")
    document = security_configuration(templates, "default")
    encryption = document["EncryptionConfiguration"]
    assert encryption["EnableAtRestEncryption"] is True
    assert encryption["AtRestEncryptionConfiguration"] == {
        "S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"},
        "LocalDiskEncryptionConfiguration": {
            "EncryptionKeyProviderType": "AwsKms",
            "AwsKmsKey": {"Fn::GetAtt": [disk_key, "Arn"]},
            "EnableEbsEncryption": True,
        },
    }
    assert document["InstanceMetadataServiceConfiguration"] == {
        "MinimumInstanceMetadataServiceVersion": 2,
        "HttpPutResponseHopLimit": 1,
    }
    processing.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    assert cluster(templates, "interactive")["SecurityConfiguration"] == {"Ref": "SecurityConfiguration"}


def test_dev_without_certificates_leaves_in_transit_tls_off(templates):
    encryption = security_configuration(templates, "default")["EncryptionConfiguration"]
    assert encryption["EnableInTransitEncryption"] is False
    assert "InTransitEncryptionConfiguration" not in encryption


def test_prod_encrypts_in_transit_with_the_configured_certificates_and_s3_with_the_data_key(templates):
    encryption = security_configuration(templates, "full")["EncryptionConfiguration"]
    assert encryption["EnableInTransitEncryption"] is True
    assert encryption["InTransitEncryptionConfiguration"] == {
        "TLSCertificateConfiguration": {
            "CertificateProviderType": "PEM",
            "S3Object": "s3://wikilake-certs/emr/certs.zip",
        }
    }
    s3_encryption = encryption["AtRestEncryptionConfiguration"]["S3EncryptionConfiguration"]
    assert s3_encryption["EncryptionMode"] == "SSE-KMS"
    assert "Fn::GetStackOutput" in s3_encryption["AwsKmsKey"]


# --- network ---


def all_ingress_rules(template) -> list[dict]:
    inline = [
        rule
        for sg in template.find_resources("AWS::EC2::SecurityGroup").values()
        for rule in sg["Properties"].get("SecurityGroupIngress", [])
    ]
    separate = [r["Properties"] for r in template.find_resources("AWS::EC2::SecurityGroupIngress").values()]
    return inline + separate


@pytest.mark.parametrize("variant", ["default", "full", "byo"])
def test_no_ingress_from_anywhere(templates, variant):
    for role in ("storage", "catalog", "processing"):
        for rule in all_ingress_rules(templates(variant, role)):
            assert rule.get("CidrIp") != "0.0.0.0/0" and rule.get("CidrIpv6") != "::/0", rule


def test_ssh_only_from_the_configured_cidrs(templates):
    ssh_rules = [r for r in all_ingress_rules(templates("full", "processing")) if r.get("FromPort") == 22]
    assert sorted((r.get("CidrIp", ""), r.get("CidrIpv6", "")) for r in ssh_rules) == [
        ("", "2001:db8::/48"),
        ("203.0.113.7/32", ""),
    ]
    assert all(r["IpProtocol"] == "tcp" and r["ToPort"] == 22 for r in ssh_rules)
    ssh_group, _ = only(templates("full", "processing"), "AWS::EC2::SecurityGroup", "NetworkSshSecurityGroup")
    assert cluster(templates, "full")["Instances"]["AdditionalMasterSecurityGroups"] == [
        {"Fn::GetAtt": [ssh_group, "GroupId"]}
    ]


def test_empty_ssh_cidrs_means_no_ssh_ingress_at_all(templates):
    processing = templates("interactive", "processing")
    assert not [r for r in all_ingress_rules(processing) if r.get("CidrIp") or r.get("CidrIpv6")]
    assert "AdditionalMasterSecurityGroups" not in cluster(templates, "interactive")["Instances"]
    assert processing.to_json()["Outputs"]["SshCommand"]["Value"].startswith("SSH is disabled")


def test_intra_cluster_rules_are_declared_in_the_template(templates):
    """So that `cdk destroy` can delete the managed groups (EMR-added cross references block it)."""
    processing = templates("interactive", "processing")
    primary, _ = only(processing, "AWS::EC2::SecurityGroup", "NetworkPrimarySecurityGroup")
    core, _ = only(processing, "AWS::EC2::SecurityGroup", "NetworkCoreSecurityGroup")
    declared = {
        (r["GroupId"]["Fn::GetAtt"][0], r["SourceSecurityGroupId"]["Fn::GetAtt"][0], r["IpProtocol"])
        for r in processing.find_resources("AWS::EC2::SecurityGroupIngress").values()
        for r in [r["Properties"]]
    }
    assert declared == {
        (group, peer, protocol)
        for group in (primary, core)
        for peer in (primary, core)
        for protocol in ("tcp", "udp", "icmp")
    }
    instances = cluster(templates, "interactive")["Instances"]
    assert instances["EmrManagedMasterSecurityGroup"] == {"Fn::GetAtt": [primary, "GroupId"]}
    assert instances["EmrManagedSlaveSecurityGroup"] == {"Fn::GetAtt": [core, "GroupId"]}


def test_new_vpc_has_one_public_subnet_s3_endpoint_flow_logs_and_no_nat(templates):
    processing = templates("interactive", "processing")
    processing.resource_count_is("AWS::EC2::Subnet", 1)
    processing.resource_count_is("AWS::EC2::NatGateway", 0)
    processing.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]},
        },
    )
    processing.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL", "ResourceType": "VPC"})
    processing.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})
    processing.resource_count_is("Custom::VpcRestrictDefaultSG", 1)  # default SG stripped of its rules
    subnet, _ = only(processing, "AWS::EC2::Subnet")
    assert cluster(templates, "interactive")["Instances"]["Ec2SubnetId"] == {"Ref": subnet}


def test_emr_managed_policy_tag_on_subnet_security_groups_and_cluster(templates):
    processing = templates("full", "processing")
    tagged = [
        *processing.find_resources("AWS::EC2::Subnet").values(),
        *processing.find_resources("AWS::EC2::SecurityGroup").values(),
    ]
    assert len(tagged) == 4
    for resource in tagged:
        assert EMR_TAG in resource["Properties"]["Tags"]
    assert EMR_TAG in cluster(templates, "full")["Tags"]


def test_existing_vpc_and_key_pair_are_used_as_given(templates):
    processing = templates("byo", "processing")
    processing.resource_count_is("AWS::EC2::VPC", 0)
    processing.resource_count_is("AWS::EC2::KeyPair", 0)
    processing.has_resource_properties("AWS::EC2::SecurityGroup", {"VpcId": "vpc-0abc1234def567890"})
    instances = cluster(templates, "byo")["Instances"]
    assert instances["Ec2SubnetId"] == "subnet-0abc1234def56789a"
    assert instances["Ec2KeyName"] == "ops-key"
    assert "KeyPairPrivateKeySsmParameter" not in processing.to_json()["Outputs"]


def test_created_key_pair_keeps_its_private_key_in_ssm(templates):
    processing = templates("interactive", "processing")
    key, props = only(processing, "AWS::EC2::KeyPair")
    assert props["Properties"]["KeyName"] == "interactive-dev"
    assert cluster(templates, "interactive")["Instances"]["Ec2KeyName"] == {"Ref": key}
    assert processing.to_json()["Outputs"]["KeyPairPrivateKeySsmParameter"]["Value"] == {
        "Fn::Join": ["", ["/ec2/keypair/", {"Fn::GetAtt": [key, "KeyPairId"]}]]
    }


# --- IAM ---

DEPRECATED_POLICIES = (
    "AmazonElasticMapReduceRole",
    "AmazonElasticMapReduceforEC2Role",
    "AmazonElasticMapReduceFullAccess",
    "AmazonElasticMapReduceforAutoScalingRole",
)


def policy_arns(template) -> list[str]:
    arns = []
    for role in template.find_resources("AWS::IAM::Role").values():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            arns.append(str(arn))
    return arns


@pytest.mark.parametrize("variant", ["default", "full", "byo"])
def test_no_deprecated_managed_policies(templates, variant):
    for role in ("storage", "catalog", "processing"):
        for arn in policy_arns(templates(variant, role)):
            assert not any(name in arn for name in DEPRECATED_POLICIES), arn


def role(templates, variant, prefix) -> tuple[str, dict]:
    return only(templates(variant, "processing"), "AWS::IAM::Role", prefix)


def statements(templates, variant, role_prefix) -> dict[str, dict]:
    role_id, _ = role(templates, variant, role_prefix)
    policies = [
        p
        for p in templates(variant, "processing").find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    (policy,) = policies
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def test_service_role_uses_the_v2_policy_and_passes_only_the_instance_role_to_ec2(templates):
    _, service_role = role(templates, "default", "IamServiceRole")
    assert service_role["Properties"]["ManagedPolicyArns"] == [
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"],
            ]
        }
    ]
    trust = service_role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "elasticmapreduce.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    instance_role, _ = role(templates, "default", "IamInstanceRole")
    pass_role = statements(templates, "default", "IamServiceRole")["PassInstanceRole"]
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Resource"] == {"Fn::GetAtt": [instance_role, "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_instance_profile_is_named_like_its_role(templates):
    instance_role, _ = role(templates, "interactive", "IamInstanceRole")
    profile_id, profile = only(templates("interactive", "processing"), "AWS::IAM::InstanceProfile")
    assert profile["Properties"] == {"InstanceProfileName": {"Ref": instance_role}, "Roles": [{"Ref": instance_role}]}
    assert cluster(templates, "interactive")["JobFlowRole"] == {"Ref": profile_id}


def lake(suffix: str) -> dict:
    parts = ["arn:", {"Ref": "AWS::Partition"}, ":s3:::wikilake-dev-", *ACCOUNT_REGION, suffix]
    return {"Fn::Join": ["", parts if suffix else parts[:-1]]}


def test_instance_role_reaches_only_the_lake_prefixes_it_needs(templates):
    sids = statements(templates, "default", "IamInstanceRole")
    assert sids["ReadLake"]["Action"] == "s3:GetObject"
    assert sorted(map(str, sids["ReadLake"]["Resource"])) == sorted(
        str(lake(f"/{p}/*")) for p in ("raw", "processed", "rejected", "run-manifests")
    )
    assert sorted(sids["WriteJobOutputs"]["Action"]) == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ]
    assert sorted(map(str, sids["WriteJobOutputs"]["Resource"])) == sorted(
        str(lake(f"/{p}/*")) for p in ("processed", "rejected", "run-manifests", "logs/emr")
    )
    # the run's Spark event log: written as <app>.inprogress and renamed (on S3: copy + delete)
    events = sids["WriteSparkEventLogs"]
    assert sorted(events["Action"]) == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ]
    assert events["Resource"] == lake("/logs/spark-events/*")
    # key names of the whole bucket, with no s3:prefix condition: a HEAD of a missing key must
    # answer 404, not 403 (stacks/job_data_access.py says why)
    listing = sids["ListLake"]
    assert (listing["Action"], listing["Resource"], listing.get("Condition")) == ("s3:ListBucket", lake(""), None)


def test_instance_role_reads_exactly_the_job_code_objects(templates):
    job_code = statements(templates, "default", "IamInstanceRole")["ReadJobCode"]
    assert job_code["Action"] == "s3:GetObject"
    suffixes = sorted(r["Fn::Join"][1][-1].rsplit(".", 1)[1] for r in job_code["Resource"])
    # the package, each distinct entrypoint file (assets are content-addressed), the bootstrap script
    entrypoints = {(SPARK_JOBS_DIR / f"{dataset}.py").read_bytes() for dataset in DATASETS}
    assert suffixes == sorted(["zip", "sh", *["py"] * len(entrypoints)])


def test_instance_role_reads_only_this_apps_glue_tables(templates):
    catalog = statements(templates, "default", "IamInstanceRole")["ReadCatalog"]
    assert not any(action.endswith("*") for action in catalog["Action"])
    names = sorted(r["Fn::Join"][1][-1] for r in catalog["Resource"])
    assert names == sorted(
        [":catalog", ":database/default", ":database/wikilake_dev", *(f":table/wikilake_dev/{t}" for t in TABLES)]
    )


INSTANCES = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":ec2:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "AWS::AccountId"},
            ":instance/*",
        ],
    ]
}


@pytest.mark.parametrize("variant", ["default", "full"])
def test_instance_role_has_no_wildcard_actions_and_star_only_with_a_condition(templates, variant):
    for statement in statements(templates, variant, "IamInstanceRole").values():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a == "*" or a.endswith(":*") for a in actions), statement
        if statement["Resource"] == "*":
            assert statement.get("Condition"), statement


def test_agents_are_scoped_to_this_accounts_instances_and_the_agent_metrics_namespace(templates):
    sids = statements(templates, "default", "IamInstanceRole")
    assert sids["SsmAgentRegistration"]["Action"] == "ssm:UpdateInstanceInformation"
    assert sids["SsmAgentRegistration"]["Resource"] == INSTANCES
    channels = sids["SsmAgentChannels"]
    assert all(a.startswith(("ssmmessages:", "ec2messages:")) for a in channels["Action"])
    assert channels["Condition"] == {"ArnLike": {"ec2:SourceInstanceARN": INSTANCES}}
    assert sids["PutAgentMetrics"]["Action"] == "cloudwatch:PutMetricData"
    assert sids["PutAgentMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["CWAgent"]}}


def test_kms_option_lets_the_nodes_use_the_data_key_and_tls_certificates(templates):
    sids = statements(templates, "full", "IamInstanceRole")
    assert sorted(sids["UseDataKey"]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert sids["ReadTlsCertificates"]["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::wikilake-certs/emr/certs.zip"]]
    }
    assert "UseDataKey" not in statements(templates, "default", "IamInstanceRole")


def test_service_role_may_attach_encrypted_ebs_volumes_with_the_disk_key_only(templates):
    disk_key, _ = only(templates("default", "processing"), "AWS::KMS::Key")
    grants = statements(templates, "default", "IamServiceRole")["EbsVolumeGrants"]
    assert grants["Resource"] == {"Fn::GetAtt": [disk_key, "Arn"]}
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


# --- the cluster ---


def test_cluster_runs_spark_with_glue_metastore_and_the_release_python(templates):
    props = cluster(templates, "interactive")
    assert props["ReleaseLabel"] == "emr-7.13.0"
    assert {"Name": "Spark"} in props["Applications"]
    classifications = {c["Classification"]: c for c in props["Configurations"]}
    assert classifications["spark-hive-site"]["ConfigurationProperties"] == {
        "hive.metastore.client.factory.class": "com.amazonaws.glue.catalog.metastore."
        "AWSGlueDataCatalogHiveClientFactory"
    }
    (export,) = classifications["spark-env"]["Configurations"]
    assert export["Classification"] == "export"
    assert export["ConfigurationProperties"]["PYSPARK_PYTHON"] == "/usr/bin/python3.11"
    assert props["BootstrapActions"][0]["ScriptBootstrapAction"]["Args"] == ["/usr/bin/python3.11"]
    assert props["LogUri"] == {"Fn::Join": ["", ["s3://interactive-dev-", *ACCOUNT_REGION, "/logs/emr/"]]}
    assert cluster(templates, "byo")["ReleaseLabel"] == "emr-spark-8.0.0"


def test_cluster_terminates_itself_when_idle(templates):
    assert cluster(templates, "interactive")["AutoTerminationPolicy"] == {"IdleTimeout": 3600}
    assert cluster(templates, "full")["AutoTerminationPolicy"] == {"IdleTimeout": 1800}
    assert cluster(templates, "interactive")["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True


def test_termination_protection_in_prod_only(templates):
    assert cluster(templates, "interactive")["Instances"]["TerminationProtected"] is False
    assert cluster(templates, "full")["Instances"]["TerminationProtected"] is True


def test_default_cluster_has_no_task_group_and_no_scaling(templates):
    props = cluster(templates, "interactive")
    assert "TaskInstanceGroups" not in props["Instances"]
    assert "ManagedScalingPolicy" not in props


def test_managed_scaling_grows_spot_task_nodes_only(templates):
    props = cluster(templates, "full")
    assert props["ManagedScalingPolicy"] == {
        "ComputeLimits": {
            "UnitType": "Instances",
            "MinimumCapacityUnits": 4,
            "MaximumCapacityUnits": 6,
            "MaximumCoreCapacityUnits": 2,
            "MaximumOnDemandCapacityUnits": 2,
        }
    }
    (task,) = props["Instances"]["TaskInstanceGroups"]
    assert (task["InstanceCount"], task["Market"]) == (2, "SPOT")
    assert props["Instances"]["CoreInstanceGroup"]["Market"] == "ON_DEMAND"
    (byo_task,) = cluster(templates, "byo")["Instances"]["TaskInstanceGroups"]
    assert (byo_task["InstanceCount"], byo_task["Market"]) == (1, "ON_DEMAND")


def test_steps_from_context_run_each_dataset_job_for_its_date(templates):
    steps = cluster(templates, "full")["Steps"]
    assert [s["Name"] for s in steps] == ["wikilake edits dt=2015-09-12", "wikilake pageviews dt=2015-09-12"]
    for step, dataset in zip(steps, ("edits", "pageviews")):
        assert step["ActionOnFailure"] == "CONTINUE"
        assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
        args = step["HadoopJarStep"]["Args"]
        assert args[:4] == ["spark-submit", "--deploy-mode", "cluster", "--py-files"]
        assert args[4]["Fn::Sub"].startswith("s3://cdk-") and args[4]["Fn::Sub"].endswith(".zip")
        assert args[5]["Fn::Sub"].endswith(".py")
        assert args[6:] == [
            "--date",
            "2015-09-12",
            "--input",
            f"s3://wikilake-full-test/raw/{dataset}/dt=2015-09-12/",
            "--output-root",
            "s3://wikilake-full-test",
        ]
    assert "Steps" not in cluster(templates, "interactive")


# --- cost ---


def test_budget_alerts_by_email_when_configured(templates):
    full = templates("full", "processing")
    full.has_resource_properties(
        "AWS::Budgets::Budget",
        {
            "Budget": Match.object_like(
                {
                    "BudgetType": "COST",
                    "TimeUnit": "MONTHLY",
                    "BudgetLimit": {"Amount": 50, "Unit": "USD"},
                    "CostFilters": {"TagKeyValue": ["user:Project$wikilake"]},
                }
            ),
            "NotificationsWithSubscribers": [
                {
                    "Notification": {
                        "NotificationType": kind,
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": percent,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "team@example.com"}],
                }
                for kind, percent in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        },
    )
    templates("default", "processing").resource_count_is("AWS::Budgets::Budget", 0)
