"""Runs Athena (Trino) SQL on a local lake with DuckDB: one view per DDL table, SQL via sqlglot.

Each view reads, for every `<lake>/processed/<table>/dt=*/` day, the files of the day's live run
(`dt=<dt>/run=<run_id>/*.parquet`, the run the day's manifest names: wikilake.local.days; for a
day of the older in-place layout, `dt=<dt>/*.parquet`) with hive partitioning and selects
exactly the DDL's columns, cast to the DDL's types, in DDL order (partition keys last, as in
Glue). A JSON table (the run history: runs, quality) reads the one-line JSON files where its
location template puts them (`<lake>/manifests/<dataset>/dt=<dt>/`), its partition values taken
from the path. A table with no files yet is an empty view of the same shape. Queries are translated from
the Athena dialect with the DDL as sqlglot's schema, so type-dependent semantics (Trino's integer
division, for one) carry over instead of silently changing.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from wikilake.local.days import live_files
from wikilake.query_params import literal_value, substitute
from wikilake.query_result import QueryResult
from wikilake_core import datasets, layout
from wikilake_core.ddl import Column, NamedQuery, TableDef, load_tables
from wikilake_core.errors import WikilakeError

SOURCE_DIALECT = "athena"
ENGINE_DIALECT = "duckdb"


def duckdb_type(hive_type: str) -> str:
    """The DuckDB type for a Hive/Glue column type of the DDL (the one place types are mapped)."""
    return exp.DataType.build(hive_type, dialect="hive").sql(ENGINE_DIALECT)


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(ENGINE_DIALECT)


def _string(text: str) -> str:
    return exp.Literal.string(text).sql(ENGINE_DIALECT)


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")  # ${key} in a location template


def template_pattern(template: str) -> tuple[str, list[str]]:
    """(a regular expression over a file's path with one group per partition value, the partition
    keys in group order) for a table's location template (TableDef.partition_template)."""
    parts = _PLACEHOLDER.split(template)  # literal, key, literal, key, ..., literal
    return "([^/]+)".join(map(re.escape, parts[0::2])) + "[^/]+$", parts[1::2]


def table_files(lake: Path, table: TableDef) -> list[Path]:
    """The table's files readers see. A JSON history table: the files its location template
    names. Otherwise the live run's Parquet files of each day (see live_files); like Hive and
    Athena, files and folders starting with `_` or `.` (Spark's _SUCCESS, _temporary, .crc) are
    skipped."""
    if table.partition_template:
        pattern = _PLACEHOLDER.sub("*", table.partition_template) + "*.json"
        return sorted(
            path
            for path in Path(lake).glob(pattern)
            if not any(part.startswith(("_", ".")) for part in path.relative_to(lake).parts)
        )
    if [key.name for key in table.partition_keys] != [layout.PARTITION_KEY]:
        raise WikilakeError(f"table {table.name}: the local engine reads tables partitioned by dt only")
    root = Path(layout.table_dir(str(lake), table.name))
    days = sorted(root.glob(f"{layout.PARTITION_KEY}=*")) if root.is_dir() else []
    return [path for day in days if day.is_dir() for path in live_files(lake, table.name, day)]


def _read_parquet(table: TableDef, files: list[Path]) -> str:
    hive_types = ", ".join(f"{_string(k.name)}: {_string(duckdb_type(k.type))}" for k in table.partition_keys)
    file_list = ", ".join(_string(str(path)) for path in files)
    return (
        f"SELECT * FROM read_parquet([{file_list}], hive_partitioning = true, "
        f"hive_types = {{{hive_types}}}, union_by_name = true)"
    )


def view_sql(table: TableDef, files: list[Path]) -> str:
    """CREATE VIEW for ``table`` over ``files`` (an empty view of the same columns if none).

    Files of run folders (dt=/run=/) and of in-place days (dt=/) have different hive paths, which
    one read_parquet refuses to mix: each depth is read on its own and the two unioned by name."""
    columns: tuple[Column, ...] = table.columns + table.partition_keys
    select = ", ".join(
        f"CAST({_quoted(c.name) if files else 'NULL'} AS {duckdb_type(c.type)}) AS {_quoted(c.name)}" for c in columns
    )
    if not files:
        return f"CREATE OR REPLACE VIEW {_quoted(table.name)} AS SELECT {select} WHERE false"
    if template := table.partition_template:
        return json_view_sql(table, template, files)
    by_depth: dict[int, list[Path]] = {}
    for path in files:
        by_depth.setdefault(len(path.parts), []).append(path)
    source = " UNION ALL BY NAME ".join(_read_parquet(table, group) for _, group in sorted(by_depth.items()))
    return f"CREATE OR REPLACE VIEW {_quoted(table.name)} AS SELECT {select} FROM ({source})"


