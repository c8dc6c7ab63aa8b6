"""Helpers for the local engine's tests: tiny Parquet partitions and PNG inspection."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb

from wikilake_core.ddl import load_tables

# The DuckDB type each Hive type of the DDL must become, written out independently of the code.
# The runs table's profile struct (athena_ddl/tables/runs.sql), field by field: (name, Hive, DuckDB).
_STAGE = [
    ("stage", "bigint", "BIGINT"),
    ("name", "string", "VARCHAR"),
    *((f, "double", "DOUBLE") for f in ("seconds",)),
    ("tasks", "bigint", "BIGINT"),
    *((f, "double", "DOUBLE") for f in ("task_seconds", "max_task_seconds", "median_task_seconds")),
    *((f, "bigint", "BIGINT") for f in ("input_bytes", "shuffle_read_bytes", "spill_bytes")),
]
_TIMELINE = [
    ("step_seconds", "double", "DOUBLE"),
    ("busy_cores", "array<double>", "DOUBLE[]"),
    ("cores", "array<double>", "DOUBLE[]"),
]
_PROFILE = [
    ("application_id", "string", "VARCHAR"),
    ("wall_seconds", "double", "DOUBLE"),
    *((f, "bigint", "BIGINT") for f in ("executors", "hosts", "cores")),
    *((f, "double", "DOUBLE") for f in ("core_seconds_available", "task_seconds", "utilization", "gc_seconds")),
    *((f, "bigint", "BIGINT") for f in ("input_bytes", "shuffle_bytes", "spill_bytes")),
    ("settings", "map<string,string>", "MAP(VARCHAR, VARCHAR)"),
    ("stages", "array<struct<{}>>", "STRUCT({})[]", _STAGE),
    ("timeline", "struct<{}>", "STRUCT({})", _TIMELINE),
]


_DUCKDB_QUOTES = {"name", "seconds"}  # field names DuckDB quotes when it prints a type (keywords)


def _struct(fields) -> tuple[str, str]:
    """(Hive, DuckDB) spellings of a struct's fields."""
    hive, duck = [], []
    for name, hive_type, duck_type, *inner in fields:
        if inner:
            inner_hive, inner_duck = _struct(inner[0])
            hive_type, duck_type = hive_type.format(inner_hive), duck_type.format(inner_duck)
        hive.append(f"{name}:{hive_type}")
        duck.append(f'"{name}" {duck_type}' if name in _DUCKDB_QUOTES else f"{name} {duck_type}")
    return ",".join(hive), ", ".join(duck)


_PROFILE_HIVE, _PROFILE_DUCKDB = _struct(_PROFILE)
EXPECTED_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    "map<string,bigint>": "MAP(VARCHAR, BIGINT)",
    f"struct<{_PROFILE_HIVE}>": f"STRUCT({_PROFILE_DUCKDB})",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def view_columns(engine, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a LocalEngine view's columns, in order, as DuckDB sees them."""
    rows = engine.connection.execute(f'DESCRIBE "{table}"').fetchall()
    return [(row[0], row[1]) for row in rows]


def write_partition(
    lake: Path, table: str, dt: str, rows: list[dict], types: dict | None = None, run_id: str | None = None
) -> Path:
    """Writes ``rows`` as Parquet at <lake>/processed/<table>/dt=<dt>/ (in run=<run_id>/ when
    given) with the DDL's columns (``types`` overrides the Parquet type of some columns)."""
    columns = load_tables()[table].columns
    folder = lake / "processed" / table / f"dt={dt}" / (f"run={run_id}" if run_id else "")
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
    row = {
        "channel": channel,
        "edits": edits,
        "robot_edits": robot_edits,
        "anonymous_edits": 0,
        "minor_edits": 0,
        "new_pages": 0,
        "added": 10 * edits,
        "deleted": edits,
        "delta": 9 * edits,
        "distinct_users": edits,
        "distinct_pages": edits,
    }
    return {**row, **more}


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file really is a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13, f"{path}: first chunk is not IHDR"
    return struct.unpack(">II", data[16:24])


def write_run_history(lake: Path, dt: str) -> None:
    """The edits run of ``dt`` as `wikilake local run` records it (manifest and quality rows), with
    5% of its records rejected: a failing `warn` check (rejected_share)."""
    from wikilake.local.record import record_local
    from wikilake_core import layout, run_history

    manifest = {
        "dataset": "edits",
        "dt": dt,
        "run_id": f"run-{dt}",
        "input_files": [],
        "input_records": 20,
        "valid_records": 19,
        "rejected_records": 1,
        "rejected_by_reason": {"not_json": 1},
        "rows_written": {"edits": 19, "edits_filtered": 3, "edits_by_channel": 4},
        "started_at": f"{dt}T04:30:00+00:00",
        "duration_seconds": 2.0,
        "spark_version": "3.5.6",
        "job_code_version": "0",
    }
    path = Path(layout.run_manifest_path(str(lake), "edits", dt, manifest["run_id"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run_history.encode(manifest))  # as the job leaves it
    record_local(lake, manifest)
