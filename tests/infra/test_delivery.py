"""The delivery pipeline (stacks/delivery_stack.py), synthesized once with the other variants
(conftest.py, prefix Dlv): the CodePipeline's stages in order, the approval before prod, the
integration step's exact permissions and command, the artifact bucket, and a snapshot.

Without the delivery keys there is no delivery stack: tests/infra/test_cdk_cli.py synthesizes the
default app with the real CLI and finds the three stacks only.
"""

import json

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.delivery_stack import INTEGRATION_DATASET, INTEGRATION_DT
from wikilake_core.contract import Outputs
from wikilake_core.paths import PROJECT_ROOT
from wikilake_settings.config import context_arguments

from .conftest import DELIVERY_CONNECTION, DELIVERY_CONTEXT, cdk_context
from .test_snapshots import mask_asset_hashes

DEV_MACHINE = "Dlv-dev-pipeline"


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def delivery(synthesized) -> dict:
    return synthesized.delivery_template_json()


@pytest.fixture(scope="module")
def stages(delivery) -> list[dict]:
    ((_, pipeline),) = resources(delivery, "AWS::CodePipeline::Pipeline").items()
    return pipeline["Properties"]["Stages"]


def actions(stage: dict) -> list[tuple[int, str, str]]:
    return sorted((a["RunOrder"], a["Name"], a["ActionTypeId"]["Provider"]) for a in stage["Actions"])


DELIVERY_TYPES = {"AWS::CodePipeline::Pipeline", "AWS::CodeBuild::Project", "AWS::CodeStarConnections::Connection"}


def test_the_variants_without_the_delivery_keys_have_no_delivery_resource(synthesized):
    kinds = {r["Type"] for template in synthesized.all_templates().values() for r in template["Resources"].values()}
    assert kinds & DELIVERY_TYPES == set()
    assert {r["Type"] for r in synthesized.delivery_template_json()["Resources"].values()} >= DELIVERY_TYPES - {
        "AWS::CodeStarConnections::Connection"  # the connection is made in the console, not here
    }


def test_the_stages_run_in_order_source_synth_self_mutation_assets_dev_prod(stages):
    assert [stage["Name"] for stage in stages] == ["Source", "Build", "UpdatePipeline", "Assets", "Dev", "Prod"]
    ((source,),) = [stages[0]["Actions"]]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {
        "ConnectionArn": DELIVERY_CONNECTION,
        "FullRepositoryId": "my-org/wikilake",
        "BranchName": "main",
    }
    assert actions(stages[2]) == [(1, "SelfMutate", "CodeBuild")]


def test_dev_deploys_the_three_stacks_in_order_then_runs_the_integration_check(stages):
    deploys = [
        f"Dlv-dev-{role}.{step}" for role in ("Storage", "Catalog", "Processing") for step in ("Prepare", "Deploy")
    ]
    assert actions(stages[4]) == [
        *((order, name, "CloudFormation") for order, name in enumerate(deploys, 1)),
        (7, "IntegrationRun", "CodeBuild"),
    ]


def test_prod_waits_for_a_manual_approval_before_its_first_deploy(stages):
    deploys = [
        f"Dlv-prod-{role}.{step}" for role in ("Storage", "Catalog", "Processing") for step in ("Prepare", "Deploy")
    ]
    assert actions(stages[5]) == [
        (1, "PromoteToProd", "Manual"),
        *((order, name, "CloudFormation") for order, name in enumerate(deploys, 2)),
    ]


def projects(delivery) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in resources(delivery, "AWS::CodeBuild::Project").items()}


def project(delivery, prefix: str) -> dict:
    (found,) = [p for k, p in projects(delivery).items() if k.startswith(prefix)]
    return found


def test_synth_installs_as_the_makefile_does_and_reproduces_this_synths_context(delivery):
    spec = json.loads(project(delivery, "PipelineBuildSynth")["Source"]["BuildSpec"])
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.11"}
    (command,) = spec["phases"]["build"]["commands"]
    args = " ".join(context_arguments({**cdk_context(), **DELIVERY_CONTEXT}, cdk_context()))
    assert command == f"make synth PYTHON=python3 CDK_ARGS='{args}'"
    assert "-c delivery_repo=my-org/wikilake" in args and "-c stack_prefix=Dlv" in args
    assert spec["artifacts"]["base-directory"] == "cdk.out"


