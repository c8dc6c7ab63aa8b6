"""docs/operating.md quotes each command's --help verbatim; this keeps the quotes current.

Run this file (`.venv/bin/python tests/cli/test_operating_docs.py`) to rewrite the quotes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

from wikilake.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "operating.md"
QUOTE = re.compile(r"(<!-- help: (?P<verb>[a-z]+) -->\n```text\n)(?P<help>.*?)(```\n<!-- /help -->)", re.S)
WIDTH = "100"  # argparse wraps to $COLUMNS


def help_text(verb: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([verb, "--help"]) == 0
    return out.getvalue()


def requoted(text: str) -> str:
    return QUOTE.sub(lambda m: m[1] + help_text(m["verb"]) + m[4], text)


def test_the_docs_quote_the_current_help_of_each_command(monkeypatch):
    monkeypatch.setenv("COLUMNS", WIDTH)
    text = DOC.read_text()
    assert [m["verb"] for m in QUOTE.finditer(text)] == ["preflight", "run", "backfill", "runs", "ssh"]
    assert requoted(text) == text, f"stale --help in {DOC}: run python {__file__}"


if __name__ == "__main__":
    os.environ["COLUMNS"] = WIDTH
    DOC.write_text(requoted(DOC.read_text()))
