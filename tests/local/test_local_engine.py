from datetime import datetime, timezone

import duckdb
import pytest
from local_helpers import EXPECTED_DUCKDB_TYPES, view_columns, write_partition

from wikilake.local.query import LocalEngine, duckdb_type
from wikilake.query_params import bind, placeholders, substitute
from wikilake_core.ddl import load_queries, load_tables
from wikilake_core.errors import WikilakeError

TABLES = load_tables()
QUERIES = load_queries()


def ddl_columns(table):
    t = TABLES[table]
    return [(c.name, EXPECTED_DUCKDB_TYPES[c.type]) for c in t.columns + t.partition_keys]


def test_every_ddl_type_maps_to_the_expected_duckdb_type():
    for table in TABLES.values():
        for column in table.columns + table.partition_keys:
            resolved = duckdb.sql(f"SELECT CAST(NULL AS {duckdb_type(column.type)}) AS c").types[0]
            assert str(resolved) == EXPECTED_DUCKDB_TYPES[column.type]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_view_columns_equal_the_ddl_columns(tiny_lake, table):
    with LocalEngine(tiny_lake) as engine:
        assert view_columns(engine, table) == ddl_columns(table)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_table_without_files_is_an_empty_view_of_the_same_shape(tmp_path, table):
    with LocalEngine(tmp_path / "empty-lake") as engine:
        assert view_columns(engine, table) == ddl_columns(table)
        assert engine.execute(f"SELECT count(*) AS n FROM {table}").rows == ((0,),)


def test_views_select_ddl_columns_whatever_the_file_column_order(tmp_path):
    folder = tmp_path / "processed" / "edits_by_channel" / "dt=2015-09-12"
    folder.mkdir(parents=True)
    columns = [c.name for c in TABLES["edits_by_channel"].columns]
    shuffled = ", ".join(f"{i}::INTEGER AS {name}" for i, name in reversed(list(enumerate(columns[1:], 1))))
    duckdb.sql(
        f"COPY (SELECT {shuffled}, 'x' AS channel, 'extra' AS not_in_ddl) TO '{folder}/part-0.parquet' (FORMAT parquet)"
    )
    with LocalEngine(tmp_path) as engine:
        assert view_columns(engine, "edits_by_channel") == ddl_columns("edits_by_channel")
        row = engine.execute("SELECT * FROM edits_by_channel").rows[0]
    assert row == ("x", *range(1, len(columns)), "2015-09-12")


def test_spark_side_files_and_folders_are_ignored(tiny_lake):
    partition = tiny_lake / "processed" / "edits_by_channel" / "dt=2015-09-12"
    (partition / "_SUCCESS").write_text("")
    (partition / ".part-00000.parquet.crc").write_bytes(b"crc")
    (partition / ".hidden.parquet").write_bytes(b"not parquet")
    (tiny_lake / "processed" / "edits_by_channel" / "_temporary").mkdir()
    (tiny_lake / "processed" / "edits_by_channel" / "_temporary" / "x.parquet").write_bytes(b"junk")
    with LocalEngine(tiny_lake) as engine:
        assert engine.execute("SELECT count(*) AS n FROM edits_by_channel").rows == ((4,),)


def test_partitions_are_read_from_the_folders(tiny_lake):
    write_partition(tiny_lake, "edits_by_channel", "2015-09-13", [])
    with LocalEngine(tiny_lake) as engine:
        assert engine.partitions("edits_by_channel") == ["2015-09-12", "2015-09-13"]
        assert engine.partitions("edits") == ["2015-09-12"]


def test_files_that_miss_a_ddl_column_are_a_clear_error(tmp_path):
    folder = tmp_path / "processed" / "edits_by_channel" / "dt=2015-09-12"
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 'x' AS channel) TO '{folder}/part-0.parquet' (FORMAT parquet)")
    with pytest.raises(WikilakeError, match="do not match athena_ddl/tables/edits_by_channel.sql"):
        LocalEngine(tmp_path)


def test_trino_integer_division_survives_translation(tiny_lake):
    with LocalEngine(tiny_lake) as engine:
        rows = engine.execute(
            "SELECT edits / 2 AS half, CAST(edits AS double) / 2 AS exact FROM edits_by_channel "
            "WHERE channel = '#en.wikipedia'"
        ).rows
    assert rows == ((3, 3.5),)


def test_utc_instants_come_back_as_utc_timestamps(tmp_path):
    # Spark writes timestamps as UTC instants (TIMESTAMP WITH TIME ZONE in Parquet terms); the
    # DDL's timestamp is the UTC wall time, as in Athena, whatever the machine's time zone.
    instant = datetime(2015, 9, 12, 23, 30, tzinfo=timezone.utc)
    write_partition(
        tmp_path,
        "edits",
        "2015-09-12",
        [{"event_time": instant, "page": "p"}],
        types={"event_time": "TIMESTAMP WITH TIME ZONE"},
    )
    with LocalEngine(tmp_path) as engine:
        assert engine.connection.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
        rows = engine.execute("SELECT event_time, hour(event_time) AS h FROM edits").rows
    assert rows == ((datetime(2015, 9, 12, 23, 30), 23),)


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELEC 1", "SQL error"),
        ("SELECT nope FROM edits", "SQL error: Column 'nope' could not be resolved"),
        ("SELECT * FROM pageviews", "unknown table pageviews; tables: article_categories, "),
        ("SELECT 1; SELECT 2", "exactly one SELECT"),
        ("DROP TABLE edits", "exactly one SELECT"),
        ("SELECT CAST('x' AS bigint) FROM edits_by_channel", "SQL error \\(DuckDB\\)"),
    ],
)
def test_sql_errors_are_one_line(tiny_lake, sql, message):
    with LocalEngine(tiny_lake) as engine, pytest.raises(WikilakeError, match=message) as err:
        engine.execute(sql)
    assert "\n" not in str(err.value)


