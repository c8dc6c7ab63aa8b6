"""Units a reader can hold (issue 24): no function or method over 60 lines, counted from its `def`
line (decorators excluded) to its last line, unless its docstring says `(declarative table: <why>)`;
no module over 400 lines unless its module docstring says `(stays whole: <why>)`. The check reads
the source with ast, so a nested function is measured on its own and also counts in its parent."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from product_packages import PRODUCT_PACKAGES

from wikilake_core.paths import PROJECT_ROOT

MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
TABLE_MARKER = re.compile(r"\(declarative table: \S[^)]*\)")
WHOLE_MARKER = re.compile(r"\(stays whole: \S[^)]*\)")

TOP_LEVEL_GLOBS = ("tools/*.py", "app.py")
# Generated or fetched, never read as product code (.gitignore'd).
SKIPPED_PARTS = {"__pycache__", "cache"}


@dataclass(frozen=True)
class Offender:
    path: str
    line: int
    name: str
    length: int
    limit: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name} is {self.length} lines (limit {self.limit})"


def product_files(root: Path = PROJECT_ROOT) -> list[Path]:
    files = [path for package in PRODUCT_PACKAGES for path in (root / package).rglob("*.py")]
    files += [path for pattern in TOP_LEVEL_GLOBS for path in root.glob(pattern)]
    return sorted(path for path in files if not SKIPPED_PARTS & set(path.relative_to(root).parts))


def _functions(tree: ast.Module):
    """Every function and method with its dotted name (Class.method, outer.inner)."""

    def visit(node: ast.AST, prefix: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    yield name, child
                yield from visit(child, f"{name}.")
            else:
                yield from visit(child, prefix)

    yield from visit(tree, "")


def offenders_in(source: str, path: str) -> list[Offender]:
    tree = ast.parse(source)
    found = []
    module_lines = len(source.splitlines())
    if module_lines > MAX_MODULE_LINES and not WHOLE_MARKER.search(ast.get_docstring(tree) or ""):
        found.append(Offender(path, 1, "<module>", module_lines, MAX_MODULE_LINES))
    for name, node in _functions(tree):
        # FunctionDef.lineno is the `def` line itself; decorators sit above it.
        length = node.end_lineno - node.lineno + 1
        if length > MAX_FUNCTION_LINES and not TABLE_MARKER.search(ast.get_docstring(node) or ""):
            found.append(Offender(path, node.lineno, name, length, MAX_FUNCTION_LINES))
    return found


def test_every_unit_is_short_or_says_why():
    offenders = [
        offender
        for path in product_files()
        for offender in offenders_in(path.read_text(), str(path.relative_to(PROJECT_ROOT)))
    ]
    if offenders:
        pytest.fail(
            "units too long to hold (split them, or mark them with the reason):\n" + "\n".join(map(str, offenders)),
            pytrace=False,
        )


def test_the_scan_covers_every_product_package():
    scanned = {path.relative_to(PROJECT_ROOT).parts[0] for path in product_files()}
    assert scanned == {
        "wikilake",
        "wikilake_core",
        "wikilake_ingest",
        "wikilake_settings",
        "functions",
        "spark_jobs",
        "stacks",
        "bench",
    } | {
        "tools",
        "app.py",
    }
    # The asset's links to the shared packages are not scanned twice.
    assert not any(
        path.relative_to(PROJECT_ROOT).parts[:2] == ("functions", "wikilake_core") for path in product_files()
    )


def _function(body_lines: int, docstring: str = "", decorators: int = 0) -> str:
    """A function whose def-to-end span is 1 (def) + docstring line + body_lines."""
    head = "".join("@staticmethod\n" for _ in range(decorators)) + "def f():\n"
    return head + f'    """{docstring}"""\n' + "    x = 1\n" * body_lines


@pytest.mark.parametrize(
    ("body_lines", "flagged"),
    [(MAX_FUNCTION_LINES - 2, False), (MAX_FUNCTION_LINES - 1, True)],
)
def test_a_function_over_the_limit_is_flagged_by_name_line_and_length(body_lines, flagged):
    offenders = offenders_in("import os\n\n" + _function(body_lines), "m.py")
    expected = [Offender("m.py", 3, "f", MAX_FUNCTION_LINES + 1, MAX_FUNCTION_LINES)] if flagged else []
    assert offenders == expected


def test_decorators_do_not_count():
    assert not offenders_in(_function(MAX_FUNCTION_LINES - 2, decorators=5), "m.py")


def test_methods_and_nested_functions_are_measured_with_their_dotted_names():
    method = textwrap.indent(_function(MAX_FUNCTION_LINES), "    ")
    source = f"class C:\n{method}"
    assert [o.name for o in offenders_in(source, "m.py")] == ["C.f"]
    nested = "def outer():\n" + textwrap.indent(_function(MAX_FUNCTION_LINES), "    ")
    assert [o.name for o in offenders_in(nested, "m.py")] == ["outer", "outer.f"]


def test_a_declarative_table_with_its_reason_is_allowed_and_without_one_is_not():
    assert not offenders_in(_function(80, "(declarative table: one row per setting)"), "m.py")
    assert offenders_in(_function(80, "(declarative table: )"), "m.py")
    assert offenders_in(_function(80, "a declarative table"), "m.py")


def test_a_long_module_needs_its_reason_in_the_module_docstring():
    body = "x = 1\n" * MAX_MODULE_LINES
    assert offenders_in(body, "m.py") == []
    longer = body + "y = 2\n"
    assert offenders_in(longer, "m.py") == [Offender("m.py", 1, "<module>", MAX_MODULE_LINES + 1, MAX_MODULE_LINES)]
    marked = '"""Holds x. (stays whole: one table)"""\n' + body
    assert not offenders_in(marked, "m.py")
    # The marker counts only in the module docstring, not in a comment.
    assert offenders_in("# (stays whole: one table)\n" + body, "m.py")
