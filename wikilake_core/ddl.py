"""Reads `athena_ddl/`: table definitions from tables/*.sql and named queries from queries/*.sql.

One parser, two consumers: the CatalogStack builds Glue tables from these definitions and the
local engine builds DuckDB views from them, so the DDL files are the single source of truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from wikilake_core.errors import WikilakeError
from wikilake_core.paths import DDL_DIR

BUCKET_PLACEHOLDER = "${bucket}"
# Athena partition projection's location template (the table property); ${<key>} per partition key.
LOCATION_TEMPLATE = "storage.location.template"
# `-- @param <name> [<type>] [= <default>]: <description>`; the type defaults to varchar.
_PARAM_LINE = re.compile(
    r"^--\s*@param\s+(?P<name>\w+)(?:\s+(?P<type>\w+))?(?:\s*=\s*(?P<default>[^:]*?))?"
    r"\s*:\s*(?P<description>.*)$"
)
# Types a named query may declare for its `?` parameters; wikilake.query_params renders each as
# an Athena/Trino literal (Athena execution parameters are literal SQL text).
PARAM_TYPES = ("varchar", "date", "bigint", "double", "boolean")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Hive/Glue type name, lower case: string, bigint, int, timestamp, boolean, ...


@dataclass(frozen=True)
class TableDef:
    name: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]
    location_template: str  # e.g. s3://${bucket}/processed/edits/
    stored_as: str  # e.g. parquet
    properties: tuple[tuple[str, str], ...]
    description: str
    serde: str | None = None  # ROW FORMAT SERDE, e.g. the Hive JSON SerDe; None for Parquet

    @property
    def partition_template(self) -> str | None:
        """Where a partition's files are when they are not under ``<key>=<value>/`` folders: the
        table's location template, relative to the bucket (``manifests/${dataset}/dt=${dt}/``)."""
        template = dict(self.properties).get(LOCATION_TEMPLATE)
        return template.split(BUCKET_PLACEHOLDER + "/", 1)[1] if template else None

    @property
    def prefix(self) -> str:
        """The location relative to the bucket, e.g. ``processed/edits/``."""
        return self.location_template.split(BUCKET_PLACEHOLDER + "/", 1)[1]

    def location(self, bucket: str) -> str:
        return self.location_template.replace(BUCKET_PLACEHOLDER, bucket)


@dataclass(frozen=True)
class QueryParam:
    name: str
    description: str
    type: str = "varchar"  # one of PARAM_TYPES
    default: str | None = None  # the value as a user would type it; None = required


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    parameters: tuple[QueryParam, ...]  # in the order of the `?` placeholders
    sql: str  # the file as written (Athena/Trino dialect), comments included


def _header_comments(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    return lines


def _description(header: list[str]) -> str:
    """The header prose up to the first blank comment line or parameter."""
    prose = []
    for line in header:
        text = line[2:].strip()
        if not text or _PARAM_LINE.match(line):
            break
        prose.append(text)
    return " ".join(prose)


def _column(column_def: exp.ColumnDef) -> Column:
    # Glue spells complex types without spaces: map<string,bigint>, struct<a:bigint,b:string>.
    kind = column_def.args["kind"].sql(dialect="hive").lower()
    return Column(column_def.name.lower(), kind.replace(", ", ",").replace(": ", ":"))


def parse_table(text: str, source: str = "<sql>") -> TableDef:
    try:
        create = sqlglot.parse_one(text, read="athena")
    except sqlglot.errors.ParseError as err:
        raise WikilakeError(f"{source}: cannot parse DDL: {str(err).splitlines()[0]}") from err
    if not isinstance(create, exp.Create) or create.kind != "TABLE":
        raise WikilakeError(f"{source}: expected one CREATE EXTERNAL TABLE statement")
    props = create.args["properties"].expressions
    partitioned = next((p for p in props if isinstance(p, exp.PartitionedByProperty)), None)
    location = next((p for p in props if isinstance(p, exp.LocationProperty)), None)
    file_format = next((p for p in props if isinstance(p, exp.FileFormatProperty)), None)
    serde = next((p for p in props if isinstance(p, exp.RowFormatSerdeProperty)), None)
    if location is None or file_format is None:
        raise WikilakeError(f"{source}: DDL needs LOCATION and STORED AS")
    return TableDef(
        name=create.this.this.name.lower(),
        columns=tuple(_column(c) for c in create.this.expressions),
        partition_keys=tuple(_column(c) for c in partitioned.this.expressions) if partitioned else (),
        location_template=location.this.name,
        stored_as=file_format.this.name.lower(),
        properties=tuple((p.this.name, p.args["value"].name) for p in props if type(p) is exp.Property),
        description=_description(_header_comments(text)),
        serde=serde.this.name if serde else None,
    )


def load_tables(ddl_dir: Path = DDL_DIR) -> dict[str, TableDef]:
    """Every table of ``ddl_dir/tables``, by name, in file-name order."""
    tables = {}
    for path in sorted((ddl_dir / "tables").glob("*.sql")):
        table = parse_table(path.read_text(), source=str(path))
        if table.name != path.stem:
            raise WikilakeError(f"{path}: defines table {table.name!r}; name the file {table.name}.sql")
        tables[table.name] = table
    return tables


def _param(match: re.Match, source: str) -> QueryParam:
    param_type = (match["type"] or "varchar").lower()
    if param_type not in PARAM_TYPES:
        raise WikilakeError(
            f"{source}: parameter {match['name']!r} has type {param_type!r}; use one of {', '.join(PARAM_TYPES)}"
        )
    default = match["default"].strip() if match["default"] is not None else None
    return QueryParam(match["name"], match["description"].strip(), param_type, default)


def parse_query(name: str, text: str) -> NamedQuery:
    header = _header_comments(text)
    params = tuple(_param(m, name) for m in map(_PARAM_LINE.match, header) if m)
    return NamedQuery(name=name, description=_description(header), parameters=params, sql=text)


def load_queries(ddl_dir: Path = DDL_DIR) -> dict[str, NamedQuery]:
    """Every named query of ``ddl_dir/queries``, by name (the file stem)."""
    return {path.stem: parse_query(path.stem, path.read_text()) for path in sorted((ddl_dir / "queries").glob("*.sql"))}
