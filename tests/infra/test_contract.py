"""What the CLI relies on: stack names, output keys (exact logical ids, one stack each) and tags."""

import pytest

from wikilake_core import contract
from wikilake_core.contract import Outputs, job_entrypoint_output
from wikilake_core.datasets import DATASETS

from .conftest import ROLES, VARIANTS

# The outputs of the runtime=emr-serverless application; the EC2 runtime has none of them.
SERVERLESS_OUTPUTS = {
    Outputs.SERVERLESS_APPLICATION_ID,
    Outputs.SERVERLESS_EXECUTION_ROLE_ARN,
    Outputs.SERVERLESS_LOG_GROUP,
}
CONTRACT_OUTPUTS = {
    value for key, value in vars(Outputs).items() if key.isupper() and key != "JOB_ENTRYPOINT_URL_PREFIX"
} | {job_entrypoint_output(dataset) for dataset in DATASETS}
CONTRACT_OUTPUTS -= SERVERLESS_OUTPUTS
# Resource types that must carry the cost tags (CloudFormation-taggable ones this app creates).
MUST_BE_TAGGED = (
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
    "AWS::IAM::Role",
    "AWS::EMR::Cluster",
    "AWS::Athena::WorkGroup",
    "AWS::Logs::LogGroup",
    "AWS::EC2::KeyPair",
    "AWS::Lambda::Function",
    "AWS::StepFunctions::StateMachine",
    "AWS::SNS::Topic",
    "AWS::EMRServerless::Application",
)
# Only with interactive_cluster=true: the long-lived cluster's id, DNS and SSH command.
INTERACTIVE_OUTPUTS = {Outputs.CLUSTER_ID, Outputs.PRIMARY_DNS, Outputs.SSH_COMMAND}


def test_stack_names_come_from_the_contract(synthesized):
    assert {synthesized.stack_names["default", role] for role in ROLES} == set(
        contract.stack_names(contract.DEFAULT_STACK_PREFIX, "dev").values()
    )
    assert synthesized.stack_names["full", "processing"] == contract.stack_names("Full", "prod")["processing"]


@pytest.mark.parametrize("variant", ["default", "full", "interactive"])
def test_every_contract_output_is_in_exactly_one_stack_under_its_exact_key(synthesized, variant):
    found = [
        key
        for role in ROLES
        for key in synthesized.template_json(variant, role).get("Outputs", {})
        if key in CONTRACT_OUTPUTS
    ]
    expected = CONTRACT_OUTPUTS - (INTERACTIVE_OUTPUTS if variant == "default" else set())
    assert sorted(found) == sorted(expected)
    processing = synthesized.template_json(variant, "processing")["Outputs"]
    assert {Outputs.STATE_MACHINE_ARN, Outputs.ALERTS_TOPIC_ARN} <= set(processing)


def test_serverless_outputs_are_in_the_processing_stack_of_that_runtime_only(synthesized):
    assert set(synthesized.template_json("serverless", "processing")["Outputs"]) >= SERVERLESS_OUTPUTS
    for variant in ("default", "full", "byo", "interactive"):
        assert not SERVERLESS_OUTPUTS & set(synthesized.template_json(variant, "processing")["Outputs"])


def test_imported_key_pair_has_no_private_key_output(synthesized):
    outputs = {key for role in ROLES for key in synthesized.template_json("byo", role).get("Outputs", {})}
    assert CONTRACT_OUTPUTS - outputs == {Outputs.KEY_PAIR_SSM_PARAMETER}


def test_ssh_command_output_is_ready_to_run(synthesized):
    value = synthesized.template_json("full", "processing")["Outputs"][Outputs.SSH_COMMAND]["Value"]
    key_pair = [
        k
        for k, r in synthesized.template_json("full", "processing")["Resources"].items()
        if r["Type"] == "AWS::EC2::KeyPair"
    ][0]
    assert value == {
        "Fn::Join": ["", ["ssh -i ", {"Ref": key_pair}, ".pem hadoop@", {"Fn::GetAtt": ["Cluster", "MasterPublicDNS"]}]]
    }


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_cost_tags_on_every_tagged_resource(synthesized, variant):
    config_tags = {
        "default": ("dev", "wikilake"),
        "full": ("prod", "data-platform"),
        "byo": ("dev", "wikilake"),
        "interactive": ("dev", "wikilake"),
        "serverless": ("prod", "wikilake"),
    }
    stage, cost_center = config_tags[variant]
    expected = {"Project": "wikilake", "Stage": stage, "CostCenter": cost_center}
    seen_types = set()
    for role in ROLES:
        for name, resource in synthesized.template_json(variant, role)["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            # CDK's singleton custom-resource providers take no Tags aspect; they get the stack
            # tags, which CloudFormation propagates at deploy (test_stacks_themselves_carry_the_tags).
            if resource["Type"] in MUST_BE_TAGGED and not name.startswith("Custom"):
                assert tags, f"{variant}/{role}/{name} ({resource['Type']}) has no tags"
            if isinstance(tags, list):
                seen_types.add(resource["Type"])
                assert expected.items() <= {t["Key"]: t["Value"] for t in tags}.items(), name
            elif isinstance(tags, dict):
                assert expected.items() <= tags.items(), name
    assert {"AWS::S3::Bucket", "AWS::IAM::Role", "AWS::StepFunctions::StateMachine"} <= seen_types
    # Compute that exists between runs: the interactive cluster (opt-in) or the Serverless application.
    assert ("AWS::EMR::Cluster" in seen_types) == (variant not in ("default", "serverless"))
    assert ("AWS::EMRServerless::Application" in seen_types) == (variant == "serverless")


def test_stacks_themselves_carry_the_tags(synthesized):
    import json

    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())["artifacts"]
    for role in ROLES:
        tags = manifest[synthesized.stack_names["default", role]]["properties"]["tags"]
        assert tags == {"Project": "wikilake", "Stage": "dev", "CostCenter": "wikilake"}
