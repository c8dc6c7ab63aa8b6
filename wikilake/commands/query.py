"""`wikilake query` (placeholder until its issue lands)."""
from wikilake.errors import WikilakeError


def _not_yet(args):
    raise WikilakeError("'query' is not implemented yet")


def register(subparsers):
    subparsers.add_parser("query", help="(not implemented yet)").set_defaults(func=_not_yet)
