"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class WikilakeError(Exception):
    """A user-facing error: its message is printed as is, on one line."""
