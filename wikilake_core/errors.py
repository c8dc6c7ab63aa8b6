"""The errors wikilake reports as one line and a non-zero exit, wherever they are raised."""


class WikilakeError(Exception):
    """A user-facing error: its message is printed as is, on one line."""


class JobError(WikilakeError):
    """Input or arguments a job refuses before writing anything (exit status 2)."""
