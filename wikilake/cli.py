"""The `wikilake` command line: parses arguments and dispatches to one module per verb."""

from __future__ import annotations

import argparse
import importlib
import sys

from wikilake_core.errors import WikilakeError

# Each module exposes ``register(subparsers)`` and sets ``func`` on its parser(s). Modules keep
# heavy imports (pyspark, boto3, duckdb) inside their handlers so `wikilake --help` stays fast.
COMMAND_MODULES = (
    "local",
    "query",
    "ingest",
    "preflight",
    "run",
    "backfill",
    "runs",
    "profile",
    "ui",
    "status",
    "ssh",
    "demo",
    "bench",
)


EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the usage text is one --help away), for every verb:
    subparsers are made of the same class."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="wikilake",
        description="Wikipedia dumps -> data lake -> PySpark -> Athena; locally or on AWS.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"wikilake.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a usage error already printed in one line
        return int(done.code or 0)
    try:
        return int(args.func(args) or 0)
    except WikilakeError as err:
        print(f"wikilake: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wikilake: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
