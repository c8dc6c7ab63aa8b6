"""wikilake: CLI, AWS operations, local runner and local query engine."""

__version__ = "0.1.0"  # pyproject.toml reads it from here
