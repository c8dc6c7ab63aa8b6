"""The one exception a job raises for bad input or arguments: its message is printed as one line."""


class JobError(Exception):
    """Input or arguments the job refuses before writing anything (exit status 2)."""
