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
``spark.sql.files.maxPartitionBytes`` sets the split size): memory per task is bounded by the
largest page, not by the file. Every page is parsed with Spark's built-in regexp and higher-order
functions (no Python on the executors). Spark's ``xpath`` functions are not used: they throw on
malformed XML, which must be rejected instead; the page is checked for well-formedness first
(balanced tags, no stray ``<``, known entities only).

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
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from py4j.protocol import Py4JJavaError
from pyspark.sql import Column, DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from spark_jobs import extract, outputs, storage
from spark_jobs.extract import Tally
from spark_jobs.job import DatasetJob, Plan, TableOutput
from spark_jobs.storage import InputFile
from wikilake_core import datasets
from wikilake_core.errors import JobError

DATASET = "articles"
TABLE_ARTICLES, TABLE_LINKS, TABLE_CATEGORIES = datasets.get(DATASET).tables
INPUT_NAME = re.compile(r".+\.xml(-p\d+p\d+)?(\.bz2|\.gz)?")
PAGE_END = "</page>"
SITEINFO_END = b"</siteinfo>"
# A siteinfo is a few KB (enwiki: 4 KB); a file without one in its first MB is not an export.
SITEINFO_MAX_BYTES = 1024 * 1024
# bzip2's end-of-stream marker (48 bits, then a 32-bit CRC, then padding to a byte): a complete
# .bz2 file has it in its last 11 bytes, a truncated one does not.
BZIP2_END_OF_STREAM = 0x177245385090
BZIP2_TAIL_BYTES = 11
# Splits of ~64 MB of bzip2 (~300 MB of XML): a task per split, enough tasks to use every core of
# a cluster on one big file (enwiki's 22 GB: ~350 tasks); smaller inputs are split per core.
SPLIT_BYTES = 64 * 1024 * 1024
# Spark charges each file this many bytes when it sizes splits (default 4 MB): the shipped 1.7 MB
# sample then makes one split, one task on one core. At 256 KB a small dump is split per core too.
FILE_OPEN_COST_BYTES = 256 * 1024
BYTES_PER_OUTPUT_FILE = 256 * 1024 * 1024

MALFORMED = "malformed XML"
MISSING_TITLE = "missing title"
MISSING_NS = "missing or invalid ns"
MISSING_ID = "missing or invalid id"

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
LINK_COLUMNS = ("wiki", "page_id", "target", "occurrences")

# ---- regular expressions (Java syntax; all run in the JVM) -------------------------------------
# A start, end or empty-element tag with its attributes.
TAG = r"<(/?)([A-Za-z_][\w.:-]*)(?:\s+[\w.:-]+\s*=\s*\"[^\"<]*\")*\s*(/?)>"
# An & that does not start one of XML's entities or a character reference.
BAD_AMPERSAND = r"&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)"
# What may come before a file's first <page> (its header) or stand alone after the last one.
OUTSIDE_PAGES = r"(?s)^(.*</siteinfo>)?\s*(</mediawiki>)?\s*$"
# Rule 2: [[ then the raw target up to the first | or ]] (no [, ], newline); after a |, a lookahead
# takes the sort key candidate up to the next ]] (no [ or newline) without consuming it, so the
# next match starts right after the | and links nested in a file caption are found. Group 2 is
# "" when there is no such key, else the key followed by "]]" (so an empty key is "]]").
LINK_CANDIDATE = r"\[\[([^\[\]\n|]*)(?:\]\]|\|(?=([^\[\n]*?\]\])|))"
# Whitespace of rule 3: ASCII space, tab, CR, LF, VT, FF (Java's \s).
SPACES = r"\s+"


@dataclass(frozen=True)
class SiteInfo:
    dbname: str
    case: str
    # Lower-cased prefixes naming namespace 14 (categories) and 6 / -2 (files) on this wiki.
    category_prefixes: tuple[str, ...]
    file_prefixes: tuple[str, ...]


# ---- siteinfo (driver side, from each file's head) --------------------------------------------


