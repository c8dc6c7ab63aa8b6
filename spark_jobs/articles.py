"""The articles job: MediaWiki XML export files (a pages-articles dump, whole or in numbered
parts) -> articles, article_links, article_categories, with every unusable page kept in rejected/
under a reason. The dump date is the batch's dt.

    spark-submit spark_jobs/articles.py --date 2016-05-01 --input PATH|GLOB --output-root ROOT

Input files end in ``.xml``, ``.xml.bz2`` or ``.xml.gz`` (numbered parts ``.xml-p<first>p<last>.bz2``
too), each a MediaWiki export starting with its siteinfo. Before anything is written, each file's
siteinfo is read on the driver from its head (a bounded streaming read: dbname, case, the names of
namespaces 6, -2 and 14) and each .bz2 file's end is checked for bzip2's end-of-stream marker, so a
file that is not an export, or a truncated bzip2 file, stops the job naming the file.

Scale: the files are read by Spark's text source with ``</page>`` as the record delimiter, so a
record is one page and a big file is split across tasks (Hadoop's bzip2 codec is splittable;
``spark.sql.files.maxPartitionBytes`` sets the split size): the parse holds one page at a time,
the sorts before the writes hold one split (the tables are made per page, with no shuffle), so
memory per task is bounded by the split, not by the file. Every page is parsed with Spark's built-in string, regexp and
higher-order functions (no Python on the executors).

This module wires the job; the driver-side input checks are in articles_siteinfo, the page's XML
in articles_xml, the link and category rules in articles_links.

A page is rejected, with the first reason that applies, when:
  malformed XML          its tags do not nest, a ``<`` or ``&`` is not markup, text lies outside a
                         <page> (or a <page> is not closed before the next one)
  missing title          <title> is absent or empty
  missing or invalid ns  <ns> is absent or not an integer
  missing or invalid id  the page's <id> is absent or not an integer
Links and categories follow the rules of the spec (docs/datasets.md), on the revision text after
XML unescaping.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs import extract, outputs
from spark_jobs.articles_links import link_candidates
from spark_jobs.articles_siteinfo import SiteInfo, read_siteinfos
from spark_jobs.articles_xml import PAGE_END, page_fields, page_records, unescaped
from spark_jobs.extract import Tally
from spark_jobs.job import DatasetJob, Plan, TableOutput
from spark_jobs.storage import InputFile
from wikilake_core import datasets

DATASET = "articles"
TABLE_ARTICLES, TABLE_LINKS, TABLE_CATEGORIES = datasets.get(DATASET).tables
# Splits of ~64 MB of bzip2 (~300 MB of XML): a task per split, enough tasks to use every core of
# a cluster on one big file (enwiki's 22 GB: ~350 tasks); smaller inputs are split per core.
SPLIT_BYTES = 64 * 1024 * 1024
# Spark charges each file this many bytes when it sizes splits (default 4 MB): the shipped 1.7 MB
# sample then makes one split, one task on one core. At 256 KB a small dump is split per core too.
FILE_OPEN_COST_BYTES = 256 * 1024
BYTES_PER_OUTPUT_FILE = 256 * 1024 * 1024

ARTICLE_COLUMNS = (
    "wiki",
    "page_id",
    "namespace",
    "title",
    "redirect_title",
    "revision_id",
    "revision_timestamp",
    "contributor",
    "text_bytes",
    "links",
    "categories",
)


# ---- transform (pure functions of DataFrames) -------------------------------------------------


def classify(records: DataFrame, siteinfos: dict[str, SiteInfo]) -> DataFrame:
    """Text records split at ``</page>`` (``value``, ``source_file``) -> one row per page: the
    articles columns (links and categories not yet counted), ``link_targets`` (one per link
    candidate, in text order), ``category_entries`` (name, sort_key, in text order), ``reason``
    (null when valid); ``source_file`` and ``line`` (the page's XML) kept for rejected rows only.
    ``siteinfos``: each input's siteinfo by path as ``source_file`` gives it."""

    def literal(info: SiteInfo) -> Column:
        return F.struct(
            F.lit(info.dbname).alias("dbname"),
            F.array(*map(F.lit, info.category_prefixes)).alias("category"),
            F.array(*map(F.lit, info.file_prefixes)).alias("file"),
        )

    distinct = set(siteinfos.values())
    # One siteinfo for every file (a dump and its parts): a constant, no lookup by file name.
    site = (
        literal(distinct.pop())
        if len(distinct) == 1
        else F.create_map(*[part for path, info in siteinfos.items() for part in (F.lit(path), literal(info))])[
            F.col("source_file")
        ]
    )
    fields = unescaped(
        page_fields(page_records(records)).withColumn("_site", site),
        {"_title": "title", "_redirect_title": "redirect_title", "_contributor": "contributor", "_text": "text"},
    )
    rejected = F.col("reason").isNotNull()
    valid = F.col("reason").isNull()
    candidates = link_candidates(F.col("text"), F.col("_site.category"), F.col("_site.file"))
    return fields.withColumn("_candidates", F.when(valid, candidates)).select(
        F.col("_site.dbname").alias("wiki"),
        *[
            F.when(valid, F.col(c)).alias(c)
            for c in (
                "page_id",
                "namespace",
                "title",
                "redirect_title",
                "revision_id",
                "revision_timestamp",
                "contributor",
            )
        ],
        F.when(valid, F.coalesce(F.col("_bytes"), F.octet_length("text"))).alias("text_bytes"),
        F.filter("_candidates", lambda c: c["kind"] == "link").getField("name").alias("link_targets"),
        F.transform(
            F.filter("_candidates", lambda c: c["kind"] == "category"),
            lambda c: F.struct(c["name"].alias("category"), c["sort_key"].alias("sort_key")),
        ).alias("category_entries"),
        "reason",
        F.when(rejected, F.col("source_file")).alias("source_file"),
        F.when(rejected, F.col("page")).alias("line"),
        *extract.RECORD_COLUMNS,
    )


def articles_table(valid: DataFrame) -> DataFrame:
    return valid.select(
        *ARTICLE_COLUMNS[:-2],
        F.size(F.array_distinct("link_targets")).alias("links"),
        F.size(F.array_distinct(F.col("category_entries").getField("category"))).alias("categories"),
    )


def links_table(valid: DataFrame) -> DataFrame:
    """One row per (page, distinct target); occurrences = the page's candidates for that target.

    A page's candidates are all in its one record, so they are counted there, without a shuffle:
    the targets sorted, each run of equal ones a row. A groupBy over the exploded targets held a
    fixed number of shuffle partitions, each growing with the input (the bench's 4x input held
    twice the heap of its 1x); per record, a task holds what its split holds. Each array is its
    own column: a lambda naming an expression evaluates it again at every element."""
    targets, starts = F.col("_targets"), F.col("_run_starts")
    run_starts = F.filter(
        F.sequence(F.lit(1), F.size(targets)),
        lambda i: F.when(i == 1, True).otherwise(~F.element_at(targets, i).eqNullSafe(F.element_at(targets, i - 1))),
    )
    run_ends = F.transform(
        starts, lambda start, j: F.when(j + 1 < F.size(starts), starts[j + 1]).otherwise(F.size(targets) + 1)
    )
    runs = F.zip_with(
        starts,
        run_ends,
        lambda start, end: F.struct(F.element_at(targets, start).alias("target"), (end - start).alias("occurrences")),
    )
    return (
        valid.select("wiki", "page_id", F.array_sort("link_targets").alias("_targets"))
        .where(F.size(targets) > 0)
        .withColumn("_run_starts", run_starts)
        .select("wiki", "page_id", F.explode(runs).alias("run"))
        .select("wiki", "page_id", "run.target", "run.occurrences")
    )


def categories_table(valid: DataFrame) -> DataFrame:
    """One row per (page, distinct category), with the sort key of its first occurrence: found
    within the page's record, as the links are (links_table)."""
    entries = F.col("category_entries")
    firsts = F.transform(
        F.array_distinct(entries.getField("category")),
        lambda category: F.filter(entries, lambda entry: entry["category"].eqNullSafe(category))[0],
    )
    return valid.select("wiki", "page_id", F.explode(firsts).alias("first")).select(
        "wiki", "page_id", "first.category", "first.sort_key"
    )


# ---- the job ---------------------------------------------------------------------------------


def settings(inputs: Sequence[InputFile]) -> dict[str, str]:
    return {
        "spark.sql.files.maxPartitionBytes": str(SPLIT_BYTES),
        "spark.sql.files.openCostInBytes": str(FILE_OPEN_COST_BYTES),
    }


def read_records(spark: SparkSession, inputs: Sequence[InputFile]) -> DataFrame:
    """``value`` (the text up to each ``</page>``, which is left out) and ``source_file``."""
    return (
        spark.read.option("lineSep", PAGE_END)
        .text([f.path for f in inputs])
        .withColumn("source_file", F.input_file_name())
    )


def check_inputs(spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace) -> dict:
    infos = read_siteinfos(spark, inputs)
    return {"siteinfo": {path: {"dbname": i.dbname, "case": i.case} for path, i in infos.items()}}


def read(spark: SparkSession, inputs: Sequence[InputFile], args: argparse.Namespace) -> DataFrame:
    # Ids from the scan, so the job can drop a page a split boundary repeated (splits_repeat_records).
    records = extract.with_record_ids(read_records(spark, inputs))
    # Spark names local files file:///... in input_file_name() and file:/... in listings.
    infos = {
        name: info
        for path, info in read_siteinfos(spark, inputs).items()
        for name in {path, path.replace("file:/", "file:///", 1)}
    }
    return classify(records, infos)


def tally_aggregates(args: argparse.Namespace) -> dict[str, Column]:
    return {
        "redirects": F.count("redirect_title"),
        "link_occurrences": F.sum(F.size("link_targets")),
        "category_occurrences": F.sum(F.size("category_entries")),
    }


def tally_details(by_namespace: Sequence[extract.TallyRow]) -> dict:
    """The manifest's page facts from the valid pages' tally by namespace."""
    return {
        "pages": sum(r["_count"] for r in by_namespace),
        "redirects": sum(r["redirects"] for r in by_namespace),
        "pages_by_namespace": {
            str(r["namespace"]): r["_count"] for r in sorted(by_namespace, key=lambda r: r["namespace"])
        },
        "link_occurrences": sum(r["link_occurrences"] or 0 for r in by_namespace),
        "category_occurrences": sum(r["category_occurrences"] or 0 for r in by_namespace),
    }


def plan(
    spark: SparkSession,
    classified: DataFrame,
    tallied: Sequence[extract.TallyRow],
    inputs: Sequence[InputFile],
    args: argparse.Namespace,
) -> Plan:
    valid = classified.where(F.col("reason").isNull())
    files = outputs.files_for_cores(
        sum(f.size for f in inputs), BYTES_PER_OUTPUT_FILE, spark.sparkContext.defaultParallelism
    )
    return Plan(
        tables=(
            TableOutput(TABLE_ARTICLES, articles_table(valid), ("namespace", "title"), files),
            TableOutput(TABLE_LINKS, links_table(valid), ("page_id", "target")),
            TableOutput(TABLE_CATEGORIES, categories_table(valid), ("page_id", "category")),
        ),
    )


# Wide rows of mostly distinct text: not worth compressing in the cache (as for edits).
JOB = DatasetJob(
    DATASET,
    read=read,
    plan=plan,
    check_inputs=check_inputs,
    settings=settings,
    compressed_cache=False,
    splits_repeat_records=True,
    # The manifest's page facts come with the counts by reason, in the same Spark job.
    tally=Tally(("namespace",), tally_aggregates),
    tally_details=tally_details,
)

if __name__ == "__main__":
    sys.exit(JOB.main())