def json_view_sql(table: TableDef, template: str, files: list[Path]) -> str:
    """CREATE VIEW over one-line JSON files (keys missing from a document read as null), the
    partition values cut out of each file's path (``template``: the table's location template)."""
    regex, keys = template_pattern(template)
    columns = ", ".join(f"{_string(c.name)}: {_string(duckdb_type(c.type))}" for c in table.columns)
    select = ", ".join(
        [_quoted(c.name) for c in table.columns]
        + [
            f"CAST(regexp_extract(filename, {_string(regex)}, {keys.index(k.name) + 1}) AS {duckdb_type(k.type)}) "
            f"AS {_quoted(k.name)}"
            for k in table.partition_keys
        ]
    )
    file_list = ", ".join(_string(str(path)) for path in files)
    return (
        f"CREATE OR REPLACE VIEW {_quoted(table.name)} AS SELECT {select} FROM read_json("
        f"[{file_list}], format = 'newline_delimited', columns = {{{columns}}}, filename = true)"
    )


def referenced_tables(expression: exp.Expr) -> set[str]:
    """Names of the tables a query reads (its CTE names excluded)."""
    ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    return {t.name.lower() for t in expression.find_all(exp.Table)} - ctes


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0]


class LocalEngine:
    """DuckDB (in memory) over the Parquet tables of one lake folder."""

    def __init__(self, lake: str | Path, tables: dict[str, TableDef] | None = None):
        self.lake = Path(lake)
        self.tables = tables if tables is not None else load_tables()
        self.files = {name: table_files(self.lake, table) for name, table in self.tables.items()}
        self.connection = duckdb.connect()
        # Spark writes timestamps as UTC instants; Athena shows them in UTC: so does the engine.
        self.connection.execute("SET TimeZone = 'UTC'")
        for name, table in self.tables.items():
            try:
                self.connection.execute(view_sql(table, self.files[name]))
            except duckdb.Error as err:
                raise WikilakeError(
                    f"{layout.table_dir(str(self.lake), name)}: the Parquet files do not match "
                    f"athena_ddl/tables/{name}.sql: {_first_line(err)}"
                ) from err

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()

    def schema(self) -> dict[str, object]:
        """table -> column -> Hive type, for sqlglot (partition keys included; typed as sqlglot's
        schema argument, whose dict is invariant in its values)."""
        return {
            name: {c.name: c.type for c in table.columns + table.partition_keys} for name, table in self.tables.items()
        }

    def partitions(self, table: str) -> list[str]:
        """The dt values with at least one Parquet file, sorted."""
        key = f"{layout.PARTITION_KEY}="
        return sorted({part[len(key) :] for path in self.files[table] for part in path.parts if part.startswith(key)})

    def parse(self, sql: str) -> exp.Query:
        """One Athena SELECT statement over the DDL tables, or a one-line error."""
        try:
            statements = [s for s in sqlglot.parse(sql, read=SOURCE_DIALECT) if s is not None]
        except sqlglot.errors.SqlglotError as err:
            raise WikilakeError(f"SQL error: {_first_line(err)}") from err
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            raise WikilakeError("SQL error: expected exactly one SELECT query")
        unknown = referenced_tables(statements[0]) - set(self.tables)
        if unknown:
            raise WikilakeError(
                f"SQL error: unknown table {', '.join(sorted(unknown))}; tables: {', '.join(self.tables)}"
            )
        return statements[0]

    def translate(self, sql: str) -> str:
        """Athena SQL (no `?` left) -> DuckDB SQL, typed by the DDL schema."""
        schema = self.schema()
        try:
            qualified = qualify(self.parse(sql), schema=schema, dialect=SOURCE_DIALECT)
            typed = annotate_types(qualified, schema=schema, dialect=SOURCE_DIALECT)
            return typed.sql(ENGINE_DIALECT, pretty=True, comments=False)
        except sqlglot.errors.SqlglotError as err:
            raise WikilakeError(f"SQL error: {_first_line(err)}") from err

    def execute(self, sql: str) -> QueryResult:
        """Runs Athena SQL (parameters already substituted) and returns every row."""
        duckdb_sql = self.translate(sql)
        started = time.perf_counter()
        try:
            cursor = self.connection.execute(duckdb_sql)
            rows = cursor.fetchall()
        except duckdb.Error as err:
            raise WikilakeError(f"SQL error (DuckDB): {_first_line(err)}") from err
        return QueryResult(
            columns=tuple(d[0] for d in cursor.description),
            rows=tuple(rows),
            stats={
                "engine": "duckdb",
                "lake": str(self.lake),
                "rows": len(rows),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )

    def tables_of(self, sql: str) -> set[str]:
        """The DDL tables an Athena query reads."""
        return referenced_tables(self.parse(sql))

    def require_partition(self, sql: str, dt: str) -> None:
        """A clear error if a table the query reads has no data for ``dt``."""
        for table in sorted(self.tables_of(sql)):
            present = self.partitions(table)
            if dt not in present:
                dataset = datasets.of_table(table).name
                raise WikilakeError(
                    f"no data for dt={dt} in {layout.table_dir(str(self.lake), table)} "
                    f"(has: {', '.join(present) or 'no partitions'}); "
                    f"run `wikilake local run {dataset} --date {dt} --input ...` first"
                )

    def run(self, query: NamedQuery, literals: dict[str, str]) -> QueryResult:
        """Runs a query whose parameters are bound (name -> literal, see wikilake.query_params)."""
        sql = substitute(query.sql, list(literals.values()))
        dt_literal = literals.get(layout.PARTITION_KEY)
        if dt_literal is not None:
            self.require_partition(sql, literal_value(dt_literal))
        return self.execute(sql)
