"""The type check's reach and honesty: mypy's file list (pyproject.toml [tool.mypy]) is every product
package found on disk, so a new one cannot go unchecked, and leaves out the bench, the tests and the
asset's symlinked copies; no error is silenced wholesale; `make lint` runs it with that config."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import tomllib

from wikilake_core.paths import PROJECT_ROOT

MYPY = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
NOT_PRODUCT = {"bench", "tests"}  # `make bench`'s package and the suite: not shipped
# `# type: ignore` with no [code]: silences every error on its line.
BARE_IGNORE = re.compile(r"#\s*type:\s*ignore(?!\[)")


def _packages(folder: Path) -> set[Path]:
    """The real (not symlinked) Python packages directly under ``folder``."""
    return {p.parent for p in folder.glob("*/__init__.py") if not p.parent.is_symlink()}


def test_mypy_checks_every_product_package_and_nothing_else():
    on_disk = {p.name for p in _packages(PROJECT_ROOT)} - NOT_PRODUCT
    functions = {p.relative_to(PROJECT_ROOT).as_posix() for p in _packages(PROJECT_ROOT / "functions")}
    assert functions == {"functions/wikilake_functions"}  # the symlinks wikilake_core/_ingest are not listed
    assert set(MYPY["files"]) == on_disk | functions | {"app.py"}
    assert MYPY["mypy_path"] == "functions"


def test_no_error_is_silenced_wholesale():
    assert not {"ignore_errors", "ignore_missing_imports", "follow_imports"} & MYPY.keys()
    for override in MYPY["overrides"]:
        assert set(override) == {"module", "ignore_missing_imports"}, override  # untyped imports only
        assert "*" not in override["module"], override  # named modules, not all of them
    checked = [PROJECT_ROOT / name for name in MYPY["files"]]
    sources = [f for path in checked for f in ([path] if path.is_file() else path.rglob("*.py"))]
    bare = [
        f"{f}:{n}" for f in sources for n, line in enumerate(f.read_text().splitlines(), 1) if BARE_IGNORE.search(line)
    ]
    assert not bare, f"name the error code: # type: ignore[code] ({bare})"


def test_make_lint_runs_mypy_with_the_pyproject_config():
    dry_run = subprocess.run(["make", "-n", "lint"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert ".venv/bin/mypy" in dry_run.stdout.splitlines()  # no arguments: files and options from pyproject.toml
