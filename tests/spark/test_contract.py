"""Contract: the Parquet each job writes has exactly its DDL's columns, in order, with its types."""

from __future__ import annotations

import difflib

import pytest
from pyspark.sql import types as T
from spark_helpers import ARTICLES_DT, EDITS_DT, PAGEVIEWS_DT, run_table_dir

from wikilake_core import datasets
from wikilake_core.ddl import load_tables
from wikilake_core.run_history import HISTORY_TABLES

pytestmark = pytest.mark.spark

# The one place Hive/Glue column types meet Spark's: what each DDL type must be in the Parquet.
HIVE_TO_SPARK = {
    "string": T.StringType(),
    "bigint": T.LongType(),
    "int": T.IntegerType(),
    "smallint": T.ShortType(),
    "tinyint": T.ByteType(),
    "boolean": T.BooleanType(),
    "double": T.DoubleType(),
    "float": T.FloatType(),
    "timestamp": T.TimestampType(),
    "date": T.DateType(),
}


def spark_type(hive_type: str) -> T.DataType:
    if hive_type not in HIVE_TO_SPARK:
        raise AssertionError(f"DDL type {hive_type!r} has no Spark mapping in HIVE_TO_SPARK")
    return HIVE_TO_SPARK[hive_type]


def schema_lines(fields) -> list[str]:
    return [f"{name} {data_type.simpleString()}" for name, data_type in fields]


def drift(table: str, expected: list[str], actual: list[str]) -> str:
    return "\n".join(
        difflib.unified_diff(expected, actual, f"{table} (DDL)", f"{table} (Parquet written by the job)", lineterm="")
    )


def test_every_table_matches_its_ddl(spark, edits_run, pageviews_run, articles_run):
    runs = {
        "edits": (edits_run.lake, EDITS_DT),
        "pageviews": (pageviews_run.lake, PAGEVIEWS_DT),
        "articles": (articles_run.lake, ARTICLES_DT),
    }
    problems = []
    for name, ddl in job_tables().items():
        dataset = datasets.of_table(name).name
        lake, dt = runs[dataset]
        written = spark.read.parquet(run_table_dir(lake, name, dt)).schema
        expected = schema_lines((c.name, spark_type(c.type)) for c in ddl.columns)
        actual = schema_lines((f.name, f.dataType) for f in written.fields)
        if expected != actual:
            problems.append(drift(name, expected, actual))
    assert not problems, "job output drifted from the DDL:\n" + "\n\n".join(problems)


def test_drift_is_reported_as_a_readable_diff():
    text = drift("t", ["a bigint", "b string"], ["a int", "b string", "c string"])
    assert "-a bigint" in text and "+a int" in text and "+c string" in text


def test_every_ddl_type_has_a_spark_mapping():
    for table in job_tables().values():
        for column in (*table.columns, *table.partition_keys):
            spark_type(column.type)


def job_tables() -> dict:
    """The tables the jobs write (the run history's JSON: tests/unit/test_history_contract.py)."""
    return {name: ddl for name, ddl in load_tables().items() if name not in HISTORY_TABLES}
