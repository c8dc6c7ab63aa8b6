import pytest

from wikilake_core import layout
from wikilake_core.datasets import TABLES
from wikilake_core.ddl import load_tables, parse_query, parse_table
from wikilake_core.errors import WikilakeError


def test_every_table_of_the_lake_has_exactly_one_ddl_file():
    assert sorted(load_tables()) == sorted(TABLES)


def test_ddl_locations_follow_the_lake_layout():
    for name, table in load_tables().items():
        assert table.prefix == f"{layout.PROCESSED}/{name}/"
        assert table.location("my-bucket") == f"s3://my-bucket/processed/{name}/"
        assert [c.name for c in table.partition_keys] == [layout.PARTITION_KEY]
        assert table.stored_as == "parquet"


def test_parse_table_reads_columns_and_types_in_order():
    table = parse_table(
        "-- Says what it is.\nCREATE EXTERNAL TABLE t (a bigint, B string, c timestamp)\n"
        "PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://${bucket}/processed/t/'"
    )
    assert [(c.name, c.type) for c in table.columns] == [("a", "bigint"), ("b", "string"), ("c", "timestamp")]
    assert table.description == "Says what it is."


def test_parse_table_refuses_a_query():
    with pytest.raises(WikilakeError, match="CREATE EXTERNAL TABLE"):
        parse_table("SELECT 1")


def test_parse_query_reads_parameters_in_order():
    query = parse_query("q", "-- What it answers.\n-- @param dt: the day\n-- @param n: how many\nSELECT ?, ?")
    assert [p.name for p in query.parameters] == ["dt", "n"]
    assert query.description == "What it answers."
