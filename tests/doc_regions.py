"""The generated regions of the docs: held against what the code or the bench produced, rewritten on request.

A region is the markdown between ``<!-- generated: NAME ... -->`` (the rest of that line says
from what) and ``<!-- end generated: NAME -->``. A test renders the region from its source (the
synthesized templates, the committed bench results) and calls :func:`check_region`: the doc must
read exactly that. ``make docs-tables`` (``WIKILAKE_UPDATE_DOCS=1``) writes the rendering
instead, like a snapshot update; review the diff before committing it.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

UPDATE_VARIABLE = "WIKILAKE_UPDATE_DOCS"
REFRESH = "`make docs-tables`"


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"^<!-- generated: {re.escape(name)}\b.*?-->\n(?P<body>.*?)^<!-- end generated: {re.escape(name)} -->$",
        re.MULTILINE | re.DOTALL,
    )


def header(name: str, source: str) -> str:
    return f"<!-- generated: {name} from {source} by {REFRESH}; edit the source, not this -->"


def check_region(path: Path, name: str, source: str, body: str) -> None:
    """``path`` must hold region ``name`` with exactly this header and body (the body ends with a
    newline); with WIKILAKE_UPDATE_DOCS=1 the region is rewritten to it instead."""
    text = path.read_text()
    found = _pattern(name).search(text)
    assert found, f"{path.name}: no region <!-- generated: {name} ... --> <!-- end generated: {name} -->"
    expected = f"{header(name, source)}\n{body}<!-- end generated: {name} -->"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.write_text(text[: found.start()] + expected + text[found.end() :])
        return
    diff = "\n".join(
        difflib.unified_diff(found.group(0).splitlines(), expected.splitlines(), "doc", "source", lineterm="")
    )
    assert found.group(0) == expected, f"{path.name}, region {name}, is stale: run {REFRESH} and review\n{diff}"


def cell(text: str) -> str:
    """Free text as one markdown table cell: pipes, asterisks and angle brackets shown as written
    (GitHub would read ``<dataset>`` as an HTML tag and hide it)."""
    return text.replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;").replace("\n", " ")


def table(columns: list[str], rows: list[list[str]], right: frozenset[str] = frozenset()) -> str:
    """A markdown table; ``right``: the columns aligned right (figures)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---:" if c in right else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