def parse_siteinfo(head: bytes, name: str) -> SiteInfo:
    """The siteinfo of a file whose first bytes are ``head``; JobError if it is not an export."""
    text = head.decode("utf-8", errors="replace")
    start, end = text.find("<mediawiki"), text.find("</siteinfo>")
    if (
        start < 0
        or end < 0
        or text[:start].strip() not in ("", '<?xml version="1.0"?>')
        and not text[:start].lstrip().startswith("<?xml")
    ):
        raise JobError(f"{name} is not a MediaWiki export (no <mediawiki><siteinfo> at its start); nothing was written")
    try:
        root = ET.fromstring(text[start : end + len("</siteinfo>")] + "</mediawiki>")
    except ET.ParseError as err:
        raise JobError(f"{name}: its siteinfo is not well-formed XML ({err}); nothing was written") from None
    local = {el.tag.rsplit("}", 1)[-1]: el for el in root.iter()}
    names: dict[str, str] = {}
    for el in root.iter():
        if el.tag.endswith("namespace") and el.get("key") is not None:
            names[el.get("key")] = (el.text or "").strip().lower()
    dbname = (local["dbname"].text or "").strip() if "dbname" in local else ""
    if not dbname:
        raise JobError(f"{name}: its siteinfo has no <dbname>; nothing was written")
    case = (local["case"].text or "").strip() if "case" in local else ""

    def prefixes(canonical: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({*canonical, *(names[k] for k in keys if names.get(k))}))

    return SiteInfo(dbname, case, prefixes(("category",), ("14",)), prefixes(("file", "image", "media"), ("6", "-2")))


def ends_like_bzip2(tail: bytes) -> bool:
    """Whether ``tail`` (a .bz2 file's last bytes) holds bzip2's end-of-stream marker."""
    bits = int.from_bytes(tail, "big")
    return any((bits >> (32 + padding)) & (2**48 - 1) == BZIP2_END_OF_STREAM for padding in range(8))


# The siteinfos of the last inputs read: the job's input check reads them, its read() needs them
# again (each read opens every file and decodes its first bzip2 block).
_last_siteinfos: dict[tuple[tuple[str, int], ...], dict[str, SiteInfo]] = {}


def read_siteinfos(spark: SparkSession, inputs: Sequence[InputFile]) -> dict[str, SiteInfo]:
    """Each input's siteinfo by path; JobError naming the first file that is not a readable,
    complete MediaWiki export. Read once for the same files (paths and sizes)."""
    key = tuple((f.path, f.size) for f in inputs)
    if key not in _last_siteinfos:
        found = _read_siteinfos(spark, inputs)
        _last_siteinfos.clear()
        _last_siteinfos[key] = found
    return _last_siteinfos[key]


def _read_siteinfos(spark: SparkSession, inputs: Sequence[InputFile]) -> dict[str, SiteInfo]:
    found = {}
    for f in inputs:
        if not INPUT_NAME.fullmatch(f.name):
            raise JobError(f"{f.name} is not a MediaWiki XML export (.xml, .xml.bz2 or .xml.gz); nothing was written")
        try:
            head = storage.read_head(spark, f.path, SITEINFO_END, SITEINFO_MAX_BYTES)
            complete = not f.name.endswith(".bz2") or ends_like_bzip2(
                storage.read_tail(spark, f.path, f.size, BZIP2_TAIL_BYTES)
            )
        except Py4JJavaError as err:
            cause = err.java_exception
            while cause.getCause() is not None:
                cause = cause.getCause()
            raise JobError(
                f"cannot read {f.path}: {cause.getClass().getSimpleName()}: {cause.getMessage()}; nothing was written"
            ) from None
        if not complete:
            raise JobError(
                f"cannot read {f.path}: the bzip2 stream is truncated (no end-of-stream marker); nothing was written"
            )
        found[f.path] = parse_siteinfo(head, f.name)
    return found


# ---- transform (pure functions of DataFrames) -------------------------------------------------


