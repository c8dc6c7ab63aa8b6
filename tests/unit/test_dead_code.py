"""`make lint`'s dead-code check (vulture, configured in pyproject.toml): it covers every product
package, its whitelist says why for each name, and it reports a name nothing uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tomllib
from product_packages import PRODUCT_PACKAGES

from wikilake_core.paths import PROJECT_ROOT

VULTURE = Path(sys.executable).parent / "vulture"
WHITELIST = PROJECT_ROOT / "tools" / "vulture_whitelist.py"


def _config() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["vulture"]


def test_make_lint_checks_every_product_package_for_dead_code():
    dry_run = subprocess.run(["make", "-n", "lint"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert ".venv/bin/vulture" in dry_run.stdout.splitlines()
    paths = _config()["paths"]
    assert set(paths) == {*PRODUCT_PACKAGES, "app.py", "tools/vulture_whitelist.py"}
    assert not any(path.startswith("tests") for path in paths)  # a name only a test reads is dead
    assert _config()["min_confidence"] == 60  # vulture's lowest level: nothing it finds is hidden


def test_every_whitelisted_name_says_why():
    lines = WHITELIST.read_text().splitlines()
    body = [line for line in lines[1:] if line.strip() and line.strip() != ")"]
    assert body and all("  # " in line for line in body), [line for line in body if "  # " not in line]


def test_a_name_nothing_uses_is_reported(tmp_path):
    module = tmp_path / "helper.py"
    module.write_text('"""A module."""\n\n\ndef used():\n    return 1\n\n\ndef never_called():\n    return used()\n')
    found = subprocess.run(
        [VULTURE, str(module), str(WHITELIST), "--min-confidence", "60"], capture_output=True, text=True
    )
    assert found.returncode == 3
    assert found.stdout.splitlines() == [f"{module}:8: unused function 'never_called' (60% confidence)"]
