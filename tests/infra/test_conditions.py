"""conditions.condition: the context keys that single out the configurations having a fact."""

from types import SimpleNamespace

import pytest

from .conditions import ALWAYS, NoCondition, condition


def config(**overrides) -> SimpleNamespace:
    defaults = {
        "interactive_cluster": False,
        "tls_certificates_s3_uri": None,
        "vpc_id": None,
        "key_pair_name": None,
        "kms": False,
        "stage": "dev",
        "schedule": (),
        "runtime": "emr-ec2",
    }
    return SimpleNamespace(**{**defaults, **overrides})


CONFIGS = {
    "plain": config(),
    "serverless": config(runtime="emr-serverless", stage="prod", kms=True),
    "byo": config(vpc_id="vpc-1", key_pair_name="ops", interactive_cluster=True),
}


def test_a_fact_of_every_configuration_is_always():
    assert condition(CONFIGS, CONFIGS) == ALWAYS


def test_one_key_that_singles_out_the_configurations():
    assert condition({"serverless"}, CONFIGS) == "`runtime=emr-serverless`"
    assert condition({"plain", "byo"}, CONFIGS) == "`runtime=emr-ec2`"
    assert condition({"byo"}, CONFIGS) == "`interactive_cluster=true`"


def test_two_keys_runtime_said_first():
    assert condition({"plain"}, CONFIGS) == "`runtime=emr-ec2`, no `vpc_id`"


def test_a_hint_names_the_cause_the_configurations_cannot_tell():
    # vpc_id and key_pair_name are set together here: the order says vpc_id, the hint key_pair_name
    assert condition({"plain", "serverless"}, CONFIGS) == "no `vpc_id`"
    assert condition({"plain"}, CONFIGS, "KeyPairPrivateKeySsmParameter") == "`runtime=emr-ec2`, no `key_pair_name`"


def test_a_fact_no_key_describes_fails_clearly():
    twins = {"a": config(), "b": config()}
    with pytest.raises(NoCondition, match="add the context key it depends on"):
        condition({"a"}, twins)