def _unescape(column: str) -> Column:
    """XML unescaping of ``column``. Without character references: the five entities, &amp; last
    (so &amp;lt; stays &lt;). With them: one pass over the pieces after each &, each starting with
    an entity (the page passed the entity check), its character computed as UTF-8 bytes."""
    text = F.col(column)
    named = text
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        named = F.replace(named, F.lit(entity), F.lit(char))
    code = "try_cast(CASE WHEN e LIKE '#x%' THEN conv(substr(e, 3), 16, 10) ELSE substr(e, 2) END AS bigint)"

    def utf8_bytes(lead: int, lead_mask: int, continuation: int) -> str:
        """Hex of code point c's UTF-8 bytes: a lead byte, then 6 bits per continuation byte."""
        shifts = [6 * k for k in range(continuation, -1, -1)]
        first = f"hex({lead} | (shiftright(c, {shifts[0]}) & {lead_mask}))"
        rest = [f"hex(128 | (shiftright(c, {shift}) & 63))" for shift in shifts[1:]]
        return " || ".join([first, *rest])

    utf8 = (
        "CASE WHEN c < 128 THEN lpad(hex(c), 2, '0') "
        f"WHEN c < 2048 THEN {utf8_bytes(192, 31, 1)} "
        f"WHEN c < 65536 THEN {utf8_bytes(224, 15, 2)} "
        f"ELSE {utf8_bytes(240, 7, 3)} END"
    )
    char = (
        "CASE e WHEN 'lt' THEN '<' WHEN 'gt' THEN '>' WHEN 'amp' THEN '&' "
        "WHEN 'quot' THEN '\"' WHEN 'apos' THEN '''' "
        f"ELSE decode(unhex(transform(array({code}), c -> {utf8})[0]), 'UTF-8') END"
    )
    piece = f"transform(array(regexp_extract(p, '^([^;]*);', 1)), e -> {char} || substr(p, length(e) + 2))[0]"
    with_references = F.expr(f"concat_ws('', transform(split({column}, '&'), (p, i) -> IF(i = 0, p, {piece})))")
    return F.when(text.isNull(), F.lit(None)).when(~text.contains("&#"), named).otherwise(with_references)


def unescaped(frame: DataFrame, aliases: dict[str, str]) -> DataFrame:
    """``frame`` with each column ``alias`` = column ``name`` XML-unescaped, for ``aliases``
    {name: alias}, in one projection (a projection per column re-analyses the whole plan)."""
    return frame.select("*", *[_unescape(name).alias(alias) for name, alias in aliases.items()])


def _ucfirst(text: Column) -> Column:
    return F.concat(F.upper(F.substring(text, 1, 1)), F.substring(text, 2, 2**31 - 1))


def end_of_line_normalized(text: Column) -> Column:
    """XML 1.0 section 2.11: every CR LF pair and every lone CR becomes one LF, before anything
    else reads the text. Plain replaces (no regex), and only on the records that hold a CR."""
    lf = F.lit("\n")
    return F.when(F.instr(text, "\r") == 0, text).otherwise(
        F.replace(F.replace(text, F.lit("\r\n"), lf), F.lit("\r"), lf)
    )


def _bytes_from(text: Column, position: Column) -> Column:
    """``text`` from its ``position``-th byte (1-based) to its end. substr() counts characters:
    it walks the whole text twice (its length, then the cut) where a byte offset is a copy."""
    return text.cast("binary").substr(position, F.lit(2**31 - 1)).cast("string")


def page_records(records: DataFrame) -> DataFrame:
    """Text records split at ``</page>`` (``value``) -> ``page`` (the page's XML, ``<page>`` to
    ``</page>``) and ``outside`` (true when text lies outside a page). Records holding only a
    file's header or its closing ``</mediawiki>`` are dropped. Line ends are normalized first
    (end_of_line_normalized), so every field, the text and rejected lines see LF only."""
    value = F.col("value")
    has_page = value.contains("<page>")
    # The text before the first <page> (all of it when there is none).
    before = F.substring_index(value, "<page>", 1)
    return (
        records.withColumn("value", end_of_line_normalized(value))
        .withColumn("_outside", ~before.rlike(OUTSIDE_PAGES))
        .where(has_page | F.col("_outside"))
        .select(
            F.when(has_page, F.concat(_bytes_from(value, F.octet_length(before) + 1), F.lit(PAGE_END)))
            .otherwise(value)
            .alias("page"),
            F.col("_outside").alias("outside"),
            "source_file",
            *extract.RECORD_COLUMNS,
        )
    )


def well_formed(page: Column) -> Column:
    """Whether the page's XML is well-formed in the subset MediaWiki exports use: its tags nest
    (a stack of open tag names, folded over the page's tags), every < starts a tag, every & an
    entity or a character reference."""
    tags = F.regexp_extract_all(page, F.lit(TAG), 0)
    stack = F.aggregate(
        tags,
        F.array().cast("array<string>"),
        lambda s, t: (
            F.when(t.endswith("/>"), s)
            .when(
                t.startswith("</"),
                F.when(
                    F.try_element_at(s, F.lit(-1)) == F.regexp_extract(t, r"^</([^\s/>]+)", 1),
                    F.slice(s, 1, F.size(s) - 1),
                ).otherwise(F.array(F.lit("<"))),
            )
            .otherwise(F.concat(s, F.array(F.regexp_extract(t, r"^<([^\s/>]+)", 1))))
        ),
    )
    less_than = F.length(page) - F.length(F.replace(page, F.lit("<"), F.lit("")))
    return (
        (F.size(stack) == 0)
        & (less_than == F.size(tags))
        & ~page.rlike(BAD_AMPERSAND)
        & (F.size(F.split(page, "<page>")) == 2)
    )


