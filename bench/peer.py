"""The DuckDB peer: the job's output tables computed by DuckDB from the same raw files (for
articles, whose XML DuckDB cannot parse, a plain-Python parse feeding DuckDB: peer_articles.py).

What a single-machine user would write instead of Spark: one SQL pass over the gzip input into a
typed staging table (``peer_sql/<staging>.sql``), then one ``COPY ... TO`` zstd Parquet per
output table (``peer_sql/<table>.sql``), under the same lake layout as the job writes. Run as its
own process (``python -m bench.peer``) so the harness measures its memory alone; prints
the rows written per table as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

from bench import peer_articles
from spark_jobs.domain_codes import PROJECT_SUFFIXES, WIKIMEDIA_SITES
from wikilake_core import datasets
from wikilake_core.layout import table_partition_dir

PEER_SQL_DIR = Path(__file__).parent / "peer_sql"
STAGING = {"edits": "edits_events", "pageviews": "pageview_lines"}
# Datasets whose input is parsed in Python, then written by DuckDB: dataset -> run(dt, glob, root, con).
PYTHON_PEERS = {"articles": peer_articles.run}
# SQL run before the staging table: the macros it uses.
PRELUDE = {"edits": (), "pageviews": ("domain_site",)}
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"
# DuckDB would take 80% of the RAM; on a shared machine that is everyone's memory. 8 GB is about
# what it uses on pageviews-day 1x, twice the Spark driver's heap; beyond it DuckDB spills to disk.
DEFAULT_MEMORY_LIMIT = "8GB"
# The edits job's --country default, from its option in the registry.
DEFAULT_COUNTRY = next(o.default for o in datasets.get("edits").job_options if o.flag == "--country")


def sql_literal(value: str | tuple | dict) -> str:
    """A string, a tuple (-> list) or a dict (-> MAP) of strings as a DuckDB literal."""
    if isinstance(value, tuple):
        return "[" + ", ".join(map(sql_literal, value)) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in value.items())
        return "MAP {" + pairs + "}"
    return "'" + value.replace("'", "''") + "'"


def render(name: str, **values: str | tuple | dict) -> str:
    """``peer_sql/<name>.sql`` with ``{key}`` replaced by the SQL literal of each value."""
    sql = (PEER_SQL_DIR / f"{name}.sql").read_text()
    for key, value in values.items():
        sql = sql.replace("{" + key + "}", sql_literal(value))
    return sql


def run(
    dataset: str,
    dt: str,
    input_glob: str,
    output_root: Path,
    *,
    threads: int = 2,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    country: str = DEFAULT_COUNTRY,
) -> dict[str, int]:
    """Write every table of ``dataset`` for ``dt``; returns rows written per table."""
    rows: dict[str, int] = {}
    Path(output_root).mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"SET threads = {int(threads)}")
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        # Spill files go with the outputs, not into the current folder.
        con.execute(f"SET temp_directory = {sql_literal(str(Path(output_root) / '.duckdb_tmp'))}")
        con.execute("SET enable_progress_bar = false")
        if dataset in PYTHON_PEERS:
            return PYTHON_PEERS[dataset](dt, input_glob, Path(output_root), con)
        for prelude in PRELUDE[dataset]:
            con.execute(render(prelude, wikimedia_sites=WIKIMEDIA_SITES, project_suffixes=PROJECT_SUFFIXES))
        con.execute(render(STAGING[dataset], input=input_glob))
        for table in datasets.get(dataset).tables:
            out_dir = Path(table_partition_dir(str(output_root), table, dt))
            out_dir.mkdir(parents=True, exist_ok=True)
            target = sql_literal(str(out_dir / "part-00000.parquet"))
            query = render(table, country=country)
            rows[table] = con.execute(f"COPY ({query}) TO {target} ({PARQUET_OPTIONS})").fetchone()[0]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("dataset", choices=sorted({*STAGING, *PYTHON_PEERS}))
    parser.add_argument("--date", required=True)
    parser.add_argument("--input", required=True, help="glob of the raw files")
    parser.add_argument("--output-root", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT)
    parser.add_argument("--country", default=DEFAULT_COUNTRY)
    args = parser.parse_args(argv)
    rows = run(
        args.dataset,
        args.date,
        args.input,
        args.output_root,
        threads=args.threads,
        memory_limit=args.memory_limit,
        country=args.country,
    )
    json.dump(rows, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
