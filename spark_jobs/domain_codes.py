"""Pageview domain codes -> (project, access_site), as column expressions (no UDF).

``domain_code`` = site, then an optional access marker (``.m`` mobile, ``.zero`` zero), then an
optional project suffix. Examples: ``en`` en.wikipedia desktop, ``en.m`` en.wikipedia mobile,
``en.m.d`` en.wiktionary mobile, ``fr.voy`` fr.wikivoyage desktop, ``www.wd`` / ``m.wd`` wikidata
desktop / mobile, ``commons.m`` commons.wikimedia desktop, ``commons.m.m`` its mobile site.
A code these rules do not cover maps to project and access_site ``unknown``.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

UNKNOWN = "unknown"
PROJECT_SUFFIXES = {
    "": "wikipedia",
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
ACCESS_MARKERS = {"": "desktop", "m": "mobile", "zero": "zero"}
# Sites hosted under wikimedia.org: for these a lone trailing ".m" is the project suffix
# (commons.m = commons.wikimedia.org), not the mobile marker (en.m = en.m.wikipedia.org).
WIKIMEDIA_SITES = (
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
)
# Wikidata and mediawiki.org live on www (desktop) and m (mobile): www.wd, m.wd, www.w, m.w.
WWW_SUFFIXES = ("wd", "w")

_SUFFIX_ALTERNATIVES = "|".join(sorted((s for s in PROJECT_SUFFIXES if s), key=len, reverse=True))
CODE_PATTERN = rf"^([a-z0-9][a-z0-9_-]*)(?:\.(m|zero))?(?:\.({_SUFFIX_ALTERNATIVES}))?$"


def _lookup(mapping: dict[str, str], key: Column) -> Column:
    return F.create_map(*[F.lit(x) for pair in mapping.items() for x in pair])[key]


def project_and_access(domain_code: Column) -> tuple[Column, Column]:
    """(project, access_site) columns for a domain_code column."""
    site = F.regexp_extract(domain_code, CODE_PATTERN, 1)
    marker = F.regexp_extract(domain_code, CODE_PATTERN, 2)
    suffix = F.regexp_extract(domain_code, CODE_PATTERN, 3)
    wikimedia_desktop = site.isin(*WIKIMEDIA_SITES) & (marker == "m") & (suffix == "")
    marker = F.when(wikimedia_desktop, F.lit("")).otherwise(marker)
    suffix = F.when(wikimedia_desktop, F.lit("m")).otherwise(suffix)
    www_project = suffix.isin(*WWW_SUFFIXES)
    known = (site != "") & F.when(www_project, site.isin("www", "m") & (marker == "")).otherwise(~site.isin("www", "m"))
    project = F.concat(F.when(www_project, F.lit("www")).otherwise(site), F.lit("."), _lookup(PROJECT_SUFFIXES, suffix))
    access = F.when(www_project & (site == "m"), F.lit("mobile")).otherwise(_lookup(ACCESS_MARKERS, marker))
    return (F.when(known, project).otherwise(F.lit(UNKNOWN)), F.when(known, access).otherwise(F.lit(UNKNOWN)))


def with_project_and_access(df: DataFrame, domain_code: str = "domain_code") -> DataFrame:
    """``df`` plus ``project`` and ``access_site`` derived from its ``domain_code`` column."""
    project, access = project_and_access(F.col(domain_code))
    return df.withColumn("project", project).withColumn("access_site", access)
