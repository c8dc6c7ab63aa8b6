"""checkov over every synthesized template (all variants, dev and prod): zero failed checks but
the skips of .checkov.yaml, and every skip still needed (each skipped check fails somewhere). One
checkov run with every check serves both: the config's other settings are passed as its options.

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


def run_options() -> list[str]:
    """Every setting of .checkov.yaml but its skips, as checkov's options; a setting of another
    kind is an error rather than left out of the run."""
    options = []
    for key, value in yaml.safe_load(CONFIG.read_text()).items():
        if key == "skip-check":
            continue
        if value is True:
            options.append(f"--{key}")
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            options += [f"--{key}", *value]
        else:
            raise AssertionError(f".checkov.yaml {key}: {value!r} has no checkov option here (run_options)")
    return options


def failed_checks(outdir) -> list[tuple[str, str, str]]:
    """(check id, template, resource) of every failed check, none skipped."""
    assert CHECKOV.exists(), "checkov is not installed: run `make setup`"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(outdir), *run_options(), "--output", "json"],
        # cwd: checkov would read ./.checkov.yaml by itself (and skip what it skips)
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


@pytest.fixture(scope="module")
def failed(synthesized) -> list[tuple[str, str, str]]:
    return failed_checks(synthesized.outdir)


def test_checkov_reports_no_failed_check_but_the_skipped(failed):
    skipped = set(skipped_checks())
    assert [check for check in failed if check[0] not in skipped] == []


def test_every_skipped_check_is_still_needed(failed):
    skipped = skipped_checks()
    assert skipped and len(skipped) == len(set(skipped))
    assert sorted(set(skipped) - {check for check, _, _ in failed}) == []


@pytest.mark.parametrize("check", skipped_checks())
def test_every_skip_has_a_reason(check):
    lines = CONFIG.read_text().splitlines()
    index = lines.index(f"  - {check}")
    assert lines[index - 1].lstrip().startswith("#"), f"{check}: no comment saying why it is skipped"
