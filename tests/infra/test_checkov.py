"""checkov over every synthesized template (all variants, dev and prod): zero failed checks with
the skips of .checkov.yaml, and every skip still needed (each skipped check fails somewhere without it).

checkov runs from its own venv (.venv-checkov, `make setup`): its pins conflict with requirements.txt.
"""

import json
import subprocess

import pytest
import yaml

from wikilake_core.paths import PROJECT_ROOT

from .conftest import VARIANTS, variant_config

CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = PROJECT_ROOT / ".checkov.yaml"


def skipped_checks() -> list[str]:
    return yaml.safe_load(CONFIG.read_text())["skip-check"]


def failed_checks(outdir, *args: str) -> list[tuple[str, str, str]]:
    """(check id, template, resource) of every failed check."""
    assert CHECKOV.exists(), "checkov is not installed: run `make setup`"
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(outdir),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
            *args,
        ],
        # cwd: checkov would read ./.checkov.yaml by itself; only an explicit --config-file counts
        cwd=outdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.stdout.lstrip().startswith(("[", "{")), result.stderr[-3000:]  # a crash prints no report
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return sorted(
        (check["check_id"], check["file_path"].rsplit("/", 1)[-1], check["resource"])
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    )


def test_templates_of_both_stages_are_scanned():
    assert {variant_config(v).stage for v in VARIANTS} == {"dev", "prod"}


def test_checkov_reports_no_failed_check(synthesized):
    assert failed_checks(synthesized.outdir, "--config-file", str(CONFIG)) == []


def test_every_skipped_check_is_still_needed(synthesized):
    skipped = skipped_checks()
    assert skipped and len(skipped) == len(set(skipped))
    failing = {check for check, _, _ in failed_checks(synthesized.outdir, "--check", ",".join(skipped))}
    assert sorted(set(skipped) - failing) == []


@pytest.mark.parametrize("check", skipped_checks())
def test_every_skip_has_a_reason(check):
    lines = CONFIG.read_text().splitlines()
    index = lines.index(f"  - {check}")
    assert lines[index - 1].lstrip().startswith("#"), f"{check}: no comment saying why it is skipped"
