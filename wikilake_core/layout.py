"""The data-lake layout: where each kind of object lives under a lake root (s3://bucket or a folder).

The single source of these paths for the jobs, the CDK stacks and the CLI.
"""

from __future__ import annotations

RAW = "raw"
PROCESSED = "processed"
REJECTED = "rejected"
MANIFESTS = "manifests"
QUALITY = "quality"  # the quality checks of each run (wikilake_core/run_history.py)
ATHENA_RESULTS = "athena-results"
LOGS = "logs"
EMR_LOGS = f"{LOGS}/emr"
EMR_SERVERLESS_LOGS = f"{LOGS}/emr-serverless"

PARTITION_KEY = "dt"
MANIFEST_NAME = "manifest.json"


def _join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


def partition(dt: str) -> str:
    return f"{PARTITION_KEY}={dt}"


def raw_dir(root: str, dataset: str, dt: str) -> str:
    return _join(root, RAW, dataset, partition(dt))


def table_dir(root: str, table: str) -> str:
    return _join(root, PROCESSED, table)


def table_partition_dir(root: str, table: str, dt: str) -> str:
    return _join(root, PROCESSED, table, partition(dt))


def rejected_dir(root: str, dataset: str, dt: str) -> str:
    return _join(root, REJECTED, dataset, partition(dt))


def manifest_path(root: str, dataset: str, dt: str) -> str:
    return _join(root, MANIFESTS, dataset, partition(dt), MANIFEST_NAME)
