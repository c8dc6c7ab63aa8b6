"""Where a Spark run writes its event log, and the settings that make it write one the profile can
read (wikilake_core/spark_profile.py): one function for every command line that starts Spark (the
EMR on EC2 step, local sessions, the bench).

EMR Serverless is left alone: with an S3 log URI it already writes each job run's event log under
the lake's logs/emr-serverless/ ("Both managed storage and S3 bucket: event logs stored in both
places", EMR Serverless User Guide, "Storing logs"), and its built-in Spark UI (``wikilake ui``)
reads the copy in managed storage; a ``spark.eventLog.dir`` of ours could take that copy away.
"""

from __future__ import annotations

from wikilake_core import layout

ENABLED = "spark.eventLog.enabled"
DIRECTORY = "spark.eventLog.dir"


def settings(directory: str) -> dict[str, str]:
    """Spark properties writing one plain JSON-lines file per application into ``directory``.

    Rolling and compression off: Spark 4.0 (emr-spark-8.0.0) turned both on by default
    (apache/spark#43638, #43036), which makes a folder of compressed files the standard library
    cannot read; Spark 3.5 writes this way by default. ``directory`` must exist before the
    SparkContext starts (Spark refuses a missing one: SPARK-5311 "won't fix"; on S3 an empty
    prefix does not exist, feast-dev/feast#6317), hence ``folder_marker_key``. An s3:// directory
    is written through EMRFS on EMR on EC2 (e.g. NVIDIA/cudf-spark-tools#927: ``--conf
    spark.eventLog.dir=s3://...`` on an EMR step; EMR's own default is HDFS, gone with the cluster).
    """
    return {
        ENABLED: "true",
        DIRECTORY: directory,
        "spark.eventLog.rolling.enabled": "false",
        "spark.eventLog.compress": "false",
    }


def run_settings(root: str, dataset: str, dt: str, run_id: str | None) -> dict[str, str]:
    """``settings`` for the run's own folder under logs/spark-events/ when the command line names
    its run (the pipeline's runs do); {} otherwise: a run whose id the job picks has no folder
    known beforehand, and keeps the cluster's default event log (HDFS on EMR on EC2)."""
    return settings(layout.event_log_dir(root, dataset, dt, run_id) + "/") if run_id else {}


def folder_marker_key(dataset: str, dt: str, run_id: str) -> str:
    """The S3 key of an empty object that makes the run's event-log folder exist (a key ending in
    "/", the directory marker Hadoop's S3 filesystems read as a folder)."""
    return layout.event_log_dir("", dataset, dt, run_id).lstrip("/") + "/"
