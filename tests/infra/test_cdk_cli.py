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


@pytest.mark.parametrize(
    "override, message",
    [
        ("ssh_cidrs=0.0.0.0/0", "wikilake: context ssh_cidrs='0.0.0.0/0': SSH open to the internet"),
        ("release_label=emr-1.0.0", "wikilake: context release_label='emr-1.0.0': not a supported EMR release"),
        (
            "schedule=pageviews@cron(30 4 * *)",
            "wikilake: context schedule='pageviews@cron(30 4 * *)': not an "
            "EventBridge Scheduler cron() or rate() expression",
        ),
        ("schedule=clicks", "wikilake: context schedule='clicks': unknown dataset 'clicks'"),
        (
            "delivery_repo=my-org/wikilake",
            "wikilake: context delivery_connection_arn: delivery_repo and delivery_connection_arn go together",
        ),
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
