"""Teardown and logs over every resource of every synthesized stack of every variant (so resources
added later are covered without touching this file):

- dev: `cdk destroy` leaves nothing of the app (no Retain/Snapshot policy anywhere);
- prod: exactly the stateful resources outlive their stack: buckets, KMS keys, the Glue database
  and the log groups holding audit data (stacks/log_groups.py marks those);
- every log group has a retention, every Lambda function logs into a log group of its own stack
  (CDK's provider functions included), and with `kms=true` every log group uses the data key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from stacks.log_groups import AUDIT_METADATA

from .conftest import VARIANTS, variant_config

POLICIES = ("DeletionPolicy", "UpdateReplacePolicy")
LEFT_BEHIND = {"Retain", "RetainExceptOnCreate", "Snapshot"}
STATEFUL_TYPES = {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Glue::Database"}
LOG_GROUP = "AWS::Logs::LogGroup"
# Resources whose log groups hold audit data, wherever they appear.
AUDITED_BY = ("AWS::EC2::FlowLog", "AWS::StepFunctions::StateMachine")


def variants(prod: bool) -> list[str]:
    return [v for v in VARIANTS if variant_config(v).is_prod == prod]


def resources(synthesized, variant_names) -> Iterator[tuple[str, str, dict, dict]]:
    """(stack name, logical id, resource, whole template) of every resource of the variants."""
    for (variant, role), stack in synthesized.stack_names.items():
        if variant in variant_names:
            template = synthesized.template_json(variant, role)
            for logical_id, resource in template["Resources"].items():
                yield stack, logical_id, resource, template


def referenced_ids(value) -> set[str]:
    """Logical ids a property value points at (Ref and Fn::GetAtt), at any depth."""
    if isinstance(value, dict):
        found = set()
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for inner in value.values():
            found |= referenced_ids(inner)
        return found
    if isinstance(value, list):
        return set().union(*map(referenced_ids, value)) if value else set()
    return set()


def is_audit_log(resource: dict) -> bool:
    key, value = AUDIT_METADATA
    return resource["Type"] == LOG_GROUP and resource.get("Metadata", {}).get(key) == value


def test_both_stages_are_synthesized():
    assert variants(prod=False) and variants(prod=True)


def test_dev_destroy_leaves_nothing_behind(synthesized):
    kept = [
        f"{stack}/{logical_id} ({resource['Type']}): {policy} {resource[policy]}"
        for stack, logical_id, resource, _ in resources(synthesized, variants(prod=False))
        for policy in POLICIES
        if resource.get(policy) in LEFT_BEHIND
    ]
    assert kept == []


def test_prod_retains_exactly_the_stateful_resources(synthesized):
    retained, stateful = set(), set()
    for stack, logical_id, resource, _ in resources(synthesized, variants(prod=True)):
        if any(resource.get(policy) in LEFT_BEHIND for policy in POLICIES):
            assert all(resource.get(policy) == "Retain" for policy in POLICIES), (stack, logical_id)
            retained.add((stack, logical_id, resource["Type"]))
        if resource["Type"] in STATEFUL_TYPES or is_audit_log(resource):
            stateful.add((stack, logical_id, resource["Type"]))
    assert retained == stateful
    # Not vacuous: the prod variant has every kind of stateful resource.
    assert {kind for _, _, kind in retained} == STATEFUL_TYPES | {LOG_GROUP}


def test_log_groups_of_flow_logs_and_state_machines_are_audit_logs(synthesized):
    audited = []
    for stack, logical_id, resource, template in resources(synthesized, VARIANTS):
        if resource["Type"] in AUDITED_BY:
            groups = [
                ref
                for ref in referenced_ids(resource["Properties"])
                if template["Resources"].get(ref, {}).get("Type") == LOG_GROUP
            ]
            assert groups, f"{stack}/{logical_id} logs into no log group of its stack"
            audited += [(stack, group) for group in groups if not is_audit_log(template["Resources"][group])]
    assert audited == []


def test_every_log_group_has_a_retention(synthesized):
    forever = [
        f"{stack}/{logical_id}"
        for stack, logical_id, resource, _ in resources(synthesized, VARIANTS)
        if resource["Type"] == LOG_GROUP and not resource["Properties"].get("RetentionInDays")
    ]
    assert forever == []


def test_every_lambda_function_logs_into_a_log_group_of_its_stack(synthesized):
    """Otherwise Lambda creates /aws/lambda/<name> itself: no retention, and it outlives destroy."""
    functions = [
        (stack, logical_id, resource, template)
        for stack, logical_id, resource, template in resources(synthesized, VARIANTS)
        if resource["Type"] == "AWS::Lambda::Function"
    ]
    assert functions, "no Lambda function at all: CDK's provider functions should be there"
    for stack, logical_id, resource, template in functions:
        target = resource["Properties"].get("LoggingConfig", {}).get("LogGroup")
        (group,) = referenced_ids(target) or {None}
        assert template["Resources"].get(group, {}).get("Type") == LOG_GROUP, f"{stack}/{logical_id}: {target}"


def data_key_id(synthesized, variant: str) -> str:
    (key_id,) = [
        logical_id
        for logical_id, resource in synthesized.template_json(variant, "storage")["Resources"].items()
        if resource["Type"] == "AWS::KMS::Key"
    ]
    return key_id


@pytest.mark.parametrize("variant", VARIANTS)
def test_log_groups_use_the_data_key_exactly_when_kms_is_on(synthesized, variant):
    kms = variant_config(variant).kms
    key_id = data_key_id(synthesized, variant) if kms else None
    groups = [
        (stack, logical_id, resource)
        for stack, logical_id, resource, _ in resources(synthesized, [variant])
        if resource["Type"] == LOG_GROUP
    ]
    assert groups
    for stack, logical_id, resource in groups:
        key = resource["Properties"].get("KmsKeyId")
        if kms:  # a GetAtt in the storage stack, a cross-stack reference to it elsewhere
            assert key is not None and key_id in json.dumps(key), f"{stack}/{logical_id}: {key}"
        else:
            assert key is None, f"{stack}/{logical_id}: {key}"


def test_cloudwatch_logs_may_use_the_data_key_only_for_this_accounts_log_groups(synthesized):
    variant = next(v for v in VARIANTS if variant_config(v).kms)
    key = synthesized.template_json(variant, "storage")["Resources"][data_key_id(synthesized, variant)]
    (statement,) = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchLogsOfThisAccountAndRegion"
    ]
    assert statement["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert statement["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":logs:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":log-group:*",
                    ],
                ]
            }
        }
    }
    assert not any(action.startswith(("kms:Create", "kms:Put", "kms:Schedule")) for action in statement["Action"])
