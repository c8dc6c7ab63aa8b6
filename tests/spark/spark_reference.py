"""Plain-Python references for the jobs' outputs, written from the dump formats and the domain-code
rules in the specs, independently of the Spark code (json module, str.split, dicts)."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

EDIT_COLUMNS = {  # JSON field -> table column
    "time": "event_time",
    "channel": "channel",
    "page": "page",
    "namespace": "namespace",
    "user": "user_name",
    "comment": "comment",
    "isAnonymous": "is_anonymous",
    "isMinor": "is_minor",
    "isNew": "is_new",
    "isRobot": "is_robot",
    "isUnpatrolled": "is_unpatrolled",
    "cityName": "city_name",
    "countryIsoCode": "country_iso_code",
    "countryName": "country_name",
    "regionIsoCode": "region_iso_code",
    "regionName": "region_name",
    "metroCode": "metro_code",
    "delta": "delta",
    "added": "added",
    "deleted": "deleted",
}


def read_lines(path: Path) -> list[str]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def edit_rows(path: Path) -> list[dict]:
    """The sample's events as table rows (every line of the real sample is a valid event)."""
    return [
        {EDIT_COLUMNS[k]: v for k, v in json.loads(line).items() if k in EDIT_COLUMNS}
        for line in read_lines(path)
        if line.strip()
    ]


def edits_by_channel(rows: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for channel in {r["channel"] for r in rows}:
        mine = [r for r in rows if r["channel"] == channel]
        out[channel] = {
            "edits": len(mine),
            "robot_edits": sum(r["is_robot"] is True for r in mine),
            "anonymous_edits": sum(r["is_anonymous"] is True for r in mine),
            "minor_edits": sum(r["is_minor"] is True for r in mine),
            "new_pages": sum(r["is_new"] is True for r in mine),
            "added": sum(r["added"] for r in mine),
            "deleted": sum(r["deleted"] for r in mine),
            "delta": sum(r["delta"] for r in mine),
            "distinct_users": len({r["user_name"] for r in mine if r["user_name"] is not None}),
            "distinct_pages": len({r["page"] for r in mine if r["page"] is not None}),
        }
    return out


# ---- pageviews ----------------------------------------------------------------------------------

SUFFIX_PROJECTS = {
    "b": "wikibooks",
    "d": "wiktionary",
    "n": "wikinews",
    "q": "wikiquote",
    "s": "wikisource",
    "v": "wikiversity",
    "voy": "wikivoyage",
    "f": "wikimediafoundation",
    "w": "mediawiki",
    "wd": "wikidata",
    "m": "wikimedia",
}
WIKIMEDIA_SITES = {
    "commons",
    "meta",
    "species",
    "incubator",
    "outreach",
    "wikimania",
    "strategy",
    "usability",
    "quality",
    "foundation",
    "login",
    "vote",
    "wikitech",
    "advisory",
    "office",
    "ten",
    "spcom",
}
_SITE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# (project, access_site) of a domain code the rules do not cover.
UNKNOWN = ("unknown", "unknown")


def project_and_access(code: str) -> tuple[str, str]:
    """The datasets.md rules, read left to right over the dot-separated labels."""
    labels = code.split(".")
    site, rest = labels[0], labels[1:]
    if not _SITE.match(site):
        return UNKNOWN
    if site in ("www", "m"):  # wikidata / mediawiki.org: www.wd, m.wd, www.w, m.w
        if len(rest) == 1 and rest[0] in ("wd", "w"):
            return f"www.{SUFFIX_PROJECTS[rest[0]]}", "desktop" if site == "www" else "mobile"
        return UNKNOWN
    access = "desktop"
    if rest and rest[0] in ("m", "zero") and not (rest == ["m"] and site in WIKIMEDIA_SITES):
        access = "mobile" if rest[0] == "m" else "zero"
        rest = rest[1:]
    if not rest:
        return f"{site}.wikipedia", access
    if len(rest) == 1 and rest[0] in SUFFIX_PROJECTS and rest[0] not in ("wd", "w"):
        return f"{site}.{SUFFIX_PROJECTS[rest[0]]}", access
    return UNKNOWN


def pageview_reason(line: str) -> str | None:
    fields = line.split(" ")
    if len(fields) != 4:
        return "wrong field count"
    if fields[0] == "":
        return "empty domain code"
    if not (fields[2].isascii() and fields[2].isdigit() and len(fields[2]) <= 18):
        return "bad count_views"
    return None


def pageviews_reference(files: dict[int, list[str]]) -> dict:
    """files: hour -> lines. Daily rows, hourly rows and rejection counts."""
    daily_views: Counter = Counter()
    daily_hours: dict = defaultdict(set)
    hourly_views: Counter = Counter()
    hourly_pages: Counter = Counter()
    reasons: Counter = Counter()
    for hour, lines in files.items():
        for line in lines:
            if not line.strip():
                continue
            reason = pageview_reason(line)
            reasons[reason] += 1
            if reason:
                continue
            code, title, views, _ = line.split(" ")
            daily_views[(code, title)] += int(views)
            daily_hours[(code, title)].add(hour)
            project, access = project_and_access(code)
            hourly_views[(hour, project, access)] += int(views)
            hourly_pages[(hour, project, access)] += 1
    daily = {key: (*project_and_access(key[0]), views, len(daily_hours[key])) for key, views in daily_views.items()}
    hourly = {key: (views, hourly_pages[key]) for key, views in hourly_views.items()}
    return {"daily": daily, "hourly": hourly, "reasons": reasons}
