"""Reading a job's input: the listed files as raw text lines, each with the file it came from."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.storage import InputFile

# Below this, splitting plain-text input finer costs more in tasks than it gains.
MIN_SPLIT_BYTES = 1024 * 1024


def line_settings(inputs: Sequence[InputFile]) -> dict[str, str]:
    """The scan settings for reading ``inputs`` as lines (in force while the job runs).

    gzip is not splittable, and Spark packs small files into one task up to maxPartitionBytes
    (10 files of 24 MB made 3 tasks for 2 cores: one core idle for a third of the scan). Capping
    it at the smallest file gives every file a task of its own to spread over the cores.
    """
    smallest = min(f.size for f in inputs)
    return {"spark.sql.files.maxPartitionBytes": str(max(smallest, MIN_SPLIT_BYTES))}


def read_lines(spark: SparkSession, inputs: Sequence[InputFile]) -> DataFrame:
    """``value`` (one line, no newline) and ``source_file`` for every line of ``inputs``, spread
    over every core when the files alone cannot be (see spread)."""
    lines = spark.read.text([f.path for f in inputs]).withColumn("source_file", F.input_file_name())
    return spread(lines, inputs, spark.sparkContext.defaultParallelism)


def spread(lines: DataFrame, inputs: Sequence[InputFile], parallelism: int) -> DataFrame:
    """``lines``, spread by a hash of the line over ``parallelism`` partitions when the input is
    fewer gzip files than that. gzip cannot be split, so one big file is read by one task; without
    this the parse, the cache and every output after it would run on that one core too (edits:
    one 237 MB file took 14x its DuckDB peer). It costs a shuffle of the raw lines (hashed, not
    round-robin, which Spark sorts first to be repeatable); ``source_file`` is taken before it."""
    unsplittable = all(f.name.endswith(".gz") for f in inputs)
    if unsplittable and len(inputs) < parallelism:
        return lines.repartition(parallelism, "value")
    return lines


def non_blank(line: Column) -> Column:
    """True unless the line is empty or whitespace only. A line that starts with a visible
    character (nearly all) skips the regex: it would cost more than parsing the line."""
    starts_visible = (line != "") & ~line.startswith(" ") & ~line.startswith("\t")
    return starts_visible | line.rlike(r"\S")


def keep(classified: DataFrame) -> DataFrame:
    """Counts, every table and rejected/ are computed from the classified lines: parse them once
    and keep them on the executors' local disks, instead of re-reading the input for each output.

    Disk, not memory: a cached partition (a whole gzip file) is built in the heap before it can
    spill, so memory grew with the size of the input files (a 4 GB heap ran out on the 4x bench
    inputs, either job); on disk it streams, and the page cache keeps it hot while it fits.
    Whether the cached columns are encoded (smaller, but CPU time to build) is the job's setting
    ``spark.sql.inMemoryColumnarStorage.compressed``."""
    return classified.persist(StorageLevel.DISK_ONLY)


def count_by_reason(classified: DataFrame) -> dict[str | None, int]:
    """Lines per rejection reason (None: valid), the few rows of one small aggregation."""
    return {row["reason"]: row["count"] for row in classified.groupBy("reason").count().collect()}
