"""Publishing a verified run on AWS (the record function's last steps): repoint the day's Glue
partition of each of the dataset's tables at the run's folder, then write the day's manifest
(the pointer `backfill`, `runs` and people read), then tag the objects of the day's other runs
(superseded or abandoned) for the lake bucket's lifecycle rule to expire.

Until the partitions move, Athena reads the previous run's folder; a run that fails or is killed
before this point changes nothing a reader sees. Glue has no transaction across tables: the
tables switch one UpdatePartition after another (milliseconds apart), and a failure midway puts
back the partitions already moved (docs/atomic-days.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import botocore.exceptions

from wikilake_core import contract, layout
from wikilake_functions import common

log = common.logger(__name__)


def run_location(bucket: str, table: str, dt: str, run_id: str) -> str:
    return layout.table_run_dir(f"s3://{bucket}", table, dt, run_id) + "/"


def _current_location(glue, database: str, table: str, dt: str) -> str | None:
    try:
        partition = glue.get_partition(DatabaseName=database, TableName=table, PartitionValues=[dt])["Partition"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            return None
        raise
    return partition["StorageDescriptor"]["Location"]


def _point(glue, database: str, table: str, dt: str, location: str, exists: bool) -> None:
    """Create or update the table's dt partition with the table's storage descriptor at ``location``."""
    descriptor = {
        **glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"],
        "Location": location,
    }
    partition = {"Values": [dt], "StorageDescriptor": descriptor}
    if exists:
        glue.update_partition(DatabaseName=database, TableName=table, PartitionValueList=[dt], PartitionInput=partition)
    else:
        glue.create_partition(DatabaseName=database, TableName=table, PartitionInput=partition)


def repoint(glue, database: str, locations: Mapping[str, str], dt: str) -> dict[str, str | None]:
    """Point each table's dt partition at its location; returns the locations they had (None: no
    partition yet). On a failure, the tables already moved are put back before re-raising."""
    previous: dict[str, str | None] = {}
    try:
        for table, location in locations.items():
            previous[table] = _current_location(glue, database, table, dt)
            _point(glue, database, table, dt, location, previous[table] is not None)
    except Exception:
        for table, old in previous.items():
            try:
                if old is None:
                    glue.delete_partition(DatabaseName=database, TableName=table, PartitionValues=[dt])
                else:
                    _point(glue, database, table, dt, old, True)
            except botocore.exceptions.ClientError as err:  # the original failure matters more
                log.error("could not put back %s dt=%s: %s", table, dt, err)
        raise
    return previous


def _day_prefixes(dataset: str, tables: Iterable[str], dt: str) -> list[str]:
    folders = [layout.table_partition_dir("", table, dt) for table in tables]
    folders.append(layout.rejected_dir("", dataset, dt))
    return [folder.lstrip("/") + "/" for folder in folders]


def tag_superseded(s3, bucket: str, dataset: str, tables: Iterable[str], dt: str, live_run_id: str) -> int:
    """Tag every object of the day's tables and rejected records that is not in the live run's
    folder (and not of the older in-place layout, which the live partition no longer names
    either: tagged too); returns how many. The lifecycle rule expires them later, so a query that
    started on the previous run can still finish."""
    live = f"/{layout.run_folder(live_run_id)}/"
    tagging = {"TagSet": [{"Key": contract.TAG_SUPERSEDED, "Value": contract.SUPERSEDED}]}
    tagged = 0
    for prefix in _day_prefixes(dataset, tables, dt):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if live in obj["Key"]:
                    continue
                s3.put_object_tagging(Bucket=bucket, Key=obj["Key"], Tagging=tagging)
                tagged += 1
    return tagged
