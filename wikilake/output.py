"""Renders a QueryResult for people (a rich table) or for scripts (CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wikilake.query_result import QueryResult

FORMATS = ("table", "csv", "json")


def _plain(value):
    """A value as JSON/CSV carry it: ISO text for times, numbers for decimals, as is otherwise."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def to_records(result: QueryResult) -> list[dict]:
    return [{c: _plain(v) for c, v in zip(result.columns, row)} for row in result.rows]


def to_json(result: QueryResult) -> str:
    """A JSON array of objects, one per row (column order kept)."""
    return json.dumps(to_records(result), indent=2, ensure_ascii=False) + "\n"


def _csv_cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(result: QueryResult) -> str:
    """RFC 4180 CSV with a header row; NULL is the empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_csv_cell(v) for v in row] for row in result.rows)
    return buffer.getvalue()


def is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _cell(value) -> Text | str:
    if value is None:
        return Text("NULL", style="dim")
    if is_number(value):
        return f"{value:,}"
    return str(_plain(value))


def stats_line(result: QueryResult) -> str:
    """E.g. `10 rows · engine duckdb · 0.004 s`."""
    facts = [f"{len(result.rows):,} row{'s' if len(result.rows) != 1 else ''}"]
    facts += [f"{key} {value}" for key, value in result.stats.items() if key not in ("rows", "seconds")]
    if "seconds" in result.stats:
        facts.append(f"{result.stats['seconds']} s")
    return " · ".join(facts)


def rich_table(result: QueryResult, title: str | None = None) -> Table:
    """Numbers right-aligned with thousands separators; the engine's facts as the caption."""
    table = Table(
        title=title, caption=stats_line(result), title_justify="left", caption_justify="left", box=box.SIMPLE_HEAD
    )
    numeric = [any(is_number(row[i]) for row in result.rows) for i in range(len(result.columns))]
    for column, right in zip(result.columns, numeric):
        table.add_column(column, justify="right" if right else "left", overflow="fold")
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def print_table(console: Console, table: Table) -> None:
    """Prints ``table``; to a file or pipe (no width there) at its natural width, unsqueezed."""
    width = console.width
    if not console.is_terminal:
        natural = console.measure(table, options=console.options.update_width(10_000)).maximum
        console.width = max(width, natural)
    try:
        console.print(table)
    finally:
        console.width = width


def render(result: QueryResult, fmt: str, out: TextIO, title: str | None = None) -> None:
    """Writes ``result`` to ``out`` in one of FORMATS."""
    if fmt == "table":
        print_table(Console(file=out), rich_table(result, title))
    elif fmt == "csv":
        out.write(to_csv(result))
    elif fmt == "json":
        out.write(to_json(result))
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
