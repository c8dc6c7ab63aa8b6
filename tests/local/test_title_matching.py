"""most_viewed_articles_content matches percent-encoded pageviews titles to dump titles.

Runs the query's Athena SQL on DuckDB over a hand-made lake and compares each row with a
plain-Python reference (urllib's strict UTF-8 decoding, not the query's regular expression).
What stays untested here: Trino itself (no Athena in tests). Its url_decode is Java's
URLDecoder (trinodb/trino UrlFunctions.urlDecode): it fails the query on a bad escape and turns
bad UTF-8 into U+FFFD, and decodes `+` to a space; the query only calls it on titles the guard
lets through (valid escapes, well-formed UTF-8) with `+` re-escaped, where both decoders agree.
"""

from __future__ import annotations

import pytest
from local_helpers import write_partition
from local_reference import dump_title

from wikilake.local.query import LocalEngine
from wikilake.query_params import bind
from wikilake_core.ddl import load_queries

QUERY = load_queries()["most_viewed_articles_content"]
DT = "2024-03-15"
# Pageviews titles as real dumps write them: percent-encoded UTF-8 (upper and lower case hex),
# an encoded quote and percent sign, a cut-short sequence, a bare %, an encoded surrogate and an
# overlong form (both invalid UTF-8), `+` and raw UTF-8.
PAGEVIEWS_TITLES = (
    "Caf%C3%A9",
    "Caf%c3%a9_au_lait",
    "O%27Brien",
    "100%25_Pure",
    "%E2%82%AC",
    "Euro_%E2%82",
    "50%_off",
    "Surrogate_%ED%A0%80",
    "Overlong_%C0%AF",
    "Grinning_%F0%9F%98%80",
    "C++",
    "A%2BB",
    "Zürich",
    "Talk%3AApollo",
    "%5FUnder",
)
# Dump titles: what each of them means, plus the literal forms a wrong decoder would produce.
ARTICLE_TITLES = (
    "Café",
    "Café au lait",
    "O'Brien",
    "100% Pure",
    "€",
    "Euro %E2%82",
    "50% off",
    "Surrogate %ED%A0%80",
    "Overlong %C0%AF",
    "Grinning 😀",
    "C++",
    "C  ",
    "A+B",
    "Zürich",
    "Talk:Apollo",
    " Under",
    "Euro �",
)


@pytest.fixture(scope="module")
def title_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("titles") / "lake"
    page = {"domain_code": "en", "project": "en.wikipedia", "access_site": "desktop", "hours_seen": 1}
    write_partition(
        lake,
        "pageviews_daily",
        DT,
        [{**page, "page_title": t, "views": 1000 - i} for i, t in enumerate(PAGEVIEWS_TITLES)],
    )
    article = {"wiki": "enwiki", "namespace": 0, "redirect_title": None, "revision_id": 1, "links": 1, "categories": 1}
    write_partition(
        lake,
        "articles",
        DT,
        [{**article, "page_id": i, "title": t, "text_bytes": 100 + i} for i, t in enumerate(ARTICLE_TITLES)],
    )
    return lake


def test_the_reference_reads_the_real_looking_cases_as_intended():
    assert dump_title("Caf%C3%A9") == "Café"
    assert dump_title("O%27Brien") == "O'Brien"
    assert dump_title("100%25_Pure") == "100% Pure"
    assert dump_title("Euro_%E2%82") == "Euro %E2%82"
    assert dump_title("C++") == "C++"


def test_percent_encoded_titles_match_their_articles_and_invalid_ones_stay_as_they_are(title_lake):
    literals = bind(QUERY, [f"pageviews_dt={DT}", "project=en.wikipedia", f"articles_dt={DT}", "top_n=100"])
    with LocalEngine(title_lake) as engine:
        result = engine.run(QUERY, literals)
    text_bytes = {t: 100 + i for i, t in enumerate(ARTICLE_TITLES)}
    got = {row[1]: (row[3], row[5]) for row in result.rows}
    expected = {}
    for title in PAGEVIEWS_TITLES:
        article = dump_title(title)
        expected[title] = (article, text_bytes[article]) if article in text_bytes else (None, None)
    assert got == expected
    assert got["Caf%C3%A9"] == ("Café", text_bytes["Café"])
    assert got["Euro_%E2%82"] == ("Euro %E2%82", text_bytes["Euro %E2%82"])
    assert len(result.rows) == len(PAGEVIEWS_TITLES)
