"""wikilake's core: the lake layout, the dataset registry, dates, the deployment contract and the
errors, shared by the Spark jobs (it ships in their zip), the CDK stacks and the CLI.

Standard library only (ddl.py, read by the stacks and the CLI but never by a job, uses sqlglot),
so it runs on the cluster's own Python and imports in milliseconds.
"""

__version__ = "0.1.0"  # the product version: pyproject.toml reads it from here
