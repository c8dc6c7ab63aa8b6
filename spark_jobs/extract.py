"""Reading a job's input: the listed files as raw text lines, each with the file it came from."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Row, SparkSession
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


# Columns a record carries from the scan when its dataset's splits can repeat a record (see
# without_split_duplicates): its position (split << 33 | index in the split, Spark's
# monotonically_increasing_id) and a 64-bit hash of its file and text.
RECORD_ID, FINGERPRINT = "_record_id", "_fingerprint"
RECORD_COLUMNS = (RECORD_ID, FINGERPRINT)
SPLIT_ID_SHIFT = 33


def with_record_ids(records: DataFrame) -> DataFrame:
    """``records`` (``value``, ``source_file``) with RECORD_ID and FINGERPRINT, taken at the scan."""
    return records.withColumn(RECORD_ID, F.monotonically_increasing_id()).withColumn(
        FINGERPRINT, F.xxhash64("source_file", "value")
    )


def without_split_duplicates(kept: DataFrame) -> DataFrame:
    """``kept`` without the record that a split read from the split after it, and without the
    id columns.

    Hadoop before 3.3.5 (pip pyspark 3.5 ships 3.3.4) can read the first record of the next
    split of a bzip2 file a second time, at the end of the split before it (HADOOP-18400,
    apache/hadoop#4732): an articles run over one 10 MB dump in two splits wrote one page twice.
    The repeat is the last record of a split and the same text as the first record of the next
    split of the same file: one small aggregation over the kept records finds each such pair (the
    first run over them: it fills the cache) and the earlier copy is left out. A dump holding the
    same page twice in a row exactly across a split boundary would lose one copy too; no real dump
    does. On a fixed Hadoop (EMR's, Spark 4's 3.4) nothing is found and nothing is dropped."""
    split = F.shiftright(RECORD_ID, SPLIT_ID_SHIFT).alias("split")
    bounds = {
        row["split"]: row
        for row in kept.groupBy(split)
        .agg(
            F.min_by(FINGERPRINT, RECORD_ID).alias("first"),
            F.max_by(FINGERPRINT, RECORD_ID).alias("last"),
            F.max(RECORD_ID).alias("last_id"),
        )
        .collect()
    }
    repeated = [
        row["last_id"] for s, row in bounds.items() if s + 1 in bounds and bounds[s + 1]["first"] == row["last"]
    ]
    deduplicated = kept.where(~F.col(RECORD_ID).isin(repeated)) if repeated else kept
    return deduplicated.drop(RECORD_ID, FINGERPRINT)


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


def count_by_reason(
    classified: DataFrame, tally: Tally | None = None, args: argparse.Namespace | None = None
) -> tuple[dict[str | None, int], list[Row]]:
    """Lines per rejection reason (None: valid), and the ``tally`` of the valid lines (its
    aggregates built for the run's ``args``), in one small aggregation: one Spark job over the
    kept lines, not one per fact."""
    by, aggregates = (tally.by, tally.aggregates(args)) if tally else ((), {})
    rows = (
        classified.groupBy("reason", *by)
        .agg(F.count(F.lit(1)).alias("_count"), *[column.alias(name) for name, column in aggregates.items()])
        .collect()
    )
    counts: dict[str | None, int] = {}
    for row in rows:
        counts[row["reason"]] = counts.get(row["reason"], 0) + row["_count"]
    return counts, [row for row in rows if row["reason"] is None]


@dataclass(frozen=True)
class Tally:
    """Facts about the valid records for the manifest, aggregated in the same Spark job as the
    counts by reason: grouped ``by`` these columns, with these ``aggregates`` (name -> Column,
    built for the run's arguments) beside each group's ``_count``."""

    by: tuple[str, ...]
    aggregates: Callable[[argparse.Namespace], dict[str, Column]]
