"""A page of a MediaWiki export as Spark columns: text records cut into pages, the page's
well-formedness, its fields (title, ns, id, revision, contributor, text) and XML unescaping.

Spark's ``xpath`` functions are not used: they throw on malformed XML, which must be rejected
instead; the page is checked for well-formedness first (balanced tags, no stray ``<``, known
entities only). Everything runs in the JVM (built-in string, regexp and higher-order functions).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs import extract

PAGE_END = "</page>"

MALFORMED = "malformed XML"
MISSING_TITLE = "missing title"
MISSING_NS = "missing or invalid ns"
MISSING_ID = "missing or invalid id"

# ---- regular expressions (Java syntax; all run in the JVM) -------------------------------------
# A start, end or empty-element tag with its attributes.
TAG = r"<(/?)([A-Za-z_][\w.:-]*)(?:\s+[\w.:-]+\s*=\s*\"[^\"<]*\")*\s*(/?)>"
# An & that does not start one of XML's entities or a character reference.
BAD_AMPERSAND = r"&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)"
# What may come before a file's first <page> (its header) or stand alone after the last one.
OUTSIDE_PAGES = r"(?s)^(.*</siteinfo>)?\s*(</mediawiki>)?\s*$"


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


def end_of_line_normalized(text: Column) -> Column:
    """XML 1.0 section 2.11: every CR LF pair and every lone CR becomes one LF, before anything
    else reads the text. Plain replaces (no regex), and only on the records that hold a CR."""
    lf = F.lit("\n")
    return F.when(~text.contains("\r"), text).otherwise(F.replace(F.replace(text, F.lit("\r\n"), lf), F.lit("\r"), lf))


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
            F.when(has_page, F.concat(extract.byte_slice(value, F.octet_length(before) + 1), F.lit(PAGE_END)))
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
    (the text, still escaped; null when the page has no <text>...</text>).

    Spark's substring_index and instr compare the delimiter at every byte they pass, several
    times slower than contains(), which tests one byte first: each is used only where it passes
    a page's few hundred bytes of markup, never its text. So the one </text> is found from the
    page's end, the <text before it from the page's start, and contains() checks that neither
    occurs again in between; a page where one does takes the exact (slower) search instead."""
    page, before, element = F.col("page"), F.col("_before_end"), F.col("_element")
    after_last = F.substring_index(page, "</text>", -1)
    # Bytes before the first <text (all of them when there is none); the page up to its last </text>.
    head_bytes = F.octet_length(F.col("_head"))
    before_end = extract.byte_slice(
        page, F.lit(1), F.octet_length(page) - F.octet_length(F.col("_tail")) - len("</text>")
    )
    # Exactly one </text> (occurrences cannot overlap): there is one, and none before it.
    one_text = (F.octet_length(F.col("_tail")) < F.octet_length(page)) & ~before.contains("</text>")
    # ' xml:space="preserve" bytes="12">content': what follows the last <text before the </text>.
    after_first_start = extract.byte_slice(before, head_bytes + len("<text") + 1)
    first_is_last = (head_bytes + len("<text") <= F.octet_length(before)) & ~after_first_start.contains("<text")
    after_last_start = F.when(first_is_last, after_first_start).otherwise(F.substring_index(before, "<text", -1))
    attributes = F.substring_index(element, ">", 1)
    return (
        pages.withColumn("_tail", after_last)
        .withColumn("_head", F.substring_index(page, "<text", 1))
        .withColumn("_before_end", before_end)
        .withColumn("_element", F.when(one_text, after_last_start))
        .withColumn("_text_attributes", attributes)
        .withColumn(
            "_content",
            extract.byte_slice(element, F.when(element.contains(">"), F.octet_length(attributes) + 2).otherwise(1)),
        )
        .withColumn(
            "_markup",
            F.when(
                element.isNotNull(),
                F.concat(F.col("_head"), F.lit("<text"), attributes, F.lit("></text>"), F.col("_tail")),
            ).otherwise(page),
        )
        .drop("_tail", "_head", "_before_end", "_element")
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
    content_ok = content.isNull() | (~content.contains("<") & ~content.rlike(BAD_AMPERSAND))
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
