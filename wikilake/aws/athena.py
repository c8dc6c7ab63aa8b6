"""Run one query on Athena in the deployed workgroup and return typed rows as a QueryResult."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Callable

from wikilake.query_result import QueryResult
from wikilake_core import prices
from wikilake_core.contract import Outputs
from wikilake_core.errors import WikilakeError

DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
_INTEGERS = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})
_FLOATS = frozenset({"double", "float", "real"})

Progress = Callable[[str, float], None]  # (state, seconds since submission)


def athena_target(aws) -> tuple[str, str]:
    """(workgroup, database) of the deployed CatalogStack."""
    return aws.outputs.require(Outputs.WORKGROUP), aws.outputs.require(Outputs.DATABASE)


def _timestamp(text: str) -> datetime:
    utc = text.endswith(" UTC")
    head, dot, fraction = text.removesuffix(" UTC").partition(".")
    parsed = datetime.fromisoformat(head + (f".{fraction[:6]}" if dot else ""))  # µs at most
    return parsed.replace(tzinfo=timezone.utc) if utc else parsed


def convert(value: str | None, athena_type: str):
    """One ``VarCharValue`` as the Python value of its column's Athena type (None for NULL)."""
    if value is None:
        return None
    kind = athena_type.lower().split("(")[0].strip()
    if kind in _INTEGERS:
        return int(value)
    if kind in _FLOATS:
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "boolean":
        return value == "true"
    if kind == "date":
        return date.fromisoformat(value)
    if kind in ("timestamp", "timestamp with time zone"):
        try:
            return _timestamp(value)
        except ValueError:
            return value  # a zone other than UTC: keep Athena's text
    return value  # varchar, char, json, arrays, maps, rows: as Athena prints them


def _has_header_row(execution: dict) -> bool:
    """Only SELECT results start with a row of column labels (DDL/utility results do not)."""
    substatement = execution.get("SubstatementType")
    if substatement is not None:
        return substatement.upper() == "SELECT"
    return execution.get("StatementType") == "DML"


def rows_from_pages(pages, header_row: bool) -> tuple[tuple[str, ...], tuple[tuple, ...]]:
    """Column names and typed rows from GetQueryResults pages (the header is on page 1 only)."""
    columns: list[dict] = []
    rows: list[tuple] = []
    for number, page in enumerate(pages):
        result = page["ResultSet"]
        if number == 0:
            columns = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
        page_rows = result.get("Rows", [])
        if number == 0 and header_row:
            page_rows = page_rows[1:]
        types = [c["Type"] for c in columns]
        for row in page_rows:
            rows.append(tuple(convert(cell.get("VarCharValue"), kind) for cell, kind in zip(row["Data"], types)))
    return tuple(c["Name"] for c in columns), tuple(rows)


def _wait(athena, execution_id: str, progress: Progress | None, timeout_seconds: float) -> dict:
    """Poll GetQueryExecution (boto3 has no Athena waiter) with a delay growing 0.2 s -> 2 s."""
    started = time.monotonic()
    delay = 0.2
    while True:
        execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if progress is not None:
            progress(state, time.monotonic() - started)
        if state in DONE:
            return execution
        if time.monotonic() - started > timeout_seconds:
            athena.stop_query_execution(QueryExecutionId=execution_id)
            raise WikilakeError(f"Athena query {execution_id} still {state} after {timeout_seconds:.0f} s: cancelled")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def _failure(execution: dict) -> str:
    status = execution["Status"]
    error = status.get("AthenaError") or {}
    reason = error.get("ErrorMessage") or status.get("StateChangeReason") or "no reason given"
    return " ".join(reason.split())


def run_athena_query(
    aws,
    sql: str,
    params: list[str],
    *,
    workgroup: str,
    database: str,
    progress: Progress | None = None,
    timeout_seconds: float = 30 * 60,
) -> QueryResult:
    """Run ``sql`` on Athena and return every row, typed per the result's column types.

    - ``aws``: a ``wikilake.aws.session.AwsContext`` (``AwsContext.from_args(args)``).
    - ``params``: the values for the SQL's ``?`` placeholders, in order, as Athena SQL literals
      (sent as ExecutionParameters, so a string carries its quotes: ``"'2015-09-12'"``).
    - ``workgroup``/``database``: where to run (see ``athena_target``); the workgroup enforces
      the result location and encryption.
    - ``progress(state, seconds)``: called after every poll (QUEUED, RUNNING, ...).

    Raises WikilakeError when the query fails, is cancelled or outlasts ``timeout_seconds``
    (it is then stopped); Ctrl-C stops the query before re-raising. ``stats`` holds engine
    "athena", query_id, bytes_scanned, cost_usd (at the list price of wikilake_core.prices),
    price, rows and seconds (Athena's total execution time).
    """
    athena = aws.client("athena")
    request = {"QueryString": sql, "WorkGroup": workgroup, "QueryExecutionContext": {"Database": database}}
    if params:
        request["ExecutionParameters"] = list(params)
    execution_id = athena.start_query_execution(**request)["QueryExecutionId"]
    try:
        execution = _wait(athena, execution_id, progress, timeout_seconds)
    except KeyboardInterrupt:
        athena.stop_query_execution(QueryExecutionId=execution_id)
        raise
    state = execution["Status"]["State"]
    if state != "SUCCEEDED":
        raise WikilakeError(f"Athena query {execution_id} {state}: {_failure(execution)}")
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=execution_id, PaginationConfig={"PageSize": 1000}
    )
    columns, rows = rows_from_pages(pages, _has_header_row(execution))
    statistics = execution.get("Statistics", {})
    scanned = int(statistics.get("DataScannedInBytes", 0))
    return QueryResult(
        columns,
        rows,
        stats={
            "engine": "athena",
            "query_id": execution_id,
            "bytes_scanned": scanned,
            "cost_usd": round(prices.athena_query_usd(scanned), 6),
            "price": prices.ATHENA_PRICE_NOTE,
            "rows": len(rows),
            "seconds": round(statistics.get("TotalExecutionTimeInMillis", 0) / 1000, 3),
        },
    )
