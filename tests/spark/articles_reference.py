"""Plain-Python reference for the articles tables, written from the spec's format and rules
independently of the Spark job: xml.etree parses the dump (it does the unescaping), and the link
rules are a character scan for ``[[`` rather than the job's regular expression."""

from __future__ import annotations

import bz2
import gzip
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from pathlib import Path

WHITESPACE = " \t\n\r\f\v"


def read_xml(path: Path) -> str:
    """The file's text with its line ends as they are (newline=""): the XML parser applies the
    end-of-line rules itself (XML 1.0 sections 2.11 and 3.3.3), not Python's universal newlines."""
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix, open)
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return f.read()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element, name):
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element, name):
    child = _child(element, name) if element is not None else None
    return None if child is None else (child.text or "")


def siteinfo(root) -> tuple[str, set[str], set[str]]:
    """dbname, category prefixes, file prefixes (lower case)."""
    info = _child(root, "siteinfo")
    names = {ns.get("key"): (ns.text or "").strip().lower() for ns in info.iter() if _local(ns.tag) == "namespace"}
    categories = {"category", names.get("14", "")} - {""}
    files = {"file", "image", "media", names.get("6", ""), names.get("-2", "")} - {""}
    return _text(info, "dbname"), categories, files


def _collapse(text: str) -> str:
    return re.sub(f"[{WHITESPACE}]+", " ", text).strip(" ")


def _ucfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


def candidates(text: str) -> list[tuple[str, str | None]]:
    """(raw target, sort key or None) of every link candidate, by rules 1 and 2."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<nowiki>.*?</nowiki>", "", text, flags=re.S | re.I)
    found, i = [], 0
    while (i := text.find("[[", i)) >= 0:
        end = i + 2
        while end < len(text) and text[end] != "|" and not text.startswith("]]", end):
            end += 1
        raw = text[i + 2 : end]
        if end >= len(text) or any(c in raw for c in "[]\n"):
            i += 1
            continue
        if text[end] == "|":
            close = text.find("]]", end + 1)
            between = text[end + 1 : close] if close >= 0 else None
            key = between if between is not None and not any(c in between for c in "[\n") else None
            i = end + 1
        else:
            key, i = None, end + 2
        found.append((raw, key))
    return found


def classify_candidate(raw: str, key: str | None, categories: set[str], files: set[str]):
    """('link', target, None) | ('category', name, sort key) | None, by rules 3-6."""
    stripped = raw.lstrip(WHITESPACE)
    colon = stripped.startswith(":")
    target = stripped[1:] if colon else raw
    target = _collapse(target.split("#", 1)[0].replace("_", " "))
    if not target:
        return None
    if ":" in target and not colon:
        prefix, rest = target.split(":", 1)
        if prefix.strip(WHITESPACE).lower() in categories:
            name = _collapse(rest)
            return ("category", _ucfirst(name), key) if name else None
        if prefix.strip(WHITESPACE).lower() in files:
            return None
    return ("link", _ucfirst(target), None)


def tables(paths: list[Path]) -> tuple[list[dict], list[dict], list[dict], Counter]:
    """articles, article_links, article_categories rows and rejected pages by reason, for the
    export files ``paths`` (pages that ElementTree cannot parse are 'malformed XML')."""
    articles, links, categories, rejected = [], [], [], Counter()
    for path in paths:
        xml = read_xml(path)
        header_end = xml.index("</siteinfo>") + len("</siteinfo>")
        wiki, category_names, file_names = siteinfo(ET.fromstring(xml[:header_end] + "</mediawiki>"))
        for chunk in xml[header_end:].split("</page>")[:-1]:
            try:
                page = ET.fromstring(chunk.strip() + "</page>")
            except ET.ParseError:
                rejected["malformed XML"] += 1
                continue
            title, ns, page_id = _text(page, "title"), _text(page, "ns"), _text(page, "id")
            if not title:
                rejected["missing title"] += 1
                continue
            if ns is None or not re.fullmatch(r"\s*-?\d+\s*", ns):
                rejected["missing or invalid ns"] += 1
                continue
            if page_id is None or not re.fullmatch(r"\s*\d+\s*", page_id):
                rejected["missing or invalid id"] += 1
                continue
            revision = _child(page, "revision")
            contributor = _child(revision, "contributor") if revision is not None else None
            text_element = _child(revision, "text") if revision is not None else None
            text = None if text_element is None else (text_element.text or "")
            redirect = _child(page, "redirect")
            timestamp = _text(revision, "timestamp")
            found = [
                c
                for raw, key in candidates(text or "")
                if (c := classify_candidate(raw, key, category_names, file_names))
            ]
            link_counts = Counter(name for kind, name, _ in found if kind == "link")
            first_keys: dict[str, str | None] = {}
            for kind, name, key in found:
                if kind == "category" and name not in first_keys:
                    first_keys[name] = key
            byte_attribute = None if text_element is None else text_element.get("bytes")
            articles.append(
                {
                    "wiki": wiki,
                    "page_id": int(page_id),
                    "namespace": int(ns),
                    "title": title,
                    "redirect_title": None if redirect is None else redirect.get("title"),
                    "revision_id": int(_text(revision, "id")) if revision is not None else None,
                    "revision_timestamp": datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ") if timestamp else None,
                    "contributor": (_text(contributor, "username") or _text(contributor, "ip") or None),
                    "text_bytes": int(byte_attribute)
                    if byte_attribute
                    else (None if text is None else len(text.encode("utf-8"))),
                    "links": len(link_counts),
                    "categories": len(first_keys),
                }
            )
            links += [
                {"wiki": wiki, "page_id": int(page_id), "target": t, "occurrences": n} for t, n in link_counts.items()
            ]
            categories += [
                {"wiki": wiki, "page_id": int(page_id), "category": c, "sort_key": k} for c, k in first_keys.items()
            ]
    return articles, links, categories, rejected


def occurrences(paths: list[Path]) -> Counter:
    """Link and category candidates (repeats included) over the valid pages of ``paths``: the
    manifest's link_occurrences and category_occurrences."""
    found: Counter = Counter()
    for path in paths:
        xml = read_xml(path)
        header_end = xml.index("</siteinfo>") + len("</siteinfo>")
        _, category_names, file_names = siteinfo(ET.fromstring(xml[:header_end] + "</mediawiki>"))
        for chunk in xml[header_end:].split("</page>")[:-1]:
            revision = _child(ET.fromstring(chunk.strip() + "</page>"), "revision")
            text = _text(revision, "text") or ""
            for raw, key in candidates(text):
                if c := classify_candidate(raw, key, category_names, file_names):
                    found[c[0]] += 1
    return found
