"""The pageviews job: one day of Wikimedia hourly pageview dumps -> pageviews_daily and
projectviews_hourly, with every malformed line kept in rejected/ under a reason.

    spark-submit spark_jobs/pageviews.py --date 2024-03-15 --input PATH|GLOB --output-root ROOT

Input files must be named ``pageviews-YYYYMMDD-HH0000[.gz]`` with YYYYMMDD = --date; any other file
stops the job before it writes anything. ``hour`` is the HH of the file name: Wikimedia names each
file by the END of the hour it covers, so hour h holds the views of h-1:00 to h:00 UTC (hour 0 of
dt D covers 23:00-24:00 of the day before). A dt is exactly the 24 files dated D.

A line is rejected, with the first reason that applies, when:
  wrong field count          it is not exactly 4 fields separated by single spaces
  empty domain code          the first field is empty
  bad count_views            the third field is not a non-negative integer (at most 18 digits)
Blank lines are ignored. Domain codes the rules do not cover are kept with project ``unknown``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from spark_jobs import extract, outputs
from spark_jobs.domain_codes import UNKNOWN, with_project_and_access
from spark_jobs.job import DatasetJob, Plan, TableOutput
from spark_jobs.storage import InputFile
from wikilake_core import datasets
from wikilake_core.dates import compact
from wikilake_core.errors import JobError

DATASET = "pageviews"
TABLE_DAILY, TABLE_HOURLY = datasets.get(DATASET).tables
FILE_NAME = re.compile(datasets.get(DATASET).raw_file_pattern)
# A file's name ends in HH0000 or HH0000.gz (checked on the driver): the hour's two bytes start
# this many bytes before the end of its path, plus the suffix's length.
HOUR_BEFORE_END = len("HH0000") - 1
GZ_SUFFIX = ".gz"
# Row groups of ~4 MB, each a narrow slice of the (project, access_site) order: a query for one
# project reads only the row groups whose min/max admit it (bench, pageviews-day: a project with
# 4.2% of the rows is in 2 of 45 row groups, 5.9% of the bytes; at parquet-mr's default 128 MB
# each file is one row group and is read whole).
ROW_GROUP_BYTES = 4 * 1024 * 1024
# The day is aggregated and written in slices of ~16 MB of gzipped input (~1.7M lines, ~7 MB of
# Parquet), each a narrow range of projects: small enough to aggregate and sort in memory (slices
# of 128 MB spilled 5 GB and took twice as long; writing adjacent slices into one file spilled in
# the sort). A real day (~1.3 GB) is ~80 slices, one file each: work for every core of a cluster.
SLICE_BYTES = 16 * 1024 * 1024
WRONG_FIELD_COUNT = "wrong field count"
EMPTY_DOMAIN_CODE = "empty domain code"
BAD_COUNT_VIEWS = "bad count_views"
DIGITS = "0123456789"
DAILY_COLUMNS = ("domain_code", "project", "access_site", "page_title", "views", "hours_seen")
HOURLY_COLUMNS = ("hour", "project", "access_site", "views", "pages")
UNKNOWN_CODES_LISTED = 20
# Candidate keys per slice for partition_keys: a slice finds none with probability about e^-64.
KEY_CANDIDATES_PER_SLICE = 64


def check_file_names(files: Sequence[InputFile], dt: str) -> list[int]:
    """The hours of ``files``; JobError if a file is not an hourly dump of ``dt``."""
    ymd = compact(dt)
    hours, problems = [], []
    for f in files:
        match = FILE_NAME.fullmatch(f.name)
        if not match or int(match.group(2)) > 23:
            problems.append(f"{f.name} is not an hourly dump (pageviews-YYYYMMDD-HH0000.gz)")
        elif match.group(1) != ymd:
            problems.append(f"{f.name} is for {match.group(1)}, not --date {dt}")
        else:
            hours.append(int(match.group(2)))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise JobError(f"{problems[0]}{more}; nothing was written")
    return sorted(set(hours))


# ---- transform (pure functions of DataFrames) -------------------------------------------------


def hour_of_file(path: Column) -> Column:
    """The HH of an hourly file's ``path``, cut by byte offsets from its end: the name was checked
    on the driver, and taking it out with substring_index and substring searched and counted its
    characters on every line."""
    start = F.octet_length(path) - HOUR_BEFORE_END - F.when(path.endswith(GZ_SUFFIX), len(GZ_SUFFIX)).otherwise(0)
    return extract.byte_slice(path, start, F.lit(2)).cast("int")


def classify(lines: DataFrame, source_file: str = "source_file") -> DataFrame:
    """Raw lines (``value``) of hourly files -> hour, domain_code, page_title, views, reason (null
    when valid); ``line`` and ``source_file`` kept for rejected rows only.

    Every check is on bytes, not a regex: Java's ``$`` also matches before a final U+0085, U+2028
    or U+2029, so ``^[0-9]{1,18}$`` let a count like ``5`` + U+2028 through, a valid line whose
    views were null. The spec's count is digits only. Spark's searches compare at every byte they
    pass (and instr and locate count characters on the way), so the line is searched once: up to
    its third space, whose absence substring_index shows by returning the whole line. The views and
    the domain code are cut from that prefix's ends, the title by byte offsets, and contains(),
    which tests one byte before it compares, looks for a fourth space.
    """
    line, first_three = F.col("value"), F.col("_first_three")
    domain_code, views_text = F.col("_domain_code"), F.col("_views_text")
    fewer_than_four_fields = F.octet_length(first_three) == F.octet_length(line)
    more_than_four_fields = extract.byte_slice(line, F.octet_length(first_three) + 2).contains(" ")
    reason = (
        F.when(fewer_than_four_fields | more_than_four_fields, F.lit(WRONG_FIELD_COUNT))
        .when(line.startswith(" "), F.lit(EMPTY_DOMAIN_CODE))
        .when(
            (F.length(views_text) > 18) | (F.btrim(views_text, F.lit(DIGITS)) != "") | (views_text == ""),
            F.lit(BAD_COUNT_VIEWS),
        )
    )
    # Between the first space (after the domain code) and the second (before the views).
    title_bytes = F.octet_length(first_three) - F.octet_length(domain_code) - F.octet_length(views_text) - 2
    page_title = extract.byte_slice(first_three, F.octet_length(domain_code) + 2, title_bytes)
    valid = F.col("reason").isNull()
    return (
        lines.where(extract.non_blank(line))
        .withColumn("_first_three", F.substring_index(line, " ", 3))
        .withColumn("_domain_code", F.substring_index(first_three, " ", 1))
        .withColumn("_views_text", F.substring_index(first_three, " ", -1))
        .withColumn("reason", reason)
        .select(
            hour_of_file(F.col(source_file)).alias("hour"),
            F.when(valid, domain_code).alias("domain_code"),
            F.when(valid, page_title).alias("page_title"),
            F.when(valid, views_text.cast("bigint")).alias("views"),
            "reason",
            F.when(~valid, F.col(source_file)).alias("source_file"),
            F.when(~valid, line).alias("line"),
        )
    )


def tally_aggregates(args: argparse.Namespace) -> dict[str, Column]:
    """Views per (hour, domain_code), taken with the counts by reason (TALLY)."""
    return {"views": F.sum("views")}


# Views and lines per (hour, domain_code) of the valid lines, in the counting job: the hourly
# table, the day's codes, their slices and the unknown-code counts start from these few thousand
# rows, not from another pass over the day's lines.
TALLY = extract.Tally(("hour", "domain_code"), tally_aggregates)
BY_CODE_SCHEMA = "hour int, domain_code string, views bigint, pages bigint"


def code_projects(by_code: DataFrame, slices: int) -> DataFrame:
    """domain_code -> project, access_site, code_rank, project_rank and the code's place among
    ``slices`` slices of the day, for the day's distinct codes (a few thousand rows), so the rules
    run once per code instead of once per page.

    code_rank is the code's place in (project, access_site, domain_code) order, project_rank its
    (project, access_site)'s: compact keys to lay pageviews_daily out by. The slices split the
    day's lines into equal shares in that order: a code's lines start at slice ``slice_from`` and
    span ``slice_span`` slices (fractions).
    """
    lines = by_code.groupBy("domain_code").agg(F.sum("pages").alias("lines"))
    codes = with_project_and_access(lines)
    in_order = Window.orderBy("project", "access_site", "domain_code")
    before = Window.orderBy("code_rank").rowsBetween(Window.unboundedPreceding, -1)
    slices_per_line = F.lit(float(slices)) / F.sum("lines").over(Window.partitionBy())
    return (
        codes.withColumn("code_rank", F.row_number().over(in_order))
        .withColumn("project_rank", F.dense_rank().over(Window.orderBy("project", "access_site")))
        .withColumn("slice_from", F.coalesce(F.sum("lines").over(before), F.lit(0)) * slices_per_line)
        .withColumn("slice_span", F.col("lines") * slices_per_line)
        .drop("lines")
    )


def partition_keys(spark_range: DataFrame, slices: int) -> DataFrame:
    """slice -> key, a number whose hash puts its rows in partition ``slice`` of a hash
    partitioning into ``slices`` (Spark's is pmod(hash(key), n), the hash of F.hash), from
    ``spark_range`` (spark.range of KEY_CANDIDATES_PER_SLICE ids per slice)."""
    key = F.col("id").cast("int")
    return (
        spark_range.select(F.pmod(F.hash(key), F.lit(slices)).alias("slice"), key.alias("key"))
        .groupBy("slice")
        .agg(F.min("key").alias("key"))
    )


def daily_table(valid: DataFrame, projects: DataFrame, keys: DataFrame, slices: int) -> DataFrame:
    """Views per (domain_code, page_title) over the day; hours_seen = distinct hours it appears in
    (a 24-bit mask of hours, OR-ed: exact even if a page repeats within an hour). With the ranks
    it is sorted by (project_rank, code_rank) beside the table's columns.

    Each line goes to its code's slices (code_projects), a big code's lines spread over its slices
    by a hash of the title, and the slices are aggregated each in one partition: one shuffle, no
    sample of the lines to find range bounds (the per-code line counts give them), no partial
    aggregation (a page appears once per hourly file, so there is nothing to pre-aggregate), and
    every slice holds a narrow range of projects.
    """
    title_hash = F.xxhash64("page_title")
    # The title's hash as a fraction of [0, 1] (1 only by rounding the largest hashes; least()
    # below keeps the slice in range): where in its code's slices a page falls.
    title_place = title_hash.cast("double") / 2.0**64 + 0.5
    placed = (
        valid.join(F.broadcast(projects.select("domain_code", "code_rank", "slice_from", "slice_span")), "domain_code")
        .withColumn("title_hash", title_hash)
        .withColumn(
            "slice",
            F.least(F.floor(F.col("slice_from") + F.col("slice_span") * title_place), F.lit(slices - 1)).cast("int"),
        )
        .join(F.broadcast(keys), "slice")
    )
    daily = (
        placed.repartition(slices, "key")
        # code_rank stands for domain_code (the code comes back with the project); key and
        # title_hash follow from them: the same groups, and grouping by key lets the aggregation
        # use the hash partitioning as it is.
        .groupBy("key", "code_rank", "title_hash", "page_title")
        .agg(
            F.sum("views").alias("views"),
            # pyspark 3.5's shiftleft takes a constant shift only, hence SQL.
            F.expr("bit_count(bit_or(shiftleft(1, hour)))").cast("int").alias("hours_seen"),
        )
    )
    codes = projects.select("code_rank", "domain_code", "project", "access_site", "project_rank")
    return daily.join(F.broadcast(codes), "code_rank").select(*DAILY_COLUMNS, "project_rank", "code_rank")


def hourly_table(by_code: DataFrame, projects: DataFrame) -> DataFrame:
    """Views and pages per (hour, project, access_site); pages = (domain_code, page_title) lines,
    one per page and hour in the dumps."""
    return (
        by_code.join(F.broadcast(projects), "domain_code")
        .groupBy("hour", "project", "access_site")
        .agg(F.sum("views").alias("views"), F.sum("pages").alias("pages"))
        .select(*HOURLY_COLUMNS)
    )


def unknown_codes(by_code: DataFrame, projects: DataFrame) -> DataFrame:
    """Domain codes mapped to project unknown, with their valid lines, most frequent first."""
    return (
        by_code.join(projects.where(F.col("project") == UNKNOWN), "domain_code")
        .groupBy("domain_code")
        .agg(F.sum("pages").alias("lines"))
        .orderBy(F.desc("lines"), "domain_code")
    )


# ---- the job ---------------------------------------------------------------------------------


def check_inputs(spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace) -> dict:
    hours = check_file_names(inputs, args.date)
    return {"hours": hours, "hours_missing": sorted(set(datasets.get(DATASET).hours) - set(hours))}


def read(spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace) -> DataFrame:
    return classify(extract.read_lines(spark, inputs))


def plan(
    spark: SparkSession,
    classified: DataFrame,
    tallied: Sequence[extract.TallyRow],
    inputs: Sequence[InputFile],
    args: argparse.Namespace,
) -> Plan:
    valid = classified.where(F.col("reason").isNull())
    by_code = spark.createDataFrame(
        [(r["hour"], r["domain_code"], r["views"], r["_count"]) for r in tallied], BY_CODE_SCHEMA
    )
    slices = outputs.files_for(sum(f.size for f in inputs), SLICE_BYTES)
    projects = code_projects(by_code, slices).persist(StorageLevel.MEMORY_AND_DISK)
    keys = partition_keys(spark.range(KEY_CANDIDATES_PER_SLICE * slices), slices)
    unknown = [(r["domain_code"], r["lines"]) for r in unknown_codes(by_code, projects).collect()]
    return Plan(
        tables=(
            TableOutput(
                TABLE_DAILY,
                daily_table(valid, projects, keys, slices),
                # (project, access_site, views desc, domain_code, page_title), by the codes' ranks:
                # integers where the sort compared strings.
                ("project_rank", F.desc("views"), "code_rank", "page_title"),
                row_group_bytes=ROW_GROUP_BYTES,
                columns=DAILY_COLUMNS,
            ),
            TableOutput(TABLE_HOURLY, hourly_table(by_code, projects), ("project", "access_site", "hour"), files=1),
        ),
        details={
            "unknown_domain_code_lines": sum(n for _, n in unknown),
            # The quality check "distinct projects not fewer than usual" (datasets.py) reads it.
            "distinct_projects": projects.where(F.col("project") != UNKNOWN).select("project").distinct().count(),
            "unknown_domain_codes": dict(unknown[:UNKNOWN_CODES_LISTED]),
        },
        kept=(projects,),
    )


def settings(inputs: Sequence[InputFile]) -> dict[str, str]:
    """The line-reading settings, and the aggregations in one hash map each: Spark's generated map
    in front of it holds 65,536 groups, a slice of the day hundreds of thousands of pages, so
    past that first map every page was looked up in both."""
    return {**extract.line_settings(inputs), "spark.sql.codegen.aggregate.map.twolevel.enabled": "false"}


# The kept lines uncompressed, as for edits and articles: encoding a day of narrow rows cost more
# CPU than the disk it saved (measured in docs/performance.md).
JOB = DatasetJob(
    DATASET,
    read=read,
    plan=plan,
    tally=TALLY,
    check_inputs=check_inputs,
    settings=settings,
    compressed_cache=False,
)

if __name__ == "__main__":
    sys.exit(JOB.main())