def _field(xml: Column, pattern: str) -> Column:
    """Group 1 of the first match of ``pattern``, null when it does not match."""
    return F.when(xml.rlike(pattern), F.regexp_extract(xml, pattern, 1))


def split_text(pages: DataFrame) -> DataFrame:
    """``pages`` with the page's <text> element split off by position, so that the regular
    expressions (each decodes its whole input) run on the small rest of the page, not the text:
    ``_markup`` (the page with an empty <text ...></text>), ``_text_attributes``, ``_content``
    (the text, still escaped; null when the page has no <text>...</text>)."""
    page = F.col("page")
    before_first, after_last = F.substring_index(page, "</text>", 1), F.substring_index(page, "</text>", -1)
    # ' xml:space="preserve" bytes="12">content' when the page has exactly one </text>.
    element = F.substring_index(before_first, "<text", -1)
    # Exactly one </text> (occurrences cannot overlap): what precedes the first and what follows
    # the last are the whole page but the one delimiter. Byte lengths: no pass over the text.
    one_text = F.octet_length(before_first) + len("</text>") + F.octet_length(after_last) == F.octet_length(page)
    attributes = F.substring_index(element, ">", 1)
    return (
        pages.withColumn("_text_attributes", F.when(one_text, attributes))
        .withColumn(
            "_content",
            F.when(
                one_text,
                _bytes_from(element, F.when(element.contains(">"), F.octet_length(attributes) + 2).otherwise(1)),
            ),
        )
        .withColumn(
            "_markup",
            F.when(
                one_text,
                F.concat(
                    F.substring_index(page, "<text", 1),
                    F.lit("<text"),
                    attributes,
                    F.lit("></text>"),
                    F.substring_index(page, "</text>", -1),
                ),
            ).otherwise(page),
        )
    )


def page_fields(pages: DataFrame) -> DataFrame:
    """Page XML -> the articles columns as escaped text (``_title`` ...) and ``reason``. The
    page's own elements come before <revision>, the revision's after it (contributor ids and the
    text cannot be mistaken for them)."""
    markup, content = F.col("_markup"), F.col("_content")
    head = F.substring_index(markup, "<revision>", 1)
    revision = F.when(markup.contains("<revision>"), F.expr("substr(_markup, instr(_markup, '<revision>'))"))
    contributor = _field(revision, r"(?s)<contributor[^>]*>(.*?)</contributor>")
    title = _field(head, r"<title>([^<]*)</title>")
    ns = F.expr(
        "try_cast(regexp_extract(substring_index(_markup, '<revision>', 1), "
        r"'<ns>\\s*(-?[0-9]+)\\s*</ns>', 1) AS int)"
    )
    page_id = F.expr(
        "try_cast(regexp_extract(substring_index(_markup, '<revision>', 1), "
        r"'<id>\\s*([0-9]+)\\s*</id>', 1) AS bigint)"
    )
    # Character data may not hold a < or an & that starts no entity or character reference.
    content_ok = content.isNull() | ((F.instr(content, "<") == 0) & ~content.rlike(BAD_AMPERSAND))
    reason = (
        F.when(F.col("outside") | ~well_formed(markup) | ~content_ok, F.lit(MALFORMED))
        .when(F.coalesce(title, F.lit("")) == "", F.lit(MISSING_TITLE))
        .when(ns.isNull(), F.lit(MISSING_NS))
        .when(page_id.isNull(), F.lit(MISSING_ID))
    )
    return split_text(pages).select(
        page_id.alias("page_id"),
        ns.alias("namespace"),
        title.alias("_title"),
        # XML 1.0 section 3.3.3: a tab or line end in an attribute value is read as a space.
        F.translate(_field(head, r"<redirect\s+title=\"([^\"]*)\""), "\t\n", "  ").alias("_redirect_title"),
        F.expr(
            "try_cast(regexp_extract(substr(_markup, instr(_markup, '<revision>')), "
            r"'^<revision>\\s*<id>([0-9]+)</id>', 1) AS bigint)"
        ).alias("revision_id"),
        F.try_to_timestamp(
            _field(revision, r"<timestamp>([^<]*)</timestamp>"), F.lit("yyyy-MM-dd'T'HH:mm:ss'Z'")
        ).alias("revision_timestamp"),
        F.coalesce(
            F.nullif(_field(contributor, r"<username>([^<]*)</username>"), F.lit("")),
            F.nullif(_field(contributor, r"<ip>([^<]*)</ip>"), F.lit("")),
        ).alias("_contributor"),
        F.expr(r"try_cast(regexp_extract(_text_attributes, 'bytes=\"([0-9]+)\"', 1) AS bigint)").alias("_bytes"),
        # An empty element <text ... /> is an empty text.
        F.when(content.isNotNull(), content).when(revision.rlike(r"<text[^>]*/>"), F.lit("")).alias("_text"),
        reason.alias("reason"),
        "source_file",
        "page",
        *extract.RECORD_COLUMNS,
    )


