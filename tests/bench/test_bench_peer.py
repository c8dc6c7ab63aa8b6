"""The DuckDB peer computes the job's tables: checked against plain Python over the real sample and
against the job's own domain-code rules."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import duckdb
import pytest

from bench import peer
from wikilake_core.ddl import load_tables
from wikilake_core.paths import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "wikiticker-2015-09-12-sampled.json.gz"
TRICKY_CODES = (
    "en",
    "en.m",
    "en.zero",
    "de.d",
    "en.m.d",
    "fr.voy",
    "en.m.voy",
    "commons.m",
    "commons.m.m",
    "meta.m",
    "www.wd",
    "m.wd",
    "www.w",
    "m.w",
    "foundation.f",
    "foundation.m.f",
    "zh-min-nan",
    "be-tarask.m",
    "www",
    "m",
    "wd",
    "en.m.m.m",
    "en.xyz",
    "EN",
    "en..d",
    "m.d",
    "www.d",
    "commons.zero.m",
    "en.zero.d",
)


@pytest.fixture(scope="module")
def edits_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("peer")
    rows = peer.run("edits", "2015-09-12", str(SAMPLE), out)
    return out, rows


def read_table(out, table):
    with duckdb.connect() as con:
        return con.execute(
            f"SELECT * FROM read_parquet('{out}/processed/{table}/dt=2015-09-12/*.parquet', hive_partitioning = false)"
        ).fetchall(), [c[0] for c in con.description]


def test_edits_tables_equal_a_plain_python_reference(edits_out):
    out, rows = edits_out
    with gzip.open(SAMPLE, "rt") as sample:
        events = [json.loads(line) for line in sample if line.strip()]
    us_humans = [e for e in events if e["isRobot"] is False and e["countryName"] == "United States"]
    per_channel = Counter(e["channel"] for e in events)
    assert rows == {"edits": len(events), "edits_filtered": len(us_humans), "edits_by_channel": len(per_channel)}

    by_channel, columns = read_table(out, "edits_by_channel")
    got = {row[0]: dict(zip(columns, row)) for row in by_channel}
    for channel, count in per_channel.items():
        mine = [e for e in events if e["channel"] == channel]
        assert got[channel]["edits"] == count
        assert got[channel]["robot_edits"] == sum(e["isRobot"] for e in mine)
        assert got[channel]["added"] == sum(e["added"] for e in mine)
        assert got[channel]["distinct_users"] == len({e["user"] for e in mine})
        assert got[channel]["distinct_pages"] == len({e["page"] for e in mine})


def test_peer_tables_have_the_ddl_columns_in_order(edits_out):
    out, _ = edits_out
    tables = load_tables()
    for table in ("edits", "edits_filtered", "edits_by_channel"):
        _, columns = read_table(out, table)
        assert columns == [c.name for c in tables[table].columns]


@pytest.mark.spark
def test_peer_domain_rules_agree_with_the_job(spark):
    from pyspark.sql import functions as F

    from spark_jobs.domain_codes import project_and_access

    project, access = project_and_access(F.col("code"))
    frame = spark.createDataFrame([(c,) for c in TRICKY_CODES], "code string")
    expected = {
        r["code"]: (r["p"], r["a"]) for r in frame.select("code", project.alias("p"), access.alias("a")).collect()
    }
    with duckdb.connect() as con:
        con.execute(
            peer.render("domain_site", wikimedia_sites=peer.WIKIMEDIA_SITES, project_suffixes=peer.PROJECT_SUFFIXES)
        )
        got = {
            code: con.execute(
                "SELECT domain_project(string_split($1, '.')), domain_access(string_split($1, '.'))", [code]
            ).fetchone()
            for code in TRICKY_CODES
        }
    assert got == expected
