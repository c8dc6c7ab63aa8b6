"""The EMR release labels wikilake supports, and what each one runs: the one place this mapping lives.

requirements.txt pins pyspark to the default release's Spark so local runs match the cluster
(tests/infra/test_release_labels.py checks it).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmrRelease:
    label: str
    spark_version: str
    python: str  # the interpreter PYSPARK_PYTHON points at on the cluster nodes


DEFAULT_RELEASE_LABEL = "emr-7.13.0"

RELEASES: dict[str, EmrRelease] = {
    release.label: release
    for release in (
        # Amazon Linux 2023, Spark 3.5.6; standard support until 2028-04.
        EmrRelease("emr-7.13.0", spark_version="3.5.6", python="/usr/bin/python3.11"),
        # Spark 4.0.2 (Scala 2.13), Python 3.11-3.13; standard support until 2027-05. Its Glue
        # metastore settings are assumed to match 7.x (not yet confirmed on a running cluster).
        EmrRelease("emr-spark-8.0.0", spark_version="4.0.2", python="/usr/bin/python3.11"),
    )
}


def supported_labels() -> str:
    return ", ".join(RELEASES)
