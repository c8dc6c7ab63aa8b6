"""Reading a job's input: the listed files as raw text lines, each with the file it came from."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Union

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from spark_jobs.storage import InputFile

# A row of the counts or the tally, read by column name: Spark's Row, or the sums over splits.
TallyRow = Union[Row, Mapping[str, Any]]

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


def non_blank(line: Column) -> Column:
    """True unless the line is empty or whitespace only. A line that starts with a visible
    character (nearly all) skips the regex: it would cost more than parsing the line."""
    starts_visible = (line != "") & ~line.startswith(" ") & ~line.startswith("\t")
    return starts_visible | line.rlike(r"\S")


def byte_slice(text: Column, start: Column, length: Column | None = None) -> Column:
    """``length`` bytes of ``text`` from its ``start``-th byte (1-based; to its end without a
    length; none when ``length`` is negative): a copy. substr() counts characters: it walks the
    text twice (its length, then the cut), and Spark's searches (instr, locate, substring_index)
    compare at every byte they pass, so a job that knows a byte offset cuts there instead."""
    return text.cast("binary").substr(start, F.lit(2**31 - 1) if length is None else length).cast("string")


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
    rows = _counted(classified, (), tally, args)
    return _by_reason(rows), [row for row in rows if row["reason"] is None]


def _counted(frame: DataFrame, keys: Sequence[Column], tally: Tally | None, args, *extra: Column) -> list[Row]:
    """The aggregation behind the counts: grouped by ``keys``, reason and the tally's columns."""
    by, aggregates = (tally.by, tally.aggregates(args)) if tally else ((), {})
    return (
        frame.groupBy(*keys, "reason", *by)
        .agg(F.count(F.lit(1)).alias("_count"), *[column.alias(name) for name, column in aggregates.items()], *extra)
        .collect()
    )


def _by_reason(rows: Sequence[TallyRow]) -> dict[str | None, int]:
    counts: dict[str | None, int] = {}
    for row in rows:
        counts[row["reason"]] = counts.get(row["reason"], 0) + row["_count"]
    return counts


@dataclass(frozen=True)
class Counted:
    """A kept frame's records counted by reason, without the records its splits repeated."""

    frame: DataFrame  # the kept records, repeats left out, without the id columns
    counts: dict[str | None, int]
    tallied: Sequence[TallyRow]  # the tally's rows of the valid records
    splits: int  # splits (tasks) of the input that read records


def counted_without_split_repeats(kept: DataFrame, tally: Tally | None, args: argparse.Namespace) -> Counted:
    """``kept`` counted by reason and tallied, without the record that a split read from the split
    after it, in one aggregation over the kept records (the first run over them: it fills the
    cache), grouped by split as well.

    Hadoop before 3.3.5 (pip pyspark 3.5 ships 3.3.4) can read the first record of the next
    split of a bzip2 file a second time, at the end of the split before it (HADOOP-18400,
    apache/hadoop#4732): an articles run over one 10 MB dump in two splits wrote one page twice.
    The repeat is the last record of a split and the same text as the first record of the next
    split of the same file: each split's first and last record (by id) and their fingerprints
    come with the counts, and the earlier copy is left out. A dump holding the same page twice in
    a row exactly across a split boundary would lose one copy too; no real dump does. On a fixed
    Hadoop (EMR's, Spark 4's 3.4) nothing is found, and the counts are the sums over the splits
    (the tally's aggregates are counts and sums); when a repeat is found, the deduplicated
    records are counted again (a second, small job)."""
    split = F.shiftright(RECORD_ID, SPLIT_ID_SHIFT).alias("split")
    rows = _counted(
        kept,
        (split,),
        tally,
        args,
        F.min(RECORD_ID).alias("_first_id"),
        F.min_by(FINGERPRINT, RECORD_ID).alias("_first"),
        F.max(RECORD_ID).alias("_last_id"),
        F.max_by(FINGERPRINT, RECORD_ID).alias("_last"),
    )
    bounds = _split_bounds(rows)
    repeated = [last_id for s, (_, _, last_id, last) in bounds.items() if s + 1 in bounds and bounds[s + 1][1] == last]
    frame = (kept.where(~F.col(RECORD_ID).isin(repeated)) if repeated else kept).drop(RECORD_ID, FINGERPRINT)
    if repeated:
        counts, tallied = count_by_reason(frame, tally, args)
        return Counted(frame, counts, tallied, len(bounds))
    names = list(tally.aggregates(args)) if tally else []
    return Counted(frame, _by_reason(rows), _summed_over_splits(rows, tally.by if tally else (), names), len(bounds))


def _split_bounds(rows: Sequence[Row]) -> dict[int, tuple[int, int, int, int]]:
    """split -> (first id, first fingerprint, last id, last fingerprint), over its groups' rows."""
    bounds: dict[int, tuple[int, int, int, int]] = {}
    for row in rows:
        this = (row["_first_id"], row["_first"], row["_last_id"], row["_last"])
        first_id, first, last_id, last = bounds.get(row["split"], this)
        if this[0] < first_id:
            first_id, first = this[:2]
        if this[2] > last_id:
            last_id, last = this[2:]
        bounds[row["split"]] = (first_id, first, last_id, last)
    return bounds


def _summed_over_splits(rows: Sequence[Row], by: Sequence[str], names: Sequence[str]) -> list[dict]:
    """The valid records' tally rows (grouped ``by``, aggregates ``names``), each group's count and
    aggregates summed over the splits."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        if row["reason"] is not None:
            continue
        group = groups.setdefault(tuple(row[c] for c in by), {**{c: row[c] for c in by}, "_count": 0})
        group["_count"] += row["_count"]
        for name in names:
            if row[name] is not None:
                group[name] = (group.get(name) or 0) + row[name]
            else:
                group.setdefault(name, None)
    return list(groups.values())


@dataclass(frozen=True)
class Tally:
    """Facts about the valid records for the manifest, aggregated in the same Spark job as the
    counts by reason: grouped ``by`` these columns, with these ``aggregates`` (name -> Column,
    built for the run's arguments) beside each group's ``_count``. The aggregates are counts or
    sums: a job whose splits can repeat records tallies per split and adds the splits up."""

    by: tuple[str, ...]
    aggregates: Callable[[argparse.Namespace], dict[str, Column]]
