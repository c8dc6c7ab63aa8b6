"""Plain-Python answers to the named queries, computed from the RAW sample files.

Independent of the jobs and of SQL: JSON lines, pageview lines and the XML dump are parsed here with
the rules of the datasets spec (docs/jobs-and-tables.md, docs/datasets.md; restated in the
comments), then grouped with dicts. The domain-code rules come from tests/spark/spark_reference.py,
the suite's one plain-Python reading of them.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote_to_bytes
from xml.etree import ElementTree

from tests.spark.spark_reference import UNKNOWN, project_and_access

# top_pages' articles_only rule, restated from its header.
NON_ARTICLE = re.compile(
    r"^(main_page|-)$|^(special|media|talk|user|wikipedia|project|file|image|mediawiki|template|"
    r"help|category|portal|draft|module|timedtext)(_talk)?:",
    re.IGNORECASE,
)


# --- edits ----------------------------------------------------------------------------------


def edit_events(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _ranked(groups: dict, order) -> list[tuple]:
    return [(rank, *row) for rank, row in enumerate(sorted(groups.values(), key=order), 1)]


def top_channels(events: list[dict], top_n: int = 10) -> list[tuple]:
    """rank, channel, edits, human_edits, robot_edits, robot_pct, anonymous_edits, bytes_added,
    bytes_removed, editors, pages."""
    by_channel = defaultdict(list)
    for event in events:
        by_channel[event["channel"]].append(event)
    groups = {}
    for channel, items in by_channel.items():
        robots = sum(e["isRobot"] for e in items)
        groups[channel] = (
            channel,
            len(items),
            len(items) - robots,
            robots,
            100 * robots / len(items),
            sum(e["isAnonymous"] for e in items),
            sum(e["added"] for e in items),
            sum(e["deleted"] for e in items),
            len({e["user"] for e in items}),
            len({e["page"] for e in items}),
        )
    return _ranked(groups, lambda r: (-r[1], r[0]))[:top_n]


def us_human_edits_top_pages(events: list[dict], top_n: int = 10) -> list[tuple]:
    """rank, page, channel, edits, editors, bytes_added, bytes_removed."""
    by_page = defaultdict(list)
    for event in events:
        if not event["isRobot"] and event["countryName"] == "United States":
            by_page[(event["channel"], event["page"])].append(event)
    groups = {
        key: (
            key[1],
            key[0],
            len(items),
            len({e["user"] for e in items}),
            sum(e["added"] for e in items),
            sum(e["deleted"] for e in items),
        )
        for key, items in by_page.items()
    }
    return _ranked(groups, lambda r: (-r[2], r[1], r[0]))[:top_n]


# --- pageviews ------------------------------------------------------------------------------


def classify(domain_code: str) -> tuple[str, str] | None:
    """(project, access_site) of a domain code, or None when the rules do not cover it."""
    mapped = project_and_access(domain_code)
    return None if mapped == UNKNOWN else mapped


def pageview_lines(files: list[Path]):
    """(hour, domain_code, page_title, views) of every well-formed line; hour = HH of the file name.

    A line is `domain_code page_title count_views total_response_size`: four non-empty fields
    separated by single spaces, the last two whole numbers."""
    for path in files:
        hour = int(re.search(r"-(\d{2})0000\.gz$", path.name).group(1))
        with gzip.open(path, "rt", encoding="utf-8", errors="strict") as lines:
            for line in lines:
                fields = line.rstrip("\n").split(" ")
                if len(fields) == 4 and all(fields) and _whole(fields[2]) and _whole(fields[3]):
                    yield hour, fields[0], fields[1], int(fields[2])


def _views(project_site_views: list[tuple[str, int]]) -> tuple[int, int, int]:
    total = sum(v for _, v in project_site_views)
    desktop = sum(v for site, v in project_site_views if site == "desktop")
    return total, desktop, total - desktop  # mobile = mobile + zero


def top_pages(
    lines, project: str, access_site: str = "all", articles_only: bool = True, top_n: int = 10
) -> list[tuple]:
    """rank, page_title, views, desktop_views, mobile_views."""
    by_title = defaultdict(list)
    for _, code, title, views in lines:
        kind = classify(code)
        matches = kind and kind[0] == project and access_site in ("all", kind[1])
        if matches and not (articles_only and NON_ARTICLE.search(title)):
            by_title[title].append((kind[1], views))
    groups = {title: (title, *_views(items)) for title, items in by_title.items()}
    return _ranked(groups, lambda r: (-r[1], r[0]))[:top_n]


def project_traffic_by_hour(lines, project: str) -> list[tuple]:
    """hour, views, desktop_views, mobile_views."""
    by_hour = defaultdict(list)
    for hour, code, _, views in lines:
        kind = classify(code)
        if kind and kind[0] == project:
            by_hour[hour].append((kind[1], views))
    return [(hour, *_views(items)) for hour, items in sorted(by_hour.items())]


def mobile_share(lines, top_n: int = 15) -> list[tuple]:
    """rank, project, mobile_pct, desktop_pct, views, mobile_views, desktop_views."""
    by_project = defaultdict(list)
    for _, code, _, views in lines:
        kind = classify(code)
        if kind:
            by_project[kind[0]].append((kind[1], views))
    groups = {}
    for project, items in by_project.items():
        total, desktop, mobile = _views(items)
        groups[project] = (project, 100 * mobile / total, 100 * desktop / total, total, mobile, desktop)
    return _ranked(groups, lambda r: (-r[3], r[0]))[:top_n]


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit()


# --- pageviews joined to articles -----------------------------------------------------------


def dump_title(page_title: str) -> str:
    """The dump title a pageviews title names (docs/datasets.md, "How titles are matched"):
    percent-decoded when every % starts an escape and the bytes are valid UTF-8, else as it is;
    then `_` as a space."""
    decoded = page_title
    if not re.search(r"%(?![0-9A-Fa-f]{2})", page_title):
        with contextlib.suppress(UnicodeDecodeError):
            decoded = unquote_to_bytes(page_title).decode("utf-8")
    return decoded.replace("_", " ")


def dump_redirects(path: Path) -> dict[str, str | None]:
    """title -> redirect title (None if not a redirect) of every page of a MediaWiki export,
    read whole with xml.etree (the articles job reads it with regular expressions)."""
    with bz2.open(path) as xml:
        root = ElementTree.parse(xml).getroot()
    ns = {"mw": root.tag[1 : root.tag.index("}")]}
    pages = {}
    for page in root.iterfind("mw:page", ns):
        redirect = page.find("mw:redirect", ns)
        pages[page.findtext("mw:title", namespaces=ns)] = None if redirect is None else redirect.get("title")
    return pages


def most_viewed_articles(lines, pages: dict[str, str | None], project: str, top_n: int = 10) -> list[tuple]:
    """rank, page_title, views, article (the matched page, or its redirect's target when the dump
    has it; None when nothing matched)."""
    views = defaultdict(int)
    for _, code, title, count in lines:
        kind = classify(code)
        if kind and kind[0] == project:
            views[title] += count
    top = sorted(views.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    rows = []
    for rank, (title, count) in enumerate(top, 1):
        page = dump_title(title)
        article = None
        if page in pages:
            target = pages[page]
            article = target if target in pages else page
        rows.append((rank, title, count, article))
    return rows
