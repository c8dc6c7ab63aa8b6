"""The link and category rules of docs/datasets.md on a page's unescaped revision text, as one
Spark column: every candidate in text order, classified as a link, a category or neither."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

# Rule 2 in one pass: [[, the raw target up to the first | or ]] (no [, ], newline), then either
# ]] or | followed, when there is one, by the sort key candidate up to the next ]] (no [ or
# newline). A match is "[[target]]", "[[target|key]]" or "[[target|"; its key is consumed, which
# changes no later match (the key holds no [, so no candidate starts inside it), and matching goes
# on right after the key, so links nested in a file caption are found.
LINK_CANDIDATE = r"\[\[[^\[\]\n|]*(?:\]\]|\|(?:[^\[\n]*?\]\])?)"
# Rule 3's whitespace: ASCII space, tab, LF, VT, FF, CR (translated to spaces, then collapsed).
WHITESPACE = " \t\n\x0b\x0c\r"
TO_END = 2**31 - 1


def _ucfirst(text: Column) -> Column:
    return F.concat(F.upper(F.substring(text, 1, 1)), F.substring(text, 2, TO_END))


def _after(text: Column, delimiter: str) -> Column:
    """``text`` after the first ``delimiter`` (which it contains)."""
    return text.substr(F.instr(text, delimiter) + len(delimiter), F.lit(TO_END))


def without_comments_and_nowiki(text: Column) -> Column:
    """Rule 1: HTML comments removed, then <nowiki> sections. Each regular expression copies the
    whole text, so it runs only on the texts that may hold its opening tag, found by a byte search
    (a third of the sample's pages have a comment; 1% a <nowiki>, whose "<n" in either case the
    search looks for). The search for <nowiki> is on the text as given, not on the text without
    comments: that would name the comment removal three times, and this column is evaluated
    inside a higher-order function, where Spark computes each occurrence again."""
    no_comments = F.when(text.contains("<!--"), F.regexp_replace(text, r"(?s)<!--.*?-->", "")).otherwise(text)
    may_have_nowiki = text.contains("<n") | text.contains("<N")
    return F.when(may_have_nowiki, F.regexp_replace(no_comments, r"(?is)<nowiki>.*?</nowiki>", "")).otherwise(
        no_comments
    )


def _as_spaces(text: Column, characters: str) -> Column:
    """``text`` with each of ``characters`` replaced by a space. Not translate(): it looks every
    character of the text up in a map, as a new string, several times slower than a replace per
    character on these short targets."""
    return reduce(lambda replaced, character: F.replace(replaced, F.lit(character), F.lit(" ")), characters, text)


def _cut(match: Column) -> Column:
    """Rule 2 on one match: ``spaced`` (the raw target, every whitespace character a space) and
    ``key`` (what follows the | up to and with the ]]: "" when there is no key, "]]" when it is
    empty)."""
    raw = F.substring_index(F.substring_index(F.substring(match, 3, TO_END), "|", 1), "]]", 1)
    return F.struct(
        _as_spaces(raw, WHITESPACE[1:]).alias("spaced"),
        F.when(match.contains("|"), _after(match, "|")).otherwise(F.lit("")).alias("key"),
    )


def _unmarked(cut: Column) -> Column:
    """Rule 3, first half: ``colon`` (a leading : after spaces, removed) and ``unmarked`` (the
    target cut at #, _ as a space)."""
    stripped = F.ltrim(cut["spaced"])
    colon = stripped.startswith(":")
    uncoloned = F.when(colon, F.substring(stripped, 2, TO_END)).otherwise(cut["spaced"])
    return F.struct(
        colon.alias("colon"),
        _as_spaces(F.substring_index(uncoloned, "#", 1), "_").alias("unmarked"),
        cut["key"].alias("key"),
    )


def _normalized(c: Column) -> Column:
    """Rule 3, second half: ``target``, spaces trimmed and collapsed (the regular expression only
    where two spaces meet); ``namespaced``: the target holds a : and had no leading one."""
    unmarked = c["unmarked"]
    collapsed = F.when(unmarked.contains("  "), F.regexp_replace(unmarked, " {2,}", " ")).otherwise(unmarked)
    return F.struct(
        F.trim(collapsed).alias("target"),
        (~c["colon"] & unmarked.contains(":")).alias("namespaced"),
        c["key"].alias("key"),
    )


def _split_at_colon(c: Column) -> Column:
    """A namespaced target's ``prefix`` (lower-cased) and ``rest`` (after its first :); null for
    other targets."""
    target, namespaced = c["target"], c["namespaced"]
    return F.struct(
        target.alias("target"),
        F.when(namespaced, F.lower(F.trim(F.substring_index(target, ":", 1)))).alias("prefix"),
        F.when(namespaced, F.trim(_after(target, ":"))).alias("rest"),
        c["key"].alias("key"),
    )


def _kind(c: Column, category_prefixes: Column, file_prefixes: Column) -> Column:
    """Rules 4-6: ``kind`` ('link', 'category', null for neither) beside the split match; a
    category's name is its ``rest``."""
    prefix = c["prefix"]
    kind = (
        F.when(c["target"] == "", F.lit(None))
        .when(F.array_contains(category_prefixes, prefix), F.when(c["rest"] != "", F.lit("category")))
        .when(F.array_contains(file_prefixes, prefix), F.lit(None))
        .otherwise(F.lit("link"))
    )
    return F.struct(kind.alias("kind"), *[c[name].alias(name) for name in ("target", "rest", "key")])


def _named(c: Column) -> Column:
    """struct<kind, name, sort_key>: a link's target or a category's name, first character
    upper-cased; a category's sort key without its ]] (null when there is none)."""
    category, key = c["kind"] == "category", c["key"]
    return F.struct(
        c["kind"].alias("kind"),
        _ucfirst(F.when(category, c["rest"]).otherwise(c["target"])).alias("name"),
        F.when(category & (key != ""), key.substr(F.lit(1), F.length(key) - 2)).alias("sort_key"),
    )


def link_candidates(text: Column, category_prefixes: Column, file_prefixes: Column) -> Column:
    """Rules 1-6 on unescaped revision text: array<struct<kind, name, sort_key>> in text order,
    kind 'link' or 'category' (embedded files and empty targets are left out). One regular
    expression pass finds the candidates; each is then cut with plain string functions, one
    step per transform so that no value is computed twice (an expression named twice inside a
    lambda is evaluated twice)."""
    matches = F.regexp_extract_all(without_comments_and_nowiki(text), F.lit(LINK_CANDIDATE), 0)
    split = reduce(F.transform, (_cut, _unmarked, _normalized, _split_at_colon), matches)
    kinds = F.transform(split, lambda c: _kind(c, category_prefixes, file_prefixes))
    return F.transform(F.filter(kinds, lambda c: c["kind"].isNotNull()), _named)
