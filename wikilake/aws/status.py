"""What `wikilake status` reports: the cluster's last steps, the dead letters waiting and the lake
partitions present in S3."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from wikilake_core import datasets, layout


def recent_steps(emr, cluster_id: str, limit: int) -> list[dict]:
    """The cluster's newest ``limit`` steps (ListSteps returns newest first)."""
    steps = (step for page in emr.get_paginator("list_steps").paginate(ClusterId=cluster_id) for step in page["Steps"])
    return list(islice(steps, limit))


@dataclass(frozen=True)
class DeadLetters:
    """The failure sink's depth (SQS counts are approximate)."""

    waiting: int  # visible: nobody is looking at them
    in_flight: int  # received by someone and not yet deleted


def dead_letters(sqs, queue_url: str) -> DeadLetters:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return DeadLetters(
        waiting=int(attributes["ApproximateNumberOfMessages"]),
        in_flight=int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def _partitions(s3, bucket: str, prefix: str) -> list[str]:
    """The dt values under ``prefix`` (one ``dt=`` "folder" each: a delimited listing)."""
    marker = f"{layout.PARTITION_KEY}="
    dates = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            folder = common["Prefix"][len(prefix) :].rstrip("/")
            if folder.startswith(marker):
                dates.append(folder[len(marker) :])
    return sorted(dates)


def lake_partitions(s3, bucket: str) -> dict[str, list[str]]:
    """{"raw/<dataset>" | "processed/<table>": [dt, ...]} for every dataset and table."""
    areas = ((layout.RAW, datasets.DATASETS), (layout.PROCESSED, datasets.TABLES))
    return {f"{area}/{name}": _partitions(s3, bucket, f"{area}/{name}/") for area, names in areas for name in names}
