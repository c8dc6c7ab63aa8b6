"""The domain-code transform on a tiny frame, against the rules in specs/datasets.md."""

from __future__ import annotations

import pytest
from spark_reference import project_and_access

from spark_jobs.domain_codes import with_project_and_access

pytestmark = pytest.mark.spark

EXPECTED = {
    "en": ("en.wikipedia", "desktop"),
    "en.m": ("en.wikipedia", "mobile"),
    "en.zero": ("en.wikipedia", "zero"),
    "de.d": ("de.wiktionary", "desktop"),
    "en.m.d": ("en.wiktionary", "mobile"),
    "en.zero.d": ("en.wiktionary", "zero"),
    "fr.voy": ("fr.wikivoyage", "desktop"),
    "en.m.voy": ("en.wikivoyage", "mobile"),
    "en.b": ("en.wikibooks", "desktop"),
    "en.n": ("en.wikinews", "desktop"),
    "en.q": ("en.wikiquote", "desktop"),
    "en.s": ("en.wikisource", "desktop"),
    "en.v": ("en.wikiversity", "desktop"),
    "foundation.f": ("foundation.wikimediafoundation", "desktop"),
    "commons.m": ("commons.wikimedia", "desktop"),
    "commons.m.m": ("commons.wikimedia", "mobile"),
    "meta.m": ("meta.wikimedia", "desktop"),
    "species.m.m": ("species.wikimedia", "mobile"),
    "www.wd": ("www.wikidata", "desktop"),
    "m.wd": ("www.wikidata", "mobile"),
    "www.w": ("www.mediawiki", "desktop"),
    "m.w": ("www.mediawiki", "mobile"),
    "zh-min-nan": ("zh-min-nan.wikipedia", "desktop"),
    "be-tarask.m": ("be-tarask.wikipedia", "mobile"),
    # not covered by the rules
    "en.wd": ("unknown", "unknown"),
    "www.m.wd": ("unknown", "unknown"),
    "www": ("unknown", "unknown"),
    "m": ("unknown", "unknown"),
    "www.d": ("unknown", "unknown"),
    "en.x": ("unknown", "unknown"),
    "en.m.m.m": ("unknown", "unknown"),
    "EN": ("unknown", "unknown"),
    "en.": ("unknown", "unknown"),
    ".m": ("unknown", "unknown"),
    "en..d": ("unknown", "unknown"),
}


@pytest.fixture(scope="module")
def mapped(spark):
    df = spark.createDataFrame([(code,) for code in EXPECTED], "domain_code string")
    return {r["domain_code"]: (r["project"], r["access_site"]) for r in with_project_and_access(df).collect()}


def test_each_code_maps_to_its_project_and_access_site(mapped):
    assert mapped == EXPECTED


def test_the_plain_python_reference_agrees_with_the_same_table():
    # The pageviews tests compare the job with this reference; it must encode the same rules.
    assert {code: project_and_access(code) for code in EXPECTED} == EXPECTED


def test_keeps_the_frame_and_adds_two_columns(spark):
    df = spark.createDataFrame([("en.m", "Main_Page", 3)], "domain_code string, t string, n long")
    out = with_project_and_access(df)
    assert out.columns == ["domain_code", "t", "n", "project", "access_site"]
