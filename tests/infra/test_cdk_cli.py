"""The real `npx cdk synth` (pinned CLI, venv Node 24, cdk.json app command, nag registered)."""

import os
import subprocess

import pytest

from wikilake_core.paths import PROJECT_ROOT


def cdk_synth(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--quiet", "--output", str(tmp_path / "cdk.out"), *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CI": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cdk_synth_succeeds_with_nag_and_a_supported_node(tmp_path):
    result = cdk_synth(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "end-of-life" not in output and "Node 20" not in output
    assert sorted(p.name for p in (tmp_path / "cdk.out").glob("*.template.json")) == [
        "Wikilake-dev-Catalog.template.json",
        "Wikilake-dev-Processing.template.json",
        "Wikilake-dev-Storage.template.json",
    ]
    # without the delivery keys: no delivery stack, and no stage assemblies (docs/delivery.md)
    assert list((tmp_path / "cdk.out").glob("assembly-*")) == []


# The app turns a ConfigError into one line at two places: the config of the three stacks, and the
# delivery pipeline's stage configs. One case of each through the real CLI; every message itself is
# tests/unit/test_config.py's (each synth here starts the CLI, the app and its jsii Node: seconds).
@pytest.mark.parametrize(
    "override, message",
    [
        ("ssh_cidrs=0.0.0.0/0", "wikilake: context ssh_cidrs='0.0.0.0/0': SSH open to the internet"),
        (
            "delivery_repo=my-org/wikilake -c contact=ops@example.org -c delivery_connection_arn="
            "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
            "wikilake: delivery prod stage: context tls_certificates_s3_uri: stage=prod requires in-transit encryption",
        ),
    ],
)
def test_bad_context_fails_synth_with_one_clear_line(tmp_path, override, message):
    result = cdk_synth(tmp_path, *(arg for value in override.split(" -c ") for arg in ("-c", value)))
    assert result.returncode != 0
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("wikilake:")]
    assert line.startswith(message) and "; fix: " in line
    assert "Traceback" not in result.stderr


def test_with_the_delivery_keys_synth_makes_the_delivery_stack_whose_synth_reproduces_these_arguments(tmp_path):
    """What the pipeline's Build stage runs: the app with the delivery keys gives one stack and
    the two stage assemblies, and that stack's synth command passes the same -c values again."""
    import json
    import shlex

    given = [
        "delivery_repo=my-org/wikilake",
        "delivery_connection_arn=arn:aws:codeconnections:eu-west-1:123456789012:connection/"
        "0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        "contact=ops@example.org",
        "tls_certificates_s3_uri=s3://my-certs/emr/certs.zip",
        "schedule=pageviews@cron(0 6 ? * MON,WED *)",
    ]
    result = cdk_synth(tmp_path, *(arg for value in given for arg in ("-c", value)))
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "cdk.out"
    assert [p.name for p in out.glob("*.template.json")] == ["Wikilake-Delivery.template.json"]
    assert sorted(p.name for p in out.glob("assembly-*")) == [
        "assembly-Wikilake-Delivery-Dev",
        "assembly-Wikilake-Delivery-Prod",
    ]
    template = json.loads((out / "Wikilake-Delivery.template.json").read_text())
    (synth,) = [
        r["Properties"]["Source"]["BuildSpec"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::CodeBuild::Project" and k.startswith("PipelineBuildSynth")
    ]
    (command,) = json.loads(synth)["phases"]["build"]["commands"]
    words = shlex.split(command)
    assert words[:3] == ["make", "synth", "PYTHON=python3"] and words[3].startswith("CDK_ARGS=")
    passed = shlex.split(words[3].removeprefix("CDK_ARGS="))
    assert sorted(passed[1::2]) == sorted(given) and set(passed[::2]) == {"-c"}
