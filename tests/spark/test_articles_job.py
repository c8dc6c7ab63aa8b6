"""The articles job against independent references: an xml.etree parse of the shipped sample
(every row of the three tables), hand-made pages with their expected rows written out for every
rule of the spec, multi-part and split input, and bad input."""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path

import articles_reference as reference
import pytest
from spark_helpers import ARTICLES_DT, ARTICLES_SAMPLE, run_rejected_dir, run_table_dir

from wikilake.local.runner import run_local
from wikilake_core.errors import JobError, WikilakeError

pytestmark = pytest.mark.spark

TABLES = ("articles", "article_links", "article_categories")


def rows(spark, lake: Path, table: str, dt: str = ARTICLES_DT) -> list[dict]:
    frame = spark.read.parquet(run_table_dir(lake, table, dt))
    return [r.asDict() for r in frame.collect()]


def as_counter(table_rows: list[dict]) -> Counter:
    return Counter(tuple(sorted(r.items())) for r in table_rows)


def written(spark, lake: Path, dt: str = ARTICLES_DT) -> dict[str, Counter]:
    return {t: as_counter(rows(spark, lake, t, dt)) for t in TABLES}


def expected(paths: list[Path]) -> dict[str, Counter]:
    articles, links, categories, _ = reference.tables(paths)
    return dict(zip(TABLES, map(as_counter, (articles, links, categories))))


def run(spark, lake: Path, inputs, dt: str = ARTICLES_DT) -> dict:
    from spark_jobs import articles

    args = articles.JOB.parse_args(["--date", dt, "--input", *map(str, inputs), "--output-root", str(lake)])
    return articles.JOB.run(spark, args)


# ---- the shipped sample ----------------------------------------------------------------------


def test_sample_matches_the_etree_reference_row_for_row(spark, articles_run):
    assert written(spark, articles_run.lake) == expected([ARTICLES_SAMPLE])


def test_sample_manifest(articles_run):
    m = articles_run.manifest
    assert (m["pages"], m["redirects"], m["rejected_records"]) == (206, 100, 0)
    assert m["pages_by_namespace"] == {"0": 205, "4": 1}
    assert m["rows_written"]["articles"] == 206
    assert m["siteinfo"][f"file:{ARTICLES_SAMPLE}"] == {"dbname": "enwiki", "case": "first-letter"}
    assert m["input_bytes"] == ARTICLES_SAMPLE.stat().st_size and m["records_per_second"] > 0


def test_big_bzip2_file_is_split_across_tasks_with_the_same_rows(spark, articles_run, tmp_path, monkeypatch):
    from spark_jobs import articles

    # The sample is 7 bzip2 blocks: splits of 256 KB make several tasks, each starting mid-file.
    monkeypatch.setattr(articles, "SPLIT_BYTES", 256 * 1024)
    manifest = run(spark, tmp_path / "lake", [ARTICLES_SAMPLE])
    assert manifest["input_splits"] >= 4
    assert written(spark, tmp_path / "lake") == written(spark, articles_run.lake)
    # The manifest's facts are tallied per split and added up.
    found = reference.occurrences([ARTICLES_SAMPLE])
    assert (manifest["link_occurrences"], manifest["category_occurrences"]) == (found["link"], found["category"])
    assert (manifest["pages"], manifest["redirects"]) == (206, 100)


# A rerun writes a run folder of its own (run=<run_id>, spark_jobs/job.py), never an earlier run's:
# what this checks is our layout, not Spark's, so on the default line only.
@pytest.mark.default_line_only
def test_rerun_is_idempotent(spark, articles_run, tmp_path):
    lake = Path(shutil.copytree(articles_run.lake, tmp_path / "lake"))
    second = run(spark, lake, [ARTICLES_SAMPLE])
    assert second["rows_written"] == articles_run.manifest["rows_written"]
    assert written(spark, lake) == written(spark, articles_run.lake)


# ---- hand-made pages: every rule -------------------------------------------------------------

