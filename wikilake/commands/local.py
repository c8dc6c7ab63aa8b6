"""`wikilake local` (placeholder until its issue lands)."""
from wikilake.errors import WikilakeError


def _not_yet(args):
    raise WikilakeError("'local' is not implemented yet")


def register(subparsers):
    subparsers.add_parser("local", help="(not implemented yet)").set_defaults(func=_not_yet)
