"""Options shared by several verbs."""
from __future__ import annotations

import argparse
import shlex

from wikilake_core.contract import DEFAULT_STACK_PREFIX
from wikilake_core.errors import WikilakeError

DEFAULT_LAKE = "lake"


def add_lake_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", default=DEFAULT_LAKE, metavar="DIR",
                        help="local lake folder mirroring the S3 layout (default: ./lake)")


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS")
    group.add_argument("--region", help="AWS region (default: from the profile/environment)")
    group.add_argument("--profile", help="AWS named profile")
    group.add_argument("--endpoint-url", help="send every AWS call here (moto, LocalStack)")
    group.add_argument("--stack-prefix", default=DEFAULT_STACK_PREFIX,
                       help=f"prefix of the deployed stacks (default: {DEFAULT_STACK_PREFIX})")
    group.add_argument("--stage", default="dev", choices=("dev", "prod"),
                       help="stage of the deployed stacks (default: dev)")


def shell_words(text: str, option: str) -> tuple[str, ...]:
    """Split an option's shell-quoted value (e.g. --job-args='--country "United States"')."""
    try:
        return tuple(shlex.split(text))
    except ValueError as err:
        raise WikilakeError(f"bad {option} {text!r}: {err}") from None
