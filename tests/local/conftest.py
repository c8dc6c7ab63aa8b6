"""Fixtures for the local query engine: tiny hand-made lakes (no Spark) and PNG inspection."""
from __future__ import annotations

import shutil
import struct
from pathlib import Path

import duckdb
import pytest

from wikilake.ddl import load_tables

# The DuckDB type each Hive type of the DDL must become, written out independently of the code.
EXPECTED_DUCKDB_TYPES = {
    "string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN", "double": "DOUBLE",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_partition(lake: Path, table: str, dt: str, rows: list[dict], types: dict | None = None) -> Path:
    """Writes ``rows`` as Parquet at <lake>/processed/<table>/dt=<dt>/ with the DDL's columns
    (``types`` overrides the Parquet type of some columns)."""
    columns = load_tables()[table].columns
    folder = lake / "processed" / table / f"dt={dt}"
    folder.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    types = {c.name: EXPECTED_DUCKDB_TYPES[c.type] for c in columns} | (types or {})
    definition = ", ".join(f'"{c.name}" {types[c.name]}' for c in columns)
    connection.execute(f"CREATE TABLE t ({definition})")
    if rows:
        placeholders = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO t VALUES ({placeholders})", [[row.get(c.name) for c in columns] for row in rows]
        )
    path = folder / "part-00000.parquet"
    connection.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    connection.close()
    return path


def channel_row(channel: str, edits: int, robot_edits: int, **more) -> dict:
    row = dict(channel=channel, edits=edits, robot_edits=robot_edits, anonymous_edits=0,
               minor_edits=0, new_pages=0, added=10 * edits, deleted=edits, delta=9 * edits,
               distinct_users=edits, distinct_pages=edits)
    return {**row, **more}


@pytest.fixture(scope="session")
def tiny_lake_template(tmp_path_factory) -> Path:
    """A lake with a few hand-written rows in every table for dt=2015-09-12."""
    lake = tmp_path_factory.mktemp("tiny") / "lake"
    dt = "2015-09-12"
    write_partition(lake, "edits_by_channel", dt, [
        channel_row("#en.wikipedia", 7, 3), channel_row("#de.wikipedia", 5, 0),
        channel_row("#fr.wikipedia", 5, 1), channel_row("#it.wikipedia", 1, 1),
    ])
    edit = dict(event_time=None, namespace="Main", comment="c", is_anonymous=True, is_minor=False,
                is_new=False, is_robot=False, is_unpatrolled=False, country_name="United States",
                metro_code=None, delta=5, added=5, deleted=0)
    edits = [
        {**edit, "channel": "#en.wikipedia", "page": "Apollo", "user_name": "a"},
        {**edit, "channel": "#en.wikipedia", "page": "Apollo", "user_name": "b"},
        {**edit, "channel": "#en.wikipedia", "page": "Apollo", "user_name": "a"},
        {**edit, "channel": "#de.wikipedia", "page": "Apollo", "user_name": "c"},
        {**edit, "channel": "#en.wikipedia", "page": "Zeus", "user_name": "d"},
    ]
    write_partition(lake, "edits", dt, edits)
    write_partition(lake, "edits_filtered", dt, edits)
    page = dict(domain_code="en", project="en.wikipedia", access_site="desktop", hours_seen=1)
    write_partition(lake, "pageviews_daily", dt, [
        {**page, "page_title": "Main_Page", "views": 1000},
        {**page, "page_title": "Special:Search", "views": 900},
        {**page, "page_title": "-", "views": 800},
        {**page, "page_title": "Apollo", "views": 50},
        {**page, "domain_code": "en.m", "access_site": "mobile", "page_title": "Apollo", "views": 70},
        {**page, "page_title": "Zeus", "views": 100},
        {**page, "page_title": "User_talk:Someone", "views": 99},
        {**page, "domain_code": "de", "project": "de.wikipedia", "page_title": "Zeus", "views": 5000},
    ])
    hourly = dict(project="en.wikipedia", pages=1)
    write_partition(lake, "projectviews_hourly", dt, [
        {**hourly, "hour": 0, "access_site": "desktop", "views": 30},
        {**hourly, "hour": 0, "access_site": "mobile", "views": 70},
        {**hourly, "hour": 1, "access_site": "desktop", "views": 10},
        {**hourly, "hour": 1, "access_site": "zero", "views": 5},
        {**hourly, "hour": 0, "project": "de.wikipedia", "access_site": "desktop", "views": 900},
        {**hourly, "hour": 0, "project": "unknown", "access_site": "desktop", "views": 99999},
    ])
    return lake


@pytest.fixture
def tiny_lake(tiny_lake_template, tmp_path) -> Path:
    """A fresh copy of the tiny lake that a test may change."""
    return Path(shutil.copytree(tiny_lake_template, tmp_path / "lake"))


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file really is a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13, f"{path}: first chunk is not IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def png_dimensions():
    return png_size
