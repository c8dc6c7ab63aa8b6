import pytest

from wikilake_core import layout
from wikilake_core.datasets import DATASETS, TABLES
from wikilake_core.ddl import load_tables, parse_query, parse_table
from wikilake_core.errors import WikilakeError
from wikilake_core.run_history import HISTORY_TABLES


def test_every_table_of_the_lake_has_exactly_one_ddl_file():
    assert sorted(load_tables()) == sorted(TABLES + HISTORY_TABLES)


def test_ddl_locations_follow_the_lake_layout():
    for name, table in load_tables().items():
        if name in HISTORY_TABLES:
            continue
        assert table.prefix == f"{layout.PROCESSED}/{name}/"
        assert table.location("my-bucket") == f"s3://my-bucket/processed/{name}/"
        assert [c.name for c in table.partition_keys] == [layout.PARTITION_KEY]
        assert table.stored_as == "parquet"


def test_history_tables_are_one_line_json_under_their_folder_per_dataset_and_dt():
    """runs over manifests/<dataset>/dt=<dt>/, quality over quality/<dataset>/dt=<dt>/ (the
    folders the record function and `wikilake local run` write), read with the Hive JSON SerDe."""
    tables = load_tables()
    for name, folder in (("runs", layout.MANIFESTS), ("quality", layout.QUALITY)):
        table = tables[name]
        assert table.prefix == f"{folder}/"
        assert [c.name for c in table.partition_keys] == ["dataset", layout.PARTITION_KEY]
        assert table.partition_template == f"{folder}/${{dataset}}/dt=${{dt}}/"
        assert (table.stored_as, table.serde) == ("textfile", "org.apache.hive.hcatalog.data.JsonSerDe")
    manifest = layout.manifest_path("s3://b", DATASETS[0], "2024-03-15")
    template = "s3://b/" + tables["runs"].partition_template
    assert manifest.rsplit("/", 1)[0] + "/" == template.replace("${dataset}", DATASETS[0]).replace(
        "${dt}", "2024-03-15"
    )
    assert {c.type for c in tables["runs"].columns} >= {"map<string,bigint>"}


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
