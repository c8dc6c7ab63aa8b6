"""Options shared by several verbs."""

from __future__ import annotations

import argparse
import shlex

from wikilake_core.contract import DEFAULT_STACK_PREFIX
from wikilake_core.errors import WikilakeError

DEFAULT_LAKE = "lake"


def add_lake_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lake",
        default=DEFAULT_LAKE,
        metavar="DIR",
        help="local lake folder mirroring the S3 layout (default: ./lake)",
    )


def add_aws_options(parser: argparse.ArgumentParser, *, deployment: bool = True) -> None:
    """--region --profile --endpoint-url, and (``deployment``) which deployed stacks to read."""
    group = parser.add_argument_group("AWS")
    group.add_argument("--region", help="AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's)")
    group.add_argument("--profile", help="AWS named profile")
    group.add_argument("--endpoint-url", help="send every AWS call here (moto, LocalStack)")
    if not deployment:
        return
    group.add_argument(
        "--stack-prefix",
        default=DEFAULT_STACK_PREFIX,
        help=f"prefix of the deployed stacks (default: {DEFAULT_STACK_PREFIX})",
    )
    group.add_argument(
        "--stage", default="dev", choices=("dev", "prod"), help="stage of the deployed stacks (default: dev)"
    )


def shell_words(text: str, option: str) -> tuple[str, ...]:
    """Split an option's shell-quoted value (e.g. --job-args='--country "United States"')."""
    try:
        return tuple(shlex.split(text))
    except ValueError as err:
        raise WikilakeError(f"bad {option} {text!r}: {err}") from None


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return value


def elapsed(seconds: float) -> str:
    """``3m07s``, or ``1h02m03s`` from an hour on."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
