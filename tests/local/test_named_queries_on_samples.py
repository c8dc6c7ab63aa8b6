"""Every named query, run on DuckDB over the lake the PySpark jobs made from the shipped samples,
equals the plain-Python answer computed from the raw sample files (local_reference).

On the default Spark line only: the queries are DuckDB's (Athena's on AWS) over the jobs' Parquet,
and what another Spark line could change in that Parquet is held on every line by tests/spark: the
rows (each job against its plain-Python reference) and the columns and types (test_contract)."""

import local_reference as reference
import pytest
from local_helpers import EXPECTED_DUCKDB_TYPES, view_columns

from wikilake.local import demo_history
from wikilake.local.demo import sample_days
from wikilake.local.query import LocalEngine
from wikilake.query_params import bind
from wikilake_core import datasets
from wikilake_core.ddl import load_queries
from wikilake_core.run_history import HISTORY_TABLES

pytestmark = [pytest.mark.spark, pytest.mark.default_line_only]

QUERIES = load_queries()
DAYS = {day.dataset: day for day in sample_days()}
EDITS_DT, PAGEVIEWS_DT = DAYS["edits"].dt, DAYS["pageviews"].dt
EVERYTHING = "top_n=100000"


@pytest.fixture(scope="module")
def events():
    return reference.edit_events(DAYS["edits"].inputs[0])


@pytest.fixture(scope="module")
def lines():
    return list(reference.pageview_lines(list(DAYS["pageviews"].inputs)))


def run(lake, name, *params):
    query = QUERIES[name]
    with LocalEngine(lake) as engine:
        return engine.run(query, bind(query, list(params)))


def assert_rows_equal(actual, expected, pct_columns=()):
    """Exact equality, except percentages: SQL rounds them to one decimal."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            if i in pct_columns:
                assert g == pytest.approx(w, abs=0.05 + 1e-9), (got, want)
            else:
                assert g == w, (got, want)


def test_the_samples_are_not_trivial(events, lines):
    assert len(events) == 39244
    assert len({code for _, code, _, _ in lines}) > 20 and len({h for h, _, _, _ in lines}) == 24


@pytest.mark.parametrize("top_n", ["top_n=10", EVERYTHING])
def test_top_channels(sample_lake, events, top_n):
    result = run(sample_lake, "top_channels", f"dt={EDITS_DT}", top_n)
    n = int(top_n.split("=")[1])
    assert_rows_equal(result.rows, reference.top_channels(events, n), pct_columns=(5,))


@pytest.mark.parametrize("top_n", ["top_n=10", EVERYTHING])
def test_us_human_edits_top_pages(sample_lake, events, top_n):
    result = run(sample_lake, "us_human_edits_top_pages", f"dt={EDITS_DT}", top_n)
    n = int(top_n.split("=")[1])
    assert result.rows == tuple(reference.us_human_edits_top_pages(events, n))


@pytest.mark.parametrize(
    "project, access_site, articles_only",
    [
        ("en.wikipedia", "all", "true"),
        ("en.wikipedia", "mobile", "true"),
        ("en.wikipedia", "desktop", "false"),
        ("de.wikipedia", "all", "true"),
        ("commons.wikimedia", "all", "false"),
        ("www.wikidata", "mobile", "false"),
    ],
)
def test_top_pages(sample_lake, lines, project, access_site, articles_only):
    result = run(sample_lake, "top_pages", PAGEVIEWS_DT, project, access_site, articles_only, "50")
    expected = reference.top_pages(lines, project, access_site, articles_only == "true", 50)
    assert expected, "the reference found nothing: pick a project the sample has"
    assert result.rows == tuple(expected)


@pytest.mark.parametrize("project", ["en.wikipedia", "ja.wikipedia", "en.wiktionary", "www.wikidata"])
def test_project_traffic_by_hour(sample_lake, lines, project):
    result = run(sample_lake, "project_traffic_by_hour", PAGEVIEWS_DT, project)
    expected = reference.project_traffic_by_hour(lines, project)
    assert expected
    assert result.rows == tuple(expected)


@pytest.mark.parametrize("top_n", ["top_n=15", EVERYTHING])
def test_mobile_share(sample_lake, lines, top_n):
    result = run(sample_lake, "mobile_share", f"dt={PAGEVIEWS_DT}", top_n)
    n = int(top_n.split("=")[1])
    assert_rows_equal(result.rows, reference.mobile_share(lines, n), pct_columns=(2, 3))


def test_views_over_spark_output_have_the_ddl_columns(sample_lake):
    # Spark's own Parquet (INT96 timestamps, int vs bigint, zstd) read through the DDL's lens.
    with LocalEngine(sample_lake) as engine:
        for name, table in engine.tables.items():
            expected = [(c.name, EXPECTED_DUCKDB_TYPES[c.type]) for c in table.columns + table.partition_keys]
            assert view_columns(engine, name) == expected
            # the run history: one manifest (and quality file) per day of every dataset
            dataset_days = DAYS if name in HISTORY_TABLES else [dataset_of(name)]
            assert engine.partitions(name) == sorted(dt for dataset in dataset_days for dt in lake_days(dataset))


def lake_days(dataset: str) -> list[str]:
    """The dts of a dataset in the demo's lake: its sample day, and for pageviews the days the demo
    generates after it."""
    generated = [day.dt for day in demo_history.DAYS] if dataset == demo_history.DATASET else []
    return [DAYS[dataset].dt, *generated]


def dataset_of(table):
    return datasets.of_table(table).name


@pytest.mark.parametrize("top_n", ["top_n=10", "top_n=300"])
def test_most_viewed_articles_content(sample_lake, lines, top_n):
    pages = reference.dump_redirects(DAYS["articles"].inputs[0])
    params = [f"pageviews_dt={PAGEVIEWS_DT}", "project=en.wikipedia", f"articles_dt={DAYS['articles'].dt}", top_n]
    result = run(sample_lake, "most_viewed_articles_content", *params)
    expected = reference.most_viewed_articles(lines, pages, "en.wikipedia", int(top_n.split("=")[1]))
    assert [row[:4] for row in result.rows] == expected
    assert sum(row[3] is not None for row in expected) >= 5
