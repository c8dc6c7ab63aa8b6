"""Which of our packages may import which: read from the source with `ast` (nothing is imported),
every import counted, including those inside functions and `importlib.import_module` of a fixed
name. The table is docs/architecture.md's "Which folder may import which"."""

from __future__ import annotations

import ast
from typing import NamedTuple

import pytest

from wikilake_core.paths import PROJECT_ROOT

# Each of our packages and the folder that holds it.
PACKAGES = {
    "wikilake": "wikilake",
    "wikilake_functions": "functions/wikilake_functions",
    "wikilake_ingest": "wikilake_ingest",
    "wikilake_core": "wikilake_core",
    "wikilake_settings": "wikilake_settings",
    "spark_jobs": "spark_jobs",
    "stacks": "stacks",
    "bench": "bench",
}

# THE RULES: which of our packages each package may import besides itself. Anything not listed is
# forbidden, so a new package starts with no rights; docs/architecture.md shows this table.
MAY_IMPORT: dict[str, frozenset[str]] = {
    # The shared pure code: standard library only, runs everywhere (jobs, functions, stacks, CLI).
    "wikilake_core": frozenset(),
    # The download engine: used by the CLI's `ingest` and the ingest function alike.
    "wikilake_ingest": frozenset({"wikilake_core"}),
    # The PySpark jobs ship alone in the job zip (with wikilake_core) to EMR.
    "spark_jobs": frozenset({"wikilake_core"}),
    # The Lambda handlers ship as the functions' asset: no CLI, no stack, no bench, no job.
    "wikilake_functions": frozenset({"wikilake_core", "wikilake_ingest"}),
    # The app's settings (CDK context -> a frozen config): read by the CDK app and `wikilake preflight`.
    "wikilake_settings": frozenset({"wikilake_core"}),
    # The CDK app: no CLI, no function module (it ships their folder as a file asset), no bench.
    "stacks": frozenset({"wikilake_core", "wikilake_settings"}),
    # The CLI: runs the jobs in local mode, reads the app's settings; no stack, no function module, no bench.
    "wikilake": frozenset({"wikilake_core", "wikilake_ingest", "wikilake_settings", "spark_jobs"}),
    # The bench times the jobs through the CLI's local runner; it deploys nothing (no stacks).
    "bench": frozenset({"wikilake", "wikilake_core", "wikilake_ingest", "wikilake_settings", "spark_jobs"}),
}

# Imports the table forbids but the code still makes, each with the reason it stays. The test fails
# when one is no longer made (so this list cannot outlive its reason).
EXCEPTIONS: dict[tuple[str, str], str] = {}

DYNAMIC_IMPORTERS = {"import_module", "__import__"}


class Import(NamedTuple):
    package: str  # the top-level package named
    line: int


def imported_packages(source: str) -> list[Import]:
    """The top-level packages a module's source imports, wherever the import statement stands;
    `importlib.import_module("pkg.mod")` and `import_module(f"pkg.{name}")` count as importing pkg.
    Relative imports stay inside their own package and are left out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(Import(node.module.split(".")[0], node.lineno))
        elif isinstance(node, ast.Call) and _callee_name(node.func) in DYNAMIC_IMPORTERS and node.args:
            name = _leading_text(node.args[0])
            if name:
                found.append(Import(name.split(".")[0], node.lineno))
    return found


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _leading_text(arg: ast.expr) -> str | None:
    """The fixed start of a module name given as a string or an f-string."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return str(arg.values[0].value)
    return None


def imports_of_ours(package: str) -> list[tuple[str, Import]]:
    """(file relative to the project, import) for every import of another of our packages."""
    found = []
    for path in sorted((PROJECT_ROOT / PACKAGES[package]).rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        for imported in imported_packages(path.read_text(encoding="utf-8")):
            if imported.package in PACKAGES and imported.package != package:
                found.append((relative, imported))
    return found


def test_the_table_covers_every_package_of_ours():
    assert set(MAY_IMPORT) == set(PACKAGES)
    for package, folder in PACKAGES.items():
        assert (PROJECT_ROOT / folder / "__init__.py").is_file(), f"{folder} is not the package {package}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_package_imports_only_what_the_table_allows(package):
    allowed = MAY_IMPORT[package]
    broken = [
        f"{path}:{imported.line}: imports {imported.package} "
        f"({package} may import {', '.join(sorted(allowed)) or 'none of our packages'})"
        for path, imported in imports_of_ours(package)
        if imported.package not in allowed and (path, imported.package) not in EXCEPTIONS
    ]
    assert not broken, "import rules broken (tests/unit/test_import_rules.py):\n" + "\n".join(broken)


def test_every_exception_is_still_needed():
    made = {(path, imported.package) for package in PACKAGES for path, imported in imports_of_ours(package)}
    stale = [
        f"{path} no longer imports {target}: drop its exception"
        for path, target in EXCEPTIONS
        if (path, target) not in made
    ]
    assert not stale, "\n".join(stale)


def test_lazy_and_dynamic_imports_are_counted():
    source = """
import json
from wikilake_core import layout
from . import sibling

def later(name):
    import wikilake.output
    from stacks.pipeline import Pipeline
    return importlib.import_module(f"spark_jobs.{name}"), __import__("bench.cli"), import_module(name)
"""
    assert imported_packages(source) == [
        Import("json", 2),
        Import("wikilake_core", 3),
        Import("wikilake", 7),
        Import("stacks", 8),
        Import("spark_jobs", 9),
        Import("bench", 9),
    ]


def test_the_architecture_doc_shows_this_table():
    """docs/architecture.md's "Which folder may import which": one row per package, the packages
    it may import in backticks in the second column."""
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("### Which folder may import which", 1)[1]
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| `")]
    documented = {_names(package)[0]: frozenset(_names(allowed)) for package, allowed in rows}
    assert documented == MAY_IMPORT


def _names(cell: str) -> list[str]:
    """The backticked package names of a table cell, in order (folder names in brackets left out)."""
    return [name for name in cell.split("`")[1::2] if name in PACKAGES]
