"""`wikilake bench`: the benchmark of the checkout you are in (`make bench`). The bench is not installed
with the CLI (it times the jobs of a working tree against peers), so this verb runs bench/ of the
current folder as its own program, `python -m bench`: the CLI imports none of it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from wikilake_core.errors import WikilakeError

NOT_A_CHECKOUT = "the bench runs from a wikilake checkout: cd into one and run `make bench` (or `wikilake bench`)"


def _run(args) -> int:
    checkout = Path.cwd()
    if not (checkout / "bench" / "cli.py").is_file():
        raise WikilakeError(NOT_A_CHECKOUT)
    # `-m` puts the current folder first on the bench's path: it runs this checkout's bench and jobs.
    return subprocess.run([sys.executable, "-m", "bench", *args.bench_args], cwd=checkout).returncode


def register(subparsers) -> None:
    # Every argument, --help included, is the bench's own (a prefix no option uses keeps argparse out).
    parser = subparsers.add_parser(
        "bench",
        help="benchmark the jobs of this checkout against DuckDB and zcat (`make bench`)",
        add_help=False,
        prefix_chars="\0",
    )
    parser.add_argument("bench_args", nargs=argparse.REMAINDER)
    parser.set_defaults(func=_run)
