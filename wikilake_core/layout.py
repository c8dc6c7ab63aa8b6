"""The data-lake layout: where each kind of object lives under a lake root (s3://bucket or a folder).

The single source of these paths for the jobs, the CDK stacks and the CLI.

A run writes its tables, rejected records and manifest under a run-scoped folder of the day
(``.../dt=<dt>/run=<run_id>/``; its manifest under ``run-manifests/``); the day's manifest
(``manifests/<dataset>/dt=<dt>/manifest.json``) names the live run, and only once that run is whole
and verified (docs/atomic-days.md).
"""

from __future__ import annotations

RAW = "raw"
PROCESSED = "processed"
REJECTED = "rejected"
MANIFESTS = "manifests"
# Each run's own manifest, outside manifests/: the runs table (Athena reads every file under a
# partition's folder, recursively) must see the day's manifest only, one row per day.
RUN_MANIFESTS = "run-manifests"
QUALITY = "quality"  # the quality checks of each run (wikilake_core/run_history.py)
ATHENA_RESULTS = "athena-results"
LOGS = "logs"
EMR_LOGS = f"{LOGS}/emr"
EMR_SERVERLESS_LOGS = f"{LOGS}/emr-serverless"
# Spark's event log of each run on EMR on EC2 and locally (wikilake_core/event_logs.py); EMR
# Serverless keeps its own under EMR_SERVERLESS_LOGS (serverless_event_log_dir).
SPARK_EVENT_LOGS = f"{LOGS}/spark-events"

PARTITION_KEY = "dt"
RUN_KEY = "run"  # the run-scoped folder under a day: run=<run_id>
MANIFEST_NAME = "manifest.json"
# The local writer lock of a day (wikilake/local/day_lock.py): hidden, so no reader lists it as data.
DAY_LOCK_NAME = ".writer.lock"


def _join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *parts])


def partition(dt: str) -> str:
    return f"{PARTITION_KEY}={dt}"


def run_folder(run_id: str) -> str:
    return f"{RUN_KEY}={run_id}"


def raw_dir(root: str, dataset: str, dt: str) -> str:
    return _join(root, RAW, dataset, partition(dt))


def table_dir(root: str, table: str) -> str:
    return _join(root, PROCESSED, table)


def table_partition_dir(root: str, table: str, dt: str) -> str:
    return _join(root, PROCESSED, table, partition(dt))


def table_run_dir(root: str, table: str, dt: str, run_id: str) -> str:
    """One run's files of a table's day; the day's manifest says which run is live."""
    return _join(root, PROCESSED, table, partition(dt), run_folder(run_id))


def rejected_dir(root: str, dataset: str, dt: str) -> str:
    return _join(root, REJECTED, dataset, partition(dt))


def rejected_run_dir(root: str, dataset: str, dt: str, run_id: str) -> str:
    return _join(root, REJECTED, dataset, partition(dt), run_folder(run_id))


def manifest_path(root: str, dataset: str, dt: str) -> str:
    """The day's manifest: a copy of the live run's manifest, written when that run is published."""
    return _join(root, MANIFESTS, dataset, partition(dt), MANIFEST_NAME)


def run_manifest_dir(root: str, dataset: str, dt: str) -> str:
    """The day's folder of run manifests (one run=<run_id>/ subfolder per run)."""
    return _join(root, RUN_MANIFESTS, dataset, partition(dt))


def run_manifest_path(root: str, dataset: str, dt: str, run_id: str) -> str:
    """The manifest one run writes last, in its own folder: the run is whole once it exists."""
    return _join(run_manifest_dir(root, dataset, dt), run_folder(run_id), MANIFEST_NAME)


def day_lock_path(root: str, dataset: str, dt: str) -> str:
    return _join(root, MANIFESTS, dataset, partition(dt), DAY_LOCK_NAME)


def event_log_day_dir(root: str, dataset: str, dt: str) -> str:
    """The day's folder of run event logs (one run=<run_id>/ subfolder per run)."""
    return _join(root, SPARK_EVENT_LOGS, dataset, partition(dt))


def event_log_dir(root: str, dataset: str, dt: str, run_id: str) -> str:
    """The folder of one run's Spark event log (one file, named by Spark after the application)."""
    return _join(event_log_day_dir(root, dataset, dt), run_folder(run_id))


def serverless_event_log_dir(root: str, application_id: str, job_run_id: str) -> str:
    """Where EMR Serverless puts a job run's Spark event logs under the application's S3 log URI
    (``<logUri>/applications/<app>/jobs/<run>/sparklogs/``, EMR Serverless User Guide, "Storing
    logs"; the service names the files itself)."""
    return _join(root, EMR_SERVERLESS_LOGS, "applications", application_id, "jobs", job_run_id, "sparklogs")
