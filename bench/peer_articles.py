"""The plain-Python peer for articles: what a one-machine user would write without Spark.

One process, one core: ``xml.etree.ElementTree.iterparse`` streams each export file (bz2/gzip via
the standard library; each page is cleared once read, so memory stays at one page), the link and
category rules run as Python string code, and the rows go through CSV into DuckDB, which writes
the same three Parquet tables as the job (DuckDB only encodes; it parses nothing).
"""

from __future__ import annotations

import bz2
import csv
import glob
import gzip
import re
import tempfile
from collections import Counter
from pathlib import Path

from wikilake_core.layout import table_partition_dir

SPACES = re.compile(r"[ \t\n\r\f\v]+")
COMMENT = re.compile(r"<!--.*?-->", re.S)
NOWIKI = re.compile(r"<nowiki>.*?</nowiki>", re.S | re.I)
CANDIDATE = re.compile(r"\[\[([^\[\]\n|]*)(?:\]\]|\|(?=([^\[\n]*?\]\])|))")
COLUMNS = {
    "articles": "wiki VARCHAR, page_id BIGINT, namespace INTEGER, title VARCHAR, "
    "redirect_title VARCHAR, revision_id BIGINT, revision_timestamp TIMESTAMP, "
    "contributor VARCHAR, text_bytes BIGINT, links INTEGER, categories INTEGER",
    "article_links": "wiki VARCHAR, page_id BIGINT, target VARCHAR, occurrences INTEGER",
    "article_categories": "wiki VARCHAR, page_id BIGINT, category VARCHAR, sort_key VARCHAR",
}
NULL = "\\N"


def _open(path: str):
    return (
        bz2.open(path, "rb")
        if path.endswith(".bz2")
        else gzip.open(path, "rb")
        if path.endswith(".gz")
        else open(path, "rb")
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ucfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def links_and_categories(text: str, category_names: set[str], file_names: set[str]):
    """(link target counts, {category: first sort key}) of one page's unescaped text."""
    text = NOWIKI.sub("", COMMENT.sub("", text))
    links: Counter = Counter()
    categories: dict[str, str | None] = {}
    for raw, key in CANDIDATE.findall(text):
        colon = raw.lstrip(" \t\r\f\v").startswith(":")
        target = raw.lstrip(" \t\r\f\v")[1:] if colon else raw
        target = SPACES.sub(" ", target.split("#", 1)[0].replace("_", " ")).strip(" ")
        if not target:
            continue
        prefix, colon_found, rest = target.partition(":")
        namespaced = bool(colon_found) and not colon
        if namespaced and prefix.strip(" ").lower() in category_names:
            name = rest.strip(" ")
            if name:
                categories.setdefault(_ucfirst(name), key[:-2] if key else None)
            continue
        if namespaced and prefix.strip(" ").lower() in file_names:
            continue
        links[_ucfirst(target)] += 1
    return links, categories


def _pages(path: str):
    """(dbname, category names, file names, page element) for each page, streaming."""
    import xml.etree.ElementTree as ET

    wiki, names = None, {}
    with _open(path) as stream:
        for _, element in ET.iterparse(stream, events=("end",)):
            tag = _local(element.tag)
            if tag == "dbname":
                wiki = element.text
            elif tag == "namespace":
                names[element.get("key")] = (element.text or "").strip().lower()
            elif tag == "page":
                yield (
                    wiki,
                    {"category", names.get("14", "")} - {""},
                    {"file", "image", "media", names.get("6", ""), names.get("-2", "")} - {""},
                    element,
                )
                element.clear()


def _child(element, name):
    return next((c for c in element if _local(c.tag) == name), None) if element is not None else None


def _text(element, name):
    child = _child(element, name)
    return None if child is None else (child.text or "")


def run(dt: str, input_glob: str, output_root: Path, con) -> dict[str, int]:
    """Parse every file of ``input_glob`` and write the three tables with DuckDB ``con``."""
    with tempfile.TemporaryDirectory(dir=output_root) as scratch:
        # One CSV per table, open for the whole parse and closed below.
        files = {t: open(Path(scratch) / f"{t}.csv", "w", newline="", encoding="utf-8") for t in COLUMNS}  # noqa: SIM115
        writers = {t: csv.writer(f) for t, f in files.items()}
        for path in sorted(glob.glob(input_glob)):
            for wiki, category_names, file_names, page in _pages(path):
                title, ns, page_id = _text(page, "title"), _text(page, "ns"), _text(page, "id")
                if not title or not (ns or "").strip().lstrip("-").isdigit() or not (page_id or "").strip().isdigit():
                    continue
                revision = _child(page, "revision")
                contributor = _child(revision, "contributor")
                text_element = _child(revision, "text")
                text = None if text_element is None else (text_element.text or "")
                links, categories = links_and_categories(text or "", category_names, file_names)
                redirect = _child(page, "redirect")
                size = text_element.get("bytes") if text_element is not None else None
                writers["articles"].writerow(
                    [
                        wiki,
                        page_id.strip(),
                        ns.strip(),
                        title,
                        NULL if redirect is None else redirect.get("title"),
                        _text(revision, "id") or NULL,
                        (_text(revision, "timestamp") or NULL).replace("T", " ").rstrip("Z"),
                        _text(contributor, "username") or _text(contributor, "ip") or NULL,
                        size or (NULL if text is None else len(text.encode())),
                        len(links),
                        len(categories),
                    ]
                )
                for target, count in links.items():
                    writers["article_links"].writerow([wiki, page_id.strip(), target, count])
                for category, key in categories.items():
                    writers["article_categories"].writerow(
                        [wiki, page_id.strip(), category, NULL if key is None else key]
                    )
        for f in files.values():
            f.close()
        rows = {}
        for table, columns in COLUMNS.items():
            out_dir = Path(table_partition_dir(str(output_root), table, dt))
            out_dir.mkdir(parents=True, exist_ok=True)
            source = (
                f"read_csv('{Path(scratch) / f'{table}.csv'}', header = false, "
                f"nullstr = '{NULL}', columns = {_columns(columns)})"
            )
            rows[table] = con.execute(
                f"COPY (SELECT * FROM {source}) TO '{out_dir / 'part-00000.parquet'}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            ).fetchone()[0]
    return rows


def _columns(spec: str) -> str:
    pairs = [column.strip().split(" ", 1) for column in spec.split(",")]
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in pairs) + "}"
