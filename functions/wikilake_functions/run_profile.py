"""The profile of the run the record function records: its Spark event log read from S3, streamed
line by line through the project's parser (wikilake_core/spark_profile.py), so memory holds the
folded profile, never the log (a day's log can be hundreds of megabytes).

Where the log is: EMR on EC2, the run's own folder under logs/spark-events/ (the job's step writes
it there, wikilake_core/event_logs.py); EMR Serverless, the job run's ``sparklogs/`` under the
application's log URI (logs/emr-serverless/), possibly a rolling log of several files.

The profile is for people tuning the pipeline, not part of the data: a log that is missing or
unreadable is logged (INFO, beside the function's other lines) and the run is recorded without a
profile.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import botocore.exceptions

from wikilake_core import layout, run_history, spark_profile
from wikilake_functions import common

log = common.logger(__name__)


def log_prefix(run: Mapping, compute: Mapping) -> str:
    """The S3 prefix (no leading slash, with a trailing one) of the run's event log."""
    if compute["runtime"] == run_history.SERVERLESS_RUNTIME:
        folder = layout.serverless_event_log_dir("", compute["cluster_id"], compute["job_run_id"])
    else:
        folder = layout.event_log_dir("", run["dataset"], run["dt"], run["run_id"])
    return folder.lstrip("/") + "/"


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _lines(s3, bucket: str, keys: list[str]) -> Iterator[bytes]:
    for key in keys:
        yield from s3.get_object(Bucket=bucket, Key=key)["Body"].iter_lines()


def read(s3, bucket: str, prefix: str) -> dict | None:
    """The profile of the event log under ``prefix``; None (logged) when there is none to read."""
    try:
        files = spark_profile.event_files(key.removeprefix(prefix) for key in _keys(s3, bucket, prefix))
        if not files:
            log.info("no Spark event log under s3://%s/%s: the run is recorded without a profile", bucket, prefix)
            return None
        return spark_profile.read(_lines(s3, bucket, [prefix + name for name in files])).profile()
    except (spark_profile.UnreadableEventLog, botocore.exceptions.ClientError) as err:
        log.warning(
            "the Spark event log under s3://%s/%s: %s; the run is recorded without a profile", bucket, prefix, err
        )
        return None
