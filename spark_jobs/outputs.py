"""Writing a job's outputs: one dt partition of a table, the rejected records, rows-written counts.

Each write targets the partition folder itself (``processed/<table>/dt=.../``) with mode overwrite:
on the local file system and on S3 alike that replaces exactly that dt and leaves every other dt
untouched, with no dependency on partition-overwrite settings or committers.
"""
from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

REJECTED_COLUMNS = ("reason", "source_file", "line")


def write_partition(
    df: DataFrame,
    path: str,
    *,
    files: int,
    sort_by: Sequence[Column | str],
    range_by: Sequence[Column | str] = (),
) -> None:
    """Write ``df`` as ``files`` Parquet files, each sorted by ``sort_by``.

    With ``range_by`` the rows are range-partitioned first, so each file holds a narrow slice of
    those columns and Athena can skip whole files and row groups by their min/max statistics.
    """
    partitioned = df.repartitionByRange(files, *range_by) if range_by else df.coalesce(files)
    partitioned.sortWithinPartitions(*sort_by).write.mode("overwrite").parquet(path)


def write_rejected(classified: DataFrame, path: str) -> None:
    """The rows of ``classified`` with a ``reason``, as gzipped JSON lines {reason, source_file,
    line}: grep-, jq- and DuckDB-able."""
    classified.where(F.col("reason").isNotNull()).select(*REJECTED_COLUMNS).coalesce(1) \
        .write.mode("overwrite").option("compression", "gzip").json(path)


def rows_in(spark: SparkSession, path: str) -> int:
    """Rows of a written Parquet partition (from the file footers: no data is read)."""
    return spark.read.parquet(path).count()


def files_for(input_bytes: int, bytes_per_file: int) -> int:
    """How many output files: one per ``bytes_per_file`` of input, at least 1, at most 200."""
    return max(1, min(200, -(-input_bytes // bytes_per_file)))