def test_a_named_query_without_data_for_its_dt_says_so(tiny_lake):
    query = QUERIES["top_pages"]
    with LocalEngine(tiny_lake) as engine, pytest.raises(WikilakeError) as err:
        engine.run(query, bind(query, ["2015-09-13", "en.wikipedia"]))
    assert str(err.value) == (
        f"no data for dt=2015-09-13 in {tiny_lake}/processed/pageviews_daily (has: 2015-09-12); "
        "run `wikilake local run pageviews --date 2015-09-13 --input ...` first"
    )


def test_an_empty_lake_says_it_has_no_partitions(tmp_path):
    query = QUERIES["top_channels"]
    with LocalEngine(tmp_path) as engine, pytest.raises(WikilakeError, match="has: no partitions"):
        engine.run(query, bind(query, ["2015-09-12"]))


def run(lake, name, *params):
    query = QUERIES[name]
    with LocalEngine(lake) as engine:
        return engine.run(query, bind(query, list(params)))


def test_top_channels_ranks_by_edits_then_name(tiny_lake):
    result = run(tiny_lake, "top_channels", "2015-09-12", "top_n=3")
    assert [r[:6] for r in result.rows] == [
        (1, "#en.wikipedia", 7, 4, 3, 42.9),
        (2, "#de.wikipedia", 5, 5, 0, 0.0),
        (3, "#fr.wikipedia", 5, 4, 1, 20.0),
    ]


def test_us_human_edits_top_pages_counts_edits_and_editors(tiny_lake):
    result = run(tiny_lake, "us_human_edits_top_pages", "dt=2015-09-12")
    assert result.columns[:5] == ("rank", "page", "channel", "edits", "editors")
    assert [r[:5] for r in result.rows] == [
        (1, "Apollo", "#en.wikipedia", 3, 2),
        (2, "Apollo", "#de.wikipedia", 1, 1),
        (3, "Zeus", "#en.wikipedia", 1, 1),
    ]


def test_top_pages_optional_filters(tiny_lake):
    articles = run(tiny_lake, "top_pages", "2015-09-12", "en.wikipedia")
    assert [r[1:] for r in articles.rows] == [("Apollo", 120, 50, 70), ("Zeus", 100, 100, 0)]
    everything = run(tiny_lake, "top_pages", "2015-09-12", "en.wikipedia", "articles_only=false")
    assert [r[1] for r in everything.rows] == [
        "Main_Page",
        "Special:Search",
        "-",
        "Apollo",
        "Zeus",
        "User_talk:Someone",
    ]
    mobile = run(tiny_lake, "top_pages", "2015-09-12", "en.wikipedia", "access_site=mobile")
    assert [r[1:] for r in mobile.rows] == [("Apollo", 70, 0, 70)]
    top_one = run(tiny_lake, "top_pages", "2015-09-12", "en.wikipedia", "top_n=1")
    assert len(top_one.rows) == 1


def test_project_traffic_by_hour(tiny_lake):
    result = run(tiny_lake, "project_traffic_by_hour", "2015-09-12", "en.wikipedia")
    assert result.rows == ((0, 100, 30, 70), (1, 15, 10, 5))


def test_mobile_share_leaves_out_unknown_codes(tiny_lake):
    result = run(tiny_lake, "mobile_share", "2015-09-12")
    assert result.rows == (
        (1, "de.wikipedia", 0.0, 100.0, 900, 0, 900),
        (2, "en.wikipedia", 65.2, 34.8, 115, 75, 40),
    )


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_named_query_translates_and_the_duckdb_sql_runs(tiny_lake, name):
    query = QUERIES[name]
    sql = substitute(query.sql, list(bind(query, demo_values(query)).values()))
    with LocalEngine(tiny_lake) as engine:
        duckdb_sql = engine.translate(sql)
        assert placeholders(duckdb_sql) == [] and "REGEXP_LIKE" not in duckdb_sql.upper()
        rows = engine.connection.execute(duckdb_sql).fetchall()
    assert rows, f"{name} found nothing in the tiny lake"


def demo_values(query):
    values = {
        "dt": "2015-09-12",
        "pageviews_dt": "2015-09-12",
        "articles_dt": "2015-09-12",
        "project": "en.wikipedia",
        "table_name": "edits",  # rows_trend: the tiny lake's run history is one edits run
    }
    return [f"{p.name}={values[p.name]}" for p in query.parameters if p.name in values]
