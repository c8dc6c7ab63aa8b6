"""Athena queries against moto: parameters, polling, typed results, pages, cost, failures."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from decimal import Decimal

import pytest
import urllib3
from moto.moto_api import state_manager

from wikilake.aws.athena import athena_target, rows_from_pages, run_athena_query
from wikilake.aws.session import AwsContext
from wikilake_core.errors import WikilakeError

COLUMNS = [
    ("channel", "varchar"),
    ("edits", "bigint"),
    ("share", "double"),
    ("added", "decimal"),
    ("day", "date"),
    ("first_edit", "timestamp"),
    ("is_big", "boolean"),
]


def cells(*values):
    return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}


HEADER = cells(*(name for name, _ in COLUMNS))
ROWS = [
    cells("#en.wikipedia", "11549", "0.2943", "3045299.50", "2015-09-12", "2015-09-12 00:46:58.771", "true"),
    cells("#de.wikipedia", "2061", "0.0525", None, "2015-09-12", "2015-09-12 01:02:03.000", "false"),
]
EXPECTED_ROWS = (
    (
        "#en.wikipedia",
        11549,
        0.2943,
        Decimal("3045299.50"),
        date(2015, 9, 12),
        datetime(2015, 9, 12, 0, 46, 58, 771000),
        True,
    ),
    ("#de.wikipedia", 2061, 0.0525, None, date(2015, 9, 12), datetime(2015, 9, 12, 1, 2, 3), False),
)


def queue_result(endpoint: str, rows: list[dict]) -> None:
    """Moto does not run SQL: it returns the next queued result set (moto's documented API)."""
    column_info = [{"Name": n, "Label": n, "Type": t} for n, t in COLUMNS]
    response = urllib3.request(
        "POST",
        f"{endpoint}/moto-api/static/athena/query-results",
        json={"region": "us-east-1", "results": [{"rows": rows, "column_info": column_info}]},
    )
    assert response.status == 201


@pytest.fixture
def athena_states():
    """Make moto's query executions advance one state per GetQueryExecution (or never)."""

    def advance_every(calls: int):
        state_manager.set_transition("athena::execution", {"progression": "manual", "times": calls})

    yield advance_every
    state_manager.unset_transition("athena::execution")


@pytest.fixture
def aws(endpoint) -> AwsContext:
    args = argparse.Namespace(
        region="us-east-1", profile=None, endpoint_url=endpoint, stack_prefix="Wikilake", stage="dev"
    )
    return AwsContext.from_args(args)


def test_a_query_runs_in_the_workgroup_with_its_parameters_and_returns_typed_rows(
    aws, deployed, endpoint, clients, athena_states
):
    athena_states(1)
    queue_result(endpoint, [HEADER, *ROWS])
    seen = []
    workgroup, database = athena_target(aws)

    result = run_athena_query(
        aws,
        "SELECT * FROM edits_by_channel WHERE dt = ? LIMIT ?",
        ["'2015-09-12'", "10"],
        workgroup=workgroup,
        database=database,
        progress=lambda state, seconds: seen.append(state),
    )

    assert (workgroup, database) == ("wikilake-dev", "wikilake_dev")
    assert result.columns == tuple(name for name, _ in COLUMNS)
    assert result.rows == EXPECTED_ROWS
    assert seen == ["RUNNING", "SUCCEEDED"]
    stats = result.stats
    assert stats["engine"] == "athena" and stats["rows"] == 2
    assert stats["bytes_scanned"] == 0 and stats["cost_usd"] == 0.0 and "$5/TB" in stats["price"]
    execution = clients.athena.get_query_execution(QueryExecutionId=stats["query_id"])["QueryExecution"]
    assert execution["WorkGroup"] == "wikilake-dev"
    assert execution["QueryExecutionContext"] == {"Database": "wikilake_dev"}
    assert execution["ExecutionParameters"] == ["'2015-09-12'", "10"]


def test_wikilake_query_on_athena_end_to_end(wikilake, deployed, endpoint, clients, aws_options):
    queue_result(endpoint, [HEADER, *ROWS])

    code, out, err = wikilake("query", "top_channels", "--param", "dt=2015-09-12", "--format", "json", *aws_options)

    assert code == 0, err
    assert "#en.wikipedia" in out and "#de.wikipedia" in out
    [execution_id] = clients.athena.list_query_executions(WorkGroup="wikilake-dev")["QueryExecutionIds"]
    execution = clients.athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["ExecutionParameters"][0] == "'2015-09-12'"


def test_a_cancelled_query_is_an_error(aws, deployed, clients, athena_states):
    athena_states(10**6)  # stays QUEUED until stopped

    def stop(state, seconds):
        for query_id in clients.athena.list_query_executions()["QueryExecutionIds"]:
            clients.athena.stop_query_execution(QueryExecutionId=query_id)

    with pytest.raises(WikilakeError, match=r"^Athena query \S+ CANCELLED"):
        run_athena_query(aws, "SELECT 1", [], workgroup="wikilake-dev", database="wikilake_dev", progress=stop)


def test_a_query_that_outlasts_its_timeout_is_stopped(aws, deployed, clients, athena_states):
    athena_states(10**6)

    with pytest.raises(WikilakeError, match="still QUEUED after 0 s: cancelled"):
        run_athena_query(aws, "SELECT 1", [], workgroup="wikilake-dev", database="wikilake_dev", timeout_seconds=0.3)

    [query_id] = clients.athena.list_query_executions()["QueryExecutionIds"]
    state = clients.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
    assert state["State"] == "CANCELLED"


def test_without_the_catalog_stack(aws, deployed, clients):
    clients.cloudformation.delete_stack(StackName=deployed.stacks["catalog"])
    with pytest.raises(WikilakeError, match="AthenaWorkgroupName not found: Wikilake-dev-Catalog is not deployed"):
        athena_target(aws)


def test_later_pages_keep_their_first_row():
    """The header row comes once, on page 1; GetQueryResults pages hold at most 1000 rows."""
    info = {"ColumnInfo": [{"Name": "n", "Type": "integer"}]}
    pages = [
        {"ResultSet": {"ResultSetMetadata": info, "Rows": [cells("n"), cells("1"), cells("2")]}},
        {"ResultSet": {"ResultSetMetadata": info, "Rows": [cells("3"), cells("4")]}},
    ]

    assert rows_from_pages(pages, header_row=True) == (("n",), ((1,), (2,), (3,), (4,)))
    # SHOW/DESCRIBE results have no header row
    assert rows_from_pages(pages[1:], header_row=False) == (("n",), ((3,), (4,)))