def link_candidates(text: Column, category_prefixes: Column, file_prefixes: Column) -> Column:
    """Rules 1-6 on unescaped revision text: array<struct<kind, name, sort_key>> in text order,
    kind 'link' or 'category' (embedded files and empty targets are left out)."""
    cleaned = F.regexp_replace(F.regexp_replace(text, r"(?s)<!--.*?-->", ""), r"(?is)<nowiki>.*?</nowiki>", "")
    targets = F.regexp_extract_all(cleaned, F.lit(LINK_CANDIDATE), 1)
    keys = F.regexp_extract_all(cleaned, F.lit(LINK_CANDIDATE), 2)

    def normalized(raw: Column) -> Column:
        """Rule 3 after the leading colon: cut at #, _ -> space, collapse whitespace, trim."""
        spaced = F.regexp_replace(F.translate(F.substring_index(raw, "#", 1), "_", " "), SPACES, " ")
        return F.regexp_replace(spaced, "^ | $", "")

    def normalize(pair: Column) -> Column:
        raw = pair["raw"]
        target = normalized(F.regexp_replace(raw, r"^\s*:", ""))
        return F.struct(
            raw.rlike(r"^\s*:").alias("colon"),
            target.alias("target"),
            F.lower(F.regexp_replace(F.substring_index(target, ":", 1), "^ | $", "")).alias("prefix"),
            F.regexp_replace(F.regexp_extract(target, r"^[^:]*:(.*)$", 1), "^ | $", "").alias("rest"),
            pair["key"].alias("key"),
        )

    def candidate(c: Column) -> Column:
        namespaced = ~c["colon"] & c["target"].contains(":")
        kind = (
            F.when(c["target"] == "", F.lit(None))
            .when(
                namespaced & F.array_contains(category_prefixes, c["prefix"]),
                F.when(c["rest"] != "", F.lit("category")),
            )
            .when(namespaced & F.array_contains(file_prefixes, c["prefix"]), F.lit(None))
            .otherwise(F.lit("link"))
        )
        return F.struct(
            kind.alias("kind"),
            _ucfirst(F.when(kind == "category", c["rest"]).otherwise(c["target"])).alias("name"),
            F.when(kind == "category", F.when(c["key"] != "", F.regexp_replace(c["key"], r"\]\]$", ""))).alias(
                "sort_key"
            ),
        )

    # Zipped once per page: an array expression named inside a lambda is evaluated per element.
    pairs = F.arrays_zip(targets.alias("raw"), keys.alias("key"))
    return F.filter(F.transform(F.transform(pairs, normalize), candidate), lambda c: c["kind"].isNotNull())


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
    """One row per (page, distinct target); occurrences = the page's candidates for that target."""
    return (
        valid.select("wiki", "page_id", F.explode("link_targets").alias("target"))
        .groupBy("wiki", "page_id", "target")
        .agg(F.count(F.lit(1)).cast("int").alias("occurrences"))
        .select(*LINK_COLUMNS)
    )


def categories_table(valid: DataFrame) -> DataFrame:
    """One row per (page, distinct category), with the sort key of its first occurrence."""
    entries = valid.select("wiki", "page_id", F.posexplode("category_entries").alias("pos", "entry"))
    return (
        entries.groupBy("wiki", "page_id", F.col("entry.category").alias("category"))
        .agg(F.min(F.struct("pos", F.col("entry.sort_key").alias("sort_key"))).alias("first"))
        .select("wiki", "page_id", "category", F.col("first.sort_key").alias("sort_key"))
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


def tally_details(by_namespace: list[Row]) -> dict:
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


def plan(spark: SparkSession, classified: DataFrame, inputs: Sequence[InputFile], args: argparse.Namespace) -> Plan:
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
        details={"input_splits": classified.rdd.getNumPartitions()},
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
