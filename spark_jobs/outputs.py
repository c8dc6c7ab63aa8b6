"""Writing a job's outputs: one dt partition of a table, the rejected records, rows-written counts.

Each write targets the run's own folder of the day (``processed/<table>/dt=.../run=<run_id>/``),
which no reader lists until the run is published: mode overwrite only replaces what an earlier
attempt of the same run left there, and never touches the live day or any other dt.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.storage import spark_jvm

REJECTED_COLUMNS = ("reason", "source_file", "line")
REJECTED_SCHEMA = ", ".join(f"{column} string" for column in REJECTED_COLUMNS)
# Smaller files than this would cost Athena more in per-file overhead than parallel writing saves.
MIN_INPUT_BYTES_PER_FILE = 16 * 1024 * 1024


def write_partition(
    df: DataFrame,
    path: str,
    *,
    sort_by: Sequence[Column | str],
    files: int | None = None,
    row_group_bytes: int | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Write ``df`` as Parquet, each file sorted by ``sort_by`` (so Athena can skip row groups by
    their min/max statistics): one file per partition of ``df``, or ``files`` files (coalesced);
    row groups of about ``row_group_bytes`` (default: parquet-mr's 128 MB); only ``columns``, when
    given (the others are sort keys)."""
    partitioned = df if files is None else df.coalesce(files)
    ordered = partitioned.sortWithinPartitions(*sort_by)
    writer = (ordered if columns is None else ordered.select(*columns)).write.mode("overwrite")
    if row_group_bytes is not None:
        writer = writer.option("parquet.block.size", row_group_bytes)
    writer.parquet(path)


def write_rejected(classified: DataFrame, path: str) -> None:
    """The rows of ``classified`` with a ``reason``, as gzipped JSON lines {reason, source_file,
    line}: grep-, jq- and DuckDB-able."""
    classified.where(F.col("reason").isNotNull()).select(*REJECTED_COLUMNS).coalesce(1).write.mode("overwrite").option(
        "compression", "gzip"
    ).json(path)


def no_rejected(spark: SparkSession) -> DataFrame:
    """No rejected records, to write an empty rejected/ as a run with rejects writes a full one."""
    return spark.createDataFrame([], REJECTED_SCHEMA)


def rows_in(spark: SparkSession, path: str) -> int:
    """Rows of a written Parquet partition, summed from its files' footers on the driver (Hadoop's
    FileSystem, so S3 too): no Spark job, where reading the folder back cost two (the schema, then
    the count), about a second each on the articles sample."""
    jvm = spark_jvm(spark)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    folder = jvm.org.apache.hadoop.fs.Path(path)
    fs = folder.getFileSystem(conf)
    rows = 0
    for status in fs.listStatus(folder):
        name = status.getPath().getName()
        if status.isFile() and name.endswith(".parquet") and not name.startswith(("_", ".")):
            reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(
                jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromStatus(status, conf)
            )
            try:
                rows += reader.getRecordCount()
            finally:
                reader.close()
    return rows


def files_for(input_bytes: int, bytes_per_file: int) -> int:
    """How many output files: one per ``bytes_per_file`` of input, at least 1, at most 200."""
    return max(1, min(200, -(-input_bytes // bytes_per_file)))


def files_for_cores(input_bytes: int, bytes_per_file: int, parallelism: int) -> int:
    """One file per ``bytes_per_file`` of input, or more (up to ``parallelism``, so the sort and
    the Parquet encoding use every core) while each still gets MIN_INPUT_BYTES_PER_FILE."""
    by_size = files_for(input_bytes, bytes_per_file)
    return max(by_size, min(parallelism, files_for(input_bytes, MIN_INPUT_BYTES_PER_FILE)))