SITEINFO = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="bg">
  <siteinfo>
    <sitename>Уикипедия</sitename>
    <dbname>bgwiki</dbname>
    <case>first-letter</case>
    <namespaces>
      <namespace key="-2" case="first-letter">Медия</namespace>
      <namespace key="0" case="first-letter" />
      <namespace key="6" case="first-letter">Файл</namespace>
      <namespace key="14" case="first-letter">Категория</namespace>
    </namespaces>
  </siteinfo>
"""

RULES_TEXT = "\n".join(
    [
        "&lt;!-- [[Hidden]]",
        "still hidden [[Category:Hidden]] --&gt; [[Target#Section|shown text]]",
        "&lt;nowiki&gt;[[Not a link]]&lt;/nowiki&gt; &lt;NoWiki&gt;[[Neither]]&lt;/NOWIKI&gt;",
        "[[File:Pic.jpg|thumb|A caption with [[nested_link]] inside]]",
        "[[Файл:Снимка.jpg|мини|[[Вложена]]]] [[Медия:Звук.ogg]] [[Image:Old.png]] [[media:x.ogg]]",
        "[[:Category:Shown as link]] [[:Файл:Видим.jpg]]",
        "[[Category:Sorted|Key here]] [[Category:Sorted|Second key]]",
        "[[Category:Empty key|]] [[ category : lower_case   name ]] [[Category:Keyed|a_b]]",
        "[[Категория:Местна]] [[категория:малка|к]] [[Category:Bad key|x [[y]]]]",
        "[[#Only section]] [[  spaced_out__title  ]] [[lower case]] [[wikt:foo]] [[Target]]",
        "[[bad",
        "newline]] [[a[b]] [[[[Inner]]]] [[Caf&#233;|café]] [[Tom &amp; Jerry]]",
        "[[&amp;#60;literal]] [[Euro &#8364; and &#x1F600;]] [[Unclosed",
    ]
)

RULES_PAGE = f"""  <page>
    <title>Правила &amp; тестове</title>
    <ns>0</ns>
    <id>1</id>
    <revision>
      <id>101</id>
      <parentid>100</parentid>
      <timestamp>2016-04-30T12:00:00Z</timestamp>
      <contributor><username>Редактор</username><id>7</id></contributor>
      <model>wikitext</model>
      <format>text/x-wiki</format>
      <text bytes="4321" xml:space="preserve">{RULES_TEXT}</text>
      <sha1>x</sha1>
    </revision>
  </page>
"""

OTHER_PAGES = """  <page>
    <title>Old &quot;name&quot;</title>
    <ns>0</ns>
    <id>2</id>
    <redirect title="New &amp; name" />
    <revision>
      <id>201</id>
      <timestamp>2015-01-02T03:04:05Z</timestamp>
      <contributor><ip>192.0.2.1</ip></contributor>
      <text xml:space="preserve">#REDIRECT [[New &amp; name]]</text>
    </revision>
  </page>
  <page>
    <title>Категория:Нещо</title>
    <ns>14</ns>
    <id>3</id>
    <revision>
      <id>301</id>
      <timestamp>2014-01-01T00:00:00Z</timestamp>
      <contributor deleted="deleted" />
      <text xml:space="preserve" />
    </revision>
  </page>
  <page>
    <title></title>
    <ns>0</ns>
    <id>4</id>
    <revision><id>401</id><text xml:space="preserve">no title</text></revision>
  </page>
  <page>
    <title>Unclosed ns</title>
    <ns>0
    <id>5</id>
    <revision><id>501</id><text xml:space="preserve">x</text></revision>
  </page>
  <page>
    <title>No id</title>
    <ns>0</ns>
    <revision><id>601</id><text xml:space="preserve">x</text></revision>
  </page>
  <page>
    <title>Raw less-than</title>
    <ns>0</ns>
    <id>7</id>
    <revision><id>701</id><text xml:space="preserve">a < b</text></revision>
  </page>
  <page>
    <title>Bad entity</title>
    <ns>0</ns>
    <id>8</id>
    <revision><id>801</id><text xml:space="preserve">&bogus; [[X]]</text></revision>
  </page>
  <page>
    <title>Bad ns</title>
    <ns>zero</ns>
    <id>9</id>
    <revision><id>901</id><text xml:space="preserve">x</text></revision>
  </page>
