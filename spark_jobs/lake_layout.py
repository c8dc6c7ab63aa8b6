"""The data-lake layout: where each kind of object lives under a lake root (s3://bucket or a folder).

This module is the single source of these paths for the jobs, the CDK stacks and the CLI, so it
must stay free of third-party imports (it ships to EMR with the jobs).
"""
from __future__ import annotations

RAW = "raw"
PROCESSED = "processed"
REJECTED = "rejected"
MANIFESTS = "manifests"
SCRIPTS = "scripts"
ATHENA_RESULTS = "athena-results"
LOGS = "logs"
EMR_LOGS = f"{LOGS}/emr"

PARTITION_KEY = "dt"
DATE_FORMAT = "%Y-%m-%d"

# dataset -> the tables its job writes, in the order they are written.
DATASET_TABLES: dict[str, tuple[str, ...]] = {
    "edits": ("edits", "edits_filtered", "edits_by_channel"),
    "pageviews": ("pageviews_daily", "projectviews_hourly"),
}
DATASETS: tuple[str, ...] = tuple(DATASET_TABLES)
TABLES: tuple[str, ...] = tuple(t for tables in DATASET_TABLES.values() for t in tables)


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
    return _join(root, MANIFESTS, dataset, partition(dt), "manifest.json")
