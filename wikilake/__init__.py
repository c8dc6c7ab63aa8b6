"""wikilake: the CLI — its verbs, the AWS operations behind them (boto3) and local mode."""

from wikilake_core import __version__

__all__ = ["__version__"]
