"""Every repository path the docs name exists: a moved or deleted module, test or results file
leaves no dangling reference in README.md or docs/*.md.

A path is a backticked token whose first segment is a tracked top-level entry of the repository
(`stacks/pipeline.py`, `bench/results/`), or the target of a relative markdown link; tokens with
placeholders or globs (`<dataset>`, `*`) and lake paths (`raw/...`, not a repository folder) are
not paths of the checkout, and a git-ignored path (`bench/cache/`, made by a run) need not exist.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from wikilake_core.paths import PROJECT_ROOT

DOCS = sorted([PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").glob("*.md")])
BACKTICKED = re.compile(r"`([A-Za-z0-9_.][A-Za-z0-9_./-]*/[A-Za-z0-9_./-]*)`")
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)#\s]*[./][^)#\s]*)\)")


def tracked_top_level() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name.split("/", 1)[0] for name in files}


def ignored(token: str, path: Path) -> bool:
    """git-ignored (a folder pattern matches only a path that ends in /, as the token does)."""
    relative = os.path.relpath(path, PROJECT_ROOT) + ("/" if token.endswith("/") else "")
    return subprocess.run(["git", "check-ignore", "-q", relative], cwd=PROJECT_ROOT, check=False).returncode == 0


def named_paths(doc: Path, top_level: set[str]) -> list[tuple[str, Path]]:
    text = doc.read_text()
    paths = [(token, PROJECT_ROOT / token) for token in BACKTICKED.findall(text) if token.split("/")[0] in top_level]
    paths += [(target, doc.parent / target) for target in LINK.findall(text)]
    return paths


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_path_a_doc_names_exists(doc):
    missing = [
        token for token, path in named_paths(doc, tracked_top_level()) if not path.exists() and not ignored(token, path)
    ]
    assert missing == [], f"{doc.name} names paths the checkout does not have"


def test_the_check_sees_paths():
    """The patterns find the paths they are meant to (a check that finds nothing passes anything)."""
    found = {token for token, _ in named_paths(PROJECT_ROOT / "docs" / "architecture.md", tracked_top_level())}
    assert {"tests/unit/test_import_rules.py", "configuration.md"} <= found