"""


def export(path: Path, pages: str) -> Path:
    xml = SITEINFO + pages + "</mediawiki>\n"
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix, open)
    with opener(path, "wt", encoding="utf-8") as f:
        f.write(xml)
    return path


@pytest.fixture(scope="module")
def rules_run(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("rules")
    path = export(base / "bgwiki-20160501-pages-articles.xml", RULES_PAGE + OTHER_PAGES)
    return base / "lake", run(spark, base / "lake", [path]), path


def test_links_of_the_rules_page(spark, rules_run):
    lake, _, _ = rules_run
    links = {r["target"]: r["occurrences"] for r in rows(spark, lake, "article_links") if r["page_id"] == 1}
    assert links == {
        "Target": 2,  # [[Target#Section|..]] and [[Target]]
        "Nested link": 1,  # inside a File caption; _ -> space, first letter up
        "Вложена": 1,  # inside a localized Файл caption
        "Category:Shown as link": 1,  # leading colon: a link, prefix kept
        "Файл:Видим.jpg": 1,
        "Spaced out title": 1,  # trimmed, whitespace runs collapsed
        "Lower case": 1,
        "Wikt:foo": 1,  # interwiki prefix kept as written
        "Inner": 1,  # [[[[Inner]]]]: the last [[ starts the link
        "Café": 1,  # character reference unescaped
        "Tom & Jerry": 1,
        "&": 1,  # &amp;#60; is the text "&#60;" (not "<"), cut at the #
        "Y": 1,  # [[y]] inside [[Category:Bad key|x [[y]]]]
        "Euro € and 😀": 1,  # 3- and 4-byte character references
    }


def test_categories_of_the_rules_page(spark, rules_run):
    lake, _, _ = rules_run
    categories = {r["category"]: r["sort_key"] for r in rows(spark, lake, "article_categories") if r["page_id"] == 1}
    assert categories == {
        "Sorted": "Key here",  # repeated: the first sort key
        "Empty key": "",
        "Lower case name": None,  # prefix case-insensitive, name normalized
        "Keyed": "a_b",  # sort key as is
        "Местна": None,  # localized namespace 14
        "Малка": "к",  # localized, lower case prefix
        "Bad key": None,  # key text holds [ -> null
    }


PAGE_CANDIDATES_SCHEMA = (
    "wiki string, page_id bigint, link_targets array<string>,"
    " category_entries array<struct<category: string, sort_key: string>>"
)


def test_links_and_categories_are_counted_within_each_page(spark):
    """The two transforms on small frames: a page's candidates in any order, repeated or not, none,
    and two pages sharing targets (each counted on its own page)."""
    from spark_jobs import articles

    pages = spark.createDataFrame(
        [
            ("w", 1, ["B", "A", "B", "C", "B", "A"], [("X", "k1"), ("Y", None), ("X", "k2")]),
            ("w", 2, ["B"], [("Y", "k3")]),
            ("w", 3, [], []),
            ("w", 4, ["Z", "Z", "Z"], [("X", None), ("X", "k4")]),
        ],
        PAGE_CANDIDATES_SCHEMA,
    )
    links = sorted(tuple(r) for r in articles.links_table(pages).collect())
    assert links == [("w", 1, "A", 2), ("w", 1, "B", 3), ("w", 1, "C", 1), ("w", 2, "B", 1), ("w", 4, "Z", 3)]
    categories = sorted(tuple(r) for r in articles.categories_table(pages).collect())
    assert categories == [("w", 1, "X", "k1"), ("w", 1, "Y", None), ("w", 2, "Y", "k3"), ("w", 4, "X", None)]


def test_articles_rows_of_the_hand_made_pages(spark, rules_run):
    lake, _, _ = rules_run
    by_id = {r["page_id"]: r for r in rows(spark, lake, "articles")}
    assert set(by_id) == {1, 2, 3}
    assert by_id[1] == {
        "wiki": "bgwiki",
        "page_id": 1,
        "namespace": 0,
        "title": "Правила & тестове",
        "redirect_title": None,
        "revision_id": 101,
        "revision_timestamp": datetime(2016, 4, 30, 12, 0, 0),
        "contributor": "Редактор",
        "text_bytes": 4321,
        "links": 14,
        "categories": 7,
    }
    assert (by_id[2]["title"], by_id[2]["redirect_title"], by_id[2]["contributor"]) == (
        'Old "name"',
        "New & name",
        "192.0.2.1",
    )
    assert by_id[2]["text_bytes"] == len(b"#REDIRECT [[New & name]]")
    assert (by_id[3]["namespace"], by_id[3]["contributor"], by_id[3]["text_bytes"], by_id[3]["links"]) == (
        14,
        None,
        0,
        0,
    )


def test_bad_pages_are_rejected_with_their_reason(spark, rules_run):
    lake, manifest, path = rules_run
    assert manifest["rejected_by_reason"] == {
        "malformed XML": 3,
        "missing title": 1,
        "missing or invalid id": 1,
        "missing or invalid ns": 1,
    }
    with gzip.open(next(Path(run_rejected_dir(lake, "articles", ARTICLES_DT)).glob("*.json.gz")), "rt") as f:
        rejected = [json.loads(line) for line in f]
    assert all(r["source_file"].endswith(path.name) and r["line"].startswith("<page>") for r in rejected)
    assert any("<title>Bad entity</title>" in r["line"] and r["reason"] == "malformed XML" for r in rejected)


def test_hand_made_pages_match_the_reference(spark, rules_run):
    lake, manifest, path = rules_run
    assert written(spark, lake) == expected([path])
    assert dict(reference.tables([path])[3]) == manifest["rejected_by_reason"]


def test_two_part_dump_equals_the_whole(spark, rules_run, tmp_path):
    lake, _, _ = rules_run
    export(tmp_path / "bgwiki-20160501-pages-articles1.xml-p1p1.bz2", RULES_PAGE)
    export(tmp_path / "bgwiki-20160501-pages-articles2.xml-p2p9.gz", OTHER_PAGES)
    manifest = run(spark, tmp_path / "lake", [str(tmp_path / "*pages-articles*")])
    assert len(manifest["input_files"]) == 2 and len(manifest["siteinfo"]) == 2
    assert written(spark, tmp_path / "lake") == written(spark, lake)


# ---- XML end-of-line handling (XML 1.0 sections 2.11 and 3.3.3) -------------------------------

# CR LF and lone CR in text (no bytes attribute, so text_bytes is measured), titles, an attribute
# value and a contributor name; a tab in an attribute value; a character reference &#13; that
# stays a CR (references are not line ends).
CR_PAGES = (
    "  <page>\r\n    <title>Two\r\nlines</title>\r\n    <ns>0</ns>\r\n    <id>21</id>\r\n"
    '    <redirect title="Line\r\nend\ttab\rcr" />\r\n'
    "    <revision><id>2101</id><timestamp>2016-04-30T12:00:00Z</timestamp>"
    "<contributor><username>Ed\r\nitor</username></contributor>"
    '<text xml:space="preserve">first [[A\r\nB]]\r\nsecond\r\n\r\n[[Category:C\rD|key\r\nx]]'
    " [[Lone\rcr]] [[Ref&#13;cr]]\r</text></revision>\r\n  </page>\r\n"
    "  <page>\r    <title>Lone\rcarriage</title>\r    <ns>0</ns>\r    <id>22</id>\r"
    '    <revision><id>2201</id><text xml:space="preserve">a\rb\r\nc</text></revision>\r  </page>\r'
)


def test_line_ends_are_read_as_an_xml_parser_reads_them(spark, tmp_path):
    path = tmp_path / "bgwiki-20160501-pages-articles.xml"
    with path.open("w", encoding="utf-8", newline="") as f:  # newline="": the CRs stay in the file
        f.write(SITEINFO.replace("\n", "\r\n") + CR_PAGES + "</mediawiki>\r\n")
    assert b"\r\n" in path.read_bytes() and b"\r " in path.read_bytes()
    manifest = run(spark, tmp_path / "lake", [path])
    assert manifest["rejected_records"] == 0
    assert written(spark, tmp_path / "lake") == expected([path])
    by_id = {r["page_id"]: r for r in rows(spark, tmp_path / "lake", "articles")}
    assert (by_id[21]["title"], by_id[21]["redirect_title"], by_id[21]["contributor"]) == (
        "Two\nlines",
        "Line end tab cr",
        "Ed\nitor",
    )
    text_21 = "first [[A\nB]]\nsecond\n\n[[Category:C\nD|key\nx]] [[Lone\ncr]] [[Ref\rcr]]\n"
    assert by_id[21]["text_bytes"] == len(text_21.encode())
    assert (by_id[22]["title"], by_id[22]["text_bytes"]) == ("Lone\ncarriage", len(b"a\nb\nc"))


# Unicode line and paragraph separators (U+2028, U+2029) and NEL (U+0085) are not whitespace (the
# spec's whitespace is ASCII): a target keeps them, and the space before one at its end, and a
# category name holds them like any other character. (Java's regex $ and . treat them as line
# ends: the job's rules are plain string functions, so they do not.)
SEPARATOR_PAGE = (
    "  <page>\n    <title>Separators</title>\n    <ns>0</ns>\n    <id>31</id>\n"
    '    <revision><id>3101</id><text xml:space="preserve">[[Ends in \u2028]] [[Para\u2029graph]]'
    " [[Next \u0085]] [[Category:Sep:a\u2028b|key\u2028]]</text></revision>\n  </page>\n"
)


def test_unicode_line_separators_are_not_whitespace(spark, tmp_path):
    path = export(tmp_path / "bgwiki-20160501-pages-articles.xml", SEPARATOR_PAGE)
    run(spark, tmp_path / "lake", [path])
    assert written(spark, tmp_path / "lake") == expected([path])
    links = {r["target"] for r in rows(spark, tmp_path / "lake", "article_links")}
    assert links == {"Ends in \u2028", "Para\u2029graph", "Next \u0085"}
    categories = [(r["category"], r["sort_key"]) for r in rows(spark, tmp_path / "lake", "article_categories")]
    assert categories == [("Sep:a\u2028b", "key\u2028")]


# ---- bad input -------------------------------------------------------------------------------


def test_truncated_bzip2_fails_naming_the_file_and_writes_nothing(spark, tmp_path):
    data = ARTICLES_SAMPLE.read_bytes()
    broken = tmp_path / "enwiki-20160501-pages-articles.xml.bz2"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(WikilakeError) as err:
        run_local("articles", ARTICLES_DT, str(broken), lake=str(tmp_path / "lake"), spark=spark)
    message = str(err.value)
    assert len(message.splitlines()) == 1 and str(broken) in message and "truncated" in message
    assert not (tmp_path / "lake").exists()


def test_not_an_export_is_refused_before_anything_is_written(spark, tmp_path):
    text = tmp_path / "notes.xml"
    text.write_text("just some text, not XML\n" * 100)
    with pytest.raises(JobError, match="notes.xml is not a MediaWiki export"):
        run(spark, tmp_path / "lake", [text])
    other = tmp_path / "data.json.gz"
    other.write_bytes(gzip.compress(b'{"a": 1}\n'))
    with pytest.raises(JobError, match="data.json.gz is not a MediaWiki XML export"):
        run(spark, tmp_path / "lake", [other])
    assert not (tmp_path / "lake").exists()


def test_input_that_matches_nothing_is_an_error(spark, tmp_path):
    with pytest.raises(JobError, match="no input files match"):
        run(spark, tmp_path / "lake", [tmp_path / "enwiki-*-pages-articles*.xml.bz2"])


def test_files_of_different_wikis_each_use_their_own_siteinfo(spark, rules_run, articles_run, tmp_path):
    _, _, rules_file = rules_run
    run(spark, tmp_path / "lake", [ARTICLES_SAMPLE, rules_file])
    both = written(spark, tmp_path / "lake")
    alone = [written(spark, articles_run.lake), written(spark, rules_run[0])]
    assert both == {t: alone[0][t] + alone[1][t] for t in TABLES}
