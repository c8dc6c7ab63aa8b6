"""StorageStack: bucket security, lifecycle, stage-dependent removal, job code assets and outputs."""

import json

import pytest
from aws_cdk.assertions import Match

from wikilake_core import layout
from wikilake_core.contract import Outputs, job_entrypoint_output
from wikilake_core.datasets import DATASETS
from wikilake_core.paths import PROJECT_ROOT


def buckets(template) -> dict:
    return template.find_resources("AWS::S3::Bucket")


def bucket(template, logical_prefix: str) -> dict:
    (found,) = [r for name, r in buckets(template).items() if name.startswith(logical_prefix)]
    return found


def logical_id(template, resource_type: str, logical_prefix: str) -> str:
    (found,) = [name for name in template.find_resources(resource_type) if name.startswith(logical_prefix)]
    return found


@pytest.mark.parametrize("variant", ["default", "full"])
def test_every_bucket_blocks_public_access_is_versioned_and_owner_enforced(templates, variant):
    storage = templates(variant, "storage")
    assert len(buckets(storage)) == 2
    for resource in buckets(storage).values():
        props = resource["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert "AccessControl" not in props  # no ACLs, not even LogDeliveryWrite on the log bucket


@pytest.mark.parametrize("variant", ["default", "full"])
def test_every_bucket_policy_denies_plain_http_and_old_tls(templates, variant):
    storage = templates(variant, "storage")
    policies = storage.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = {json.dumps(s["Condition"], sort_keys=True) for s in statements if s["Effect"] == "Deny"}
        assert json.dumps({"Bool": {"aws:SecureTransport": "false"}}) in denies
        assert json.dumps({"NumericLessThan": {"s3:TlsVersion": 1.2}}) in denies


def test_default_encryption_is_sse_s3(templates):
    storage = templates("default", "storage")
    for resource in buckets(storage).values():
        assert resource["Properties"]["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
    storage.resource_count_is("AWS::KMS::Key", 0)


def test_kms_option_encrypts_the_data_bucket_with_a_rotating_customer_key(templates):
    storage = templates("full", "storage")
    key_id = logical_id(storage, "AWS::KMS::Key", "DataKey")
    storage.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    rule = bucket(storage, "DataBucket")["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]}},
    }
    # S3 server access logging can deliver only to SSE-S3 buckets.
    assert bucket(storage, "AccessLogBucket")["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}


def test_data_bucket_logs_access_to_the_log_bucket_through_its_bucket_policy(templates):
    storage = templates("default", "storage")
    log_bucket_id = logical_id(storage, "AWS::S3::Bucket", "AccessLogBucket")
    assert bucket(storage, "DataBucket")["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": log_bucket_id},
        "LogFilePrefix": "s3-access/",
    }
    storage.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": log_bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Action": "s3:PutObject",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_data_bucket_lifecycle_matches_the_lake_layout(templates):
    rules = {
        r["Id"]: r
        for r in bucket(templates("default", "storage"), "DataBucket")["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    assert {(r.get("Prefix"), r.get("ExpirationInDays")) for r in rules.values() if "ExpirationInDays" in r} == {
        ("athena-results/", 7),
        ("logs/", 30),
        (None, 7),  # superseded runs, by tag (below)
    }
    # The record function tags the objects of a day's superseded runs; they expire a week later.
    assert rules["expire-superseded-runs"]["TagFilters"] == [{"Key": "wikilake:superseded", "Value": "true"}]
    (to_ia,) = [r for r in rules.values() if r.get("Prefix") == "raw/"]
    assert to_ia["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    (housekeeping,) = [r for r in rules.values() if "Prefix" not in r and "TagFilters" not in r]
    assert housekeeping["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert housekeeping["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert all(r["Status"] == "Enabled" for r in rules.values())
    # EMR logs live under the expiring logs/ prefix.
    assert layout.EMR_LOGS.startswith("logs/")


def test_dev_destroy_removes_buckets_with_their_objects(templates):
    storage = templates("default", "storage")
    for resource in buckets(storage).values():
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Delete"
    storage.resource_count_is("Custom::S3AutoDeleteObjects", 2)


def test_prod_retains_buckets_and_keys_and_protects_its_stacks(templates, synthesized):
    storage = templates("full", "storage")
    for resource in [*buckets(storage).values(), *storage.find_resources("AWS::KMS::Key").values()]:
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    storage.resource_count_is("Custom::S3AutoDeleteObjects", 0)
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())["artifacts"]
    for role in ("storage", "catalog", "processing"):
        properties = manifest[synthesized.stack_names["full", role]]["properties"]
        assert properties.get("terminationProtection") is True
        assert manifest[synthesized.stack_names["default", role]]["properties"].get("terminationProtection") is not True


def test_explicit_bucket_name_is_used_and_default_one_is_per_account_and_region(templates):
    assert bucket(templates("full", "storage"), "DataBucket")["Properties"]["BucketName"] == "wikilake-full-test"
    assert bucket(templates("default", "storage"), "DataBucket")["Properties"]["BucketName"] == {
        "Fn::Join": ["", ["wikilake-dev-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]]
    }


def test_outputs_carry_the_bucket_and_the_job_code_locations(templates):
    outputs = templates("default", "storage").to_json()["Outputs"]
    expected = {
        Outputs.BUCKET,
        Outputs.JOBS_PACKAGE_URL,
        Outputs.DDL_URL,
        *(job_entrypoint_output(dataset) for dataset in DATASETS),
    }
    assert expected <= set(outputs)
    assert "SparkJobEntrypointUrlEdits" in outputs  # the spelling the CLI reads


def _asset_files(synthesized, output_name: str) -> set[str]:
    """Files of a directory asset as staged in the cloud assembly (what `cdk deploy` zips)."""
    url = json.dumps(synthesized.template_json("default", "storage")["Outputs"][output_name]["Value"])
    (asset_dir,) = [d for d in synthesized.outdir.glob("asset.*") if d.is_dir() and d.name[6:] in url]
    return {p.relative_to(asset_dir).as_posix() for p in asset_dir.rglob("*") if p.is_file()}


def test_jobs_package_zip_holds_exactly_the_jobs_and_core_python_files(synthesized):
    expected = {
        p.relative_to(PROJECT_ROOT).as_posix()
        for package in ("spark_jobs", "wikilake_core")
        for p in (PROJECT_ROOT / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert {"spark_jobs/__init__.py", "wikilake_core/datasets.py"} <= expected
    assert _asset_files(synthesized, Outputs.JOBS_PACKAGE_URL) == expected


def test_ddl_zip_holds_exactly_the_sql_files(synthesized):
    expected = {p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "athena_ddl").rglob("*.sql")}
    assert _asset_files(synthesized, Outputs.DDL_URL) == expected


@pytest.mark.parametrize("dataset", DATASETS)
def test_entrypoint_assets_are_the_dataset_job_files(synthesized, dataset):
    url = json.dumps(synthesized.template_json("default", "storage")["Outputs"][job_entrypoint_output(dataset)])
    (staged,) = [f for f in synthesized.outdir.glob("asset.*.py") if f.name[6:-3] in url]
    assert staged.read_bytes() == (PROJECT_ROOT / "spark_jobs" / f"{dataset}.py").read_bytes()