def test_the_integration_step_runs_the_check_on_the_fixed_dt_with_the_dev_state_machine(delivery):
    step = project(delivery, "PipelineDevIntegrationRun")
    spec = json.loads(step["Source"]["BuildSpec"])
    assert spec["phases"]["build"]["commands"] == [
        f"python3 -m wikilake.delivery_check {INTEGRATION_DATASET} --date {INTEGRATION_DT} "
        "--allow-missing-hours --timeout 90"
    ]
    assert step["TimeoutInMinutes"] == 100  # the check's deadline, plus its install
    # The state machine's ARN: the dev processing stack's output, which CDK Pipelines hands over
    # as a variable of that stack's deploy action.
    ((_, pipeline),) = resources(delivery, "AWS::CodePipeline::Pipeline").items()
    dev = {a["Name"]: a for a in pipeline["Properties"]["Stages"][4]["Actions"]}
    namespace = dev["Dlv-dev-Processing.Deploy"]["Namespace"]
    assert json.loads(dev["IntegrationRun"]["Configuration"]["EnvironmentVariables"]) == [
        {
            "name": "WIKILAKE_STATE_MACHINE_ARN",
            "type": "PLAINTEXT",
            "value": f"#{{{namespace}.{Outputs.STATE_MACHINE_ARN}}}",
        }
    ]


def policy_of(delivery, role_prefix: str) -> list[dict]:
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(delivery, "AWS::IAM::Policy").values()
        if any(r["Ref"].startswith(role_prefix) for r in p["Properties"]["Roles"])
    ]
    return policy


def arn(kind: str, name: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":states:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{kind}:{name}",
            ],
        ]
    }


def test_the_integration_step_may_only_start_and_read_executions_of_the_dev_state_machine(delivery):
    statements = policy_of(delivery, "PipelineDevIntegrationRunRole")
    states = [s for s in statements if any(a.startswith("states:") for a in _list(s["Action"]))]
    assert states == [
        {
            "Action": "states:StartExecution",
            "Effect": "Allow",
            "Resource": arn("stateMachine", DEV_MACHINE),
            "Sid": "StartDevPipelineRuns",
        },
        {
            "Action": ["states:DescribeExecution", "states:GetExecutionHistory"],
            "Effect": "Allow",
            "Resource": arn("execution", f"{DEV_MACHINE}:*"),
            "Sid": "ReadDevPipelineRuns",
        },
    ]
    # Everything else is CodeBuild's own: its logs and reports, the artifact bucket and its key.
    others = {a.split(":")[0] for s in statements if s not in states for a in _list(s["Action"])}
    assert others == {"logs", "codebuild", "s3", "kms"}
    assert all(s["Effect"] == "Allow" for s in statements)
    s3_resources = json.dumps(
        [s["Resource"] for s in statements if any(a.startswith("s3:") for a in _list(s["Action"]))]
    )
    assert "Artifacts" in s3_resources and "DataBucket" not in s3_resources


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_named_dev_state_machine_is_the_one_the_dev_stage_deploys(synthesized):
    (processing,) = [p for p in synthesized.stage_template_paths() if "Dlvdev" in p.name and "Processing" in p.name]
    machines = resources(json.loads(processing.read_text()), "AWS::StepFunctions::StateMachine")
    assert [m["Properties"]["StateMachineName"] for m in machines.values()] == [DEV_MACHINE]


def test_the_artifact_bucket_is_encrypted_with_a_rotated_key_tls_only_and_private(delivery):
    (bucket,) = [b for k, b in resources(delivery, "AWS::S3::Bucket").items() if k.startswith("Artifacts")]
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_id = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert delivery["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (policy,) = [
        p
        for p in resources(delivery, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"]["Ref"] == bucket_id(delivery)
    ]
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    # every CodeBuild project encrypts its output with the same key
    assert {json.dumps(p["EncryptionKey"]) for p in projects(delivery).values()} == {
        json.dumps({"Fn::GetAtt": [key_id, "Arn"]})
    }


def bucket_id(delivery) -> str:
    (found,) = [k for k in resources(delivery, "AWS::S3::Bucket") if k.startswith("Artifacts")]
    return found


def test_self_mutation_is_on_with_the_pinned_cli(delivery):
    spec = json.loads(project(delivery, "PipelineUpdatePipelineSelfMutation")["Source"]["BuildSpec"])
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    assert spec["phases"]["install"]["commands"] == [f"npm install -g aws-cdk@{package['devDependencies']['aws-cdk']}"]
    assert spec["phases"]["build"]["commands"] == ["cdk -a . deploy Dlv-Delivery --require-approval=never --verbose"]


def test_delivery_template_snapshot(synthesized, snapshot):
    assert synthesized.delivery_template_json() == snapshot.with_defaults(
        extension_class=JSONSnapshotExtension, matcher=mask_asset_hashes
    )
