"""The link and category rules of docs/datasets.md on a page's unescaped revision text, as one
Spark column: every candidate in text order, classified as a link, a category or neither."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# Rule 2: [[ then the raw target up to the first | or ]] (no [, ], newline); after a |, a lookahead
# takes the sort key candidate up to the next ]] (no [ or newline) without consuming it, so the
# next match starts right after the | and links nested in a file caption are found. Group 2 is
# "" when there is no such key, else the key followed by "]]" (so an empty key is "]]").
LINK_CANDIDATE = r"\[\[([^\[\]\n|]*)(?:\]\]|\|(?=([^\[\n]*?\]\])|))"
# Whitespace of rule 3: ASCII space, tab, CR, LF, VT, FF (Java's \s).
SPACES = r"\s+"


def _ucfirst(text: Column) -> Column:
    return F.concat(F.upper(F.substring(text, 1, 1)), F.substring(text, 2, 2**31 - 1))


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
