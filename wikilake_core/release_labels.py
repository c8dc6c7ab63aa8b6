"""The EMR release labels wikilake supports, and what each one runs: the one place this mapping lives.

requirements.txt pins pyspark to the default release's Spark so local runs match the cluster
(tests/infra/test_release_labels.py checks it).

Two runtimes read this table (context `runtime`): EMR on EC2 clusters, whose nodes get the
Python named in `python` (the bootstrap action makes sure it exists), and EMR Serverless, which
runs the release image's own Python: no bootstrap actions there, and a custom image needs Docker.
`serverless_python` is that interpreter's version; spark_jobs/ and wikilake_core/ must run on it
(tests/unit/test_python_compat.py checks them with vermin, since it is not on this machine).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmrRelease:
    label: str
    spark_version: str
    python: str  # the interpreter PYSPARK_PYTHON points at on the cluster nodes (EMR on EC2)
    # The Python of the EMR Serverless release image (major.minor), None: no Serverless release.
    serverless_python: str | None = None
    # The applications a cluster of this release asks for: only ones the release ships (AWS's
    # release guide lists them per release; RunJobFlow rejects an application the release lacks).
    applications: tuple[str, ...] = ("Hadoop", "Spark")

    @property
    def serverless(self) -> bool:
        return self.serverless_python is not None


DEFAULT_RELEASE_LABEL = "emr-7.13.0"

RELEASES: dict[str, EmrRelease] = {
    release.label: release
    for release in (
        # Amazon Linux 2023, Spark 3.5.6; standard support until 2028-04. EMR Serverless ships the
        # 7.x releases as images on Amazon Linux 2023, whose system python3 (the image default,
        # what PySpark runs unless told otherwise) is 3.9. The AWS docs stored here list
        # Serverless releases up to 7.12.0 and do not name the image's Python: both 7.13.0 on
        # Serverless and 3.9 are from the AL2023 base (a third-party note on the 7.13.0 image
        # reports python3.9 as the default and a python3.11 beside it); targeting 3.9 is the
        # conservative choice that runs on either (docs/runtimes.md).
        EmrRelease("emr-7.13.0", spark_version="3.5.6", python="/usr/bin/python3.11", serverless_python="3.9"),
        # Spark 4.0.2 (Scala 2.13), Python 3.11-3.13; standard support until 2027-05. Its Glue
        # metastore settings are assumed to match 7.x (not yet confirmed on a running cluster).
        # AWS's release guide (checked 2026-12-04) lists its applications as AmazonCloudWatchAgent,
        # Delta, Hudi, Iceberg, JupyterEnterpriseGateway, Livy and Spark: no Hadoop application to
        # ask for (HDFS/YARN come with Spark). GA on EMR on EC2, EKS and Serverless; the image's
        # Python is taken as the lowest the release supports, 3.11.
        EmrRelease(
            "emr-spark-8.0.0",
            spark_version="4.0.2",
            python="/usr/bin/python3.11",
            serverless_python="3.11",
            applications=("Spark",),
        ),
    )
}


def supported_labels() -> str:
    return ", ".join(RELEASES)


def serverless_labels() -> str:
    return ", ".join(label for label, release in RELEASES.items() if release.serverless)
