"""The run history on the local engine, without Spark: hand-written manifests (what the job
writes) recorded by `wikilake local run`'s step (wikilake.local.record), read through the runs and
quality views and the four named queries. The expected answers are worked out by hand below."""

import io
import json
from pathlib import Path

import pytest
from local_helpers import write_partition
from rich.console import Console

from wikilake.commands.local import _print_summary
from wikilake.local.query import LocalEngine
from wikilake.local.record import record_local
from wikilake.query_params import bind
from wikilake_core import layout, run_history
from wikilake_core.ddl import load_queries
from wikilake_core.quality import QualityFailed

QUERIES = load_queries()
USUAL = 9000  # pageviews_daily rows of a usual day


def job_manifest(dt: str, daily_rows: int = USUAL, rejected: int = 10, started: str = "2024-03-20T04:30:00+00:00"):
    """What the pageviews job writes (the fields the checks and the views read)."""
    return {
        "dataset": "pageviews",
        "dt": dt,
        "run_id": f"run-{dt}",
        "input_files": [],
        "input_records": 1000 + rejected,
        "valid_records": 1000,
        "rejected_records": rejected,
        "rejected_by_reason": {"bad_views": rejected} if rejected else {},
        "rows_written": {"pageviews_daily": daily_rows, "projectviews_hourly": 480},
        "hours": list(range(24)),
        "hours_missing": [],
        "distinct_projects": 12,
        "spark_version": "3.5.6",
        "job_code_version": "abc123",
        "started_at": started,
        "duration_seconds": 4.5,
    }


def record(lake: Path, manifest: dict) -> dict:
    path = Path(layout.run_manifest_path(str(lake), manifest["dataset"], manifest["dt"], manifest["run_id"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run_history.encode(manifest))  # as the job leaves it
    try:
        return record_local(lake, manifest)
    except QualityFailed as failed:
        return failed.manifest


@pytest.fixture
def history_lake(tmp_path) -> Path:
    """03-10..03-13 usual (03-12 missing), 03-14 with a third of the rows, 03-15 with 5% rejects."""
    lake = tmp_path / "lake"
    for dt in ("2024-03-10", "2024-03-11", "2024-03-13"):
        record(lake, job_manifest(dt))
    page = {"domain_code": "en", "project": "en.wikipedia", "access_site": "desktop", "page_title": "A"}
    write_partition(
        lake, "pageviews_daily", "2024-03-14", [{**page, "views": 7, "hours_seen": 1}], run_id="run-2024-03-14"
    )
    with pytest.raises(QualityFailed, match=r"rows_pageviews_daily 3,000 not in \[4,500, 13,500\]"):
        path = Path(layout.manifest_path(str(lake), "pageviews", "2024-03-14"))
        path.parent.mkdir(parents=True)
        record_local(lake, job_manifest("2024-03-14", daily_rows=USUAL // 3))
    with LocalEngine(lake) as engine:  # a failing check keeps the day's data, published and visible
        assert engine.execute("SELECT views FROM pageviews_daily WHERE dt = '2024-03-14'").rows == ((7,),)
    record(lake, job_manifest("2024-03-15", rejected=53, started="2024-04-01T04:30:00+00:00"))
    return lake


def run(lake, name, *params):
    query = QUERIES[name]
    with LocalEngine(lake) as engine:
        return engine.run(query, bind(query, list(params)))


def test_runs_view_has_a_row_per_day_with_the_partition_values_from_the_path(history_lake):
    # A run-scoped copy and a lock file under the day are not the day's manifest: not read.
    day = Path(layout.manifest_path(str(history_lake), "pageviews", "2024-03-15")).parent
    (day / "run=r1").mkdir()
    (day / "run=r1" / "manifest.json").write_text(json.dumps(job_manifest("2024-03-15")) + "\n")
    (day / ".writer.lock").write_text("{}")
    result = run(history_lake, "run_history")
    got = [(r[0], r[1], r[2], r[3], r[8], r[12]) for r in result.rows]
    assert got == [
        ("pageviews", "2024-03-15", "SUCCEEDED", "warn", "local", None),
        ("pageviews", "2024-03-14", "QUALITY_FAILED", "fail", "local", None),
        ("pageviews", "2024-03-13", "SUCCEEDED", "pass", "local", None),
        ("pageviews", "2024-03-11", "SUCCEEDED", "pass", "local", None),
        ("pageviews", "2024-03-10", "SUCCEEDED", "pass", "local", None),
    ]
    assert result.columns[:4] == ("dataset", "dt", "status", "quality_status")


def test_quality_failures_lists_exactly_the_failed_checks(history_lake):
    result = run(history_lake, "quality_failures")
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    assert [(r["dt"], r["check_name"], r["severity"], r["status"]) for r in rows] == [
        ("2024-03-15", "rejected_share", "warn", "warn"),
        ("2024-03-14", "rows_pageviews_daily", "fail", "fail"),
    ]
    # 03-14: median of 03-10, 03-11, 03-13 (the gap 03-12 skipped) = 9,000; band [4,500, 13,500]
    assert (rows[1]["value"], rows[1]["expected"]) == (3000, "[4,500, 13,500]")
    assert rows[1]["detail"] == "median 9,000 of the previous 3 dt(s)"
    assert rows[0]["value"] == pytest.approx(53 / 1053)


def test_the_failed_day_is_no_baseline_for_the_next(history_lake):
    with LocalEngine(history_lake) as engine:
        (row,) = engine.execute(
            "SELECT expected_low, expected_high, detail FROM quality "
            "WHERE dt = '2024-03-15' AND check_name = 'rows_pageviews_daily'"
        ).rows
    assert row == (4500, 13500, "median 9,000 of the previous 3 dt(s)")


def test_rows_trend_and_cost_by_month(history_lake):
    trend = run(history_lake, "rows_trend", "table_name=pageviews_daily")
    assert [(r[0], r[1], r[3], r[5]) for r in trend.rows] == [
        ("2024-03-10", USUAL, 10, "pass"),
        ("2024-03-11", USUAL, 10, "pass"),
        ("2024-03-13", USUAL, 10, "pass"),
        ("2024-03-14", USUAL // 3, 10, "fail"),
        ("2024-03-15", USUAL, 53, "warn"),
    ]
    assert trend.rows[-1][4] == round(100 * 53 / 1053, 2)
    assert run(history_lake, "rows_trend", "table_name=edits").rows == ()
    cost = run(history_lake, "cost_by_month")
    assert cost.rows == (
        ("2024-04", "pageviews", 1, 0, None, None, None),
        ("2024-03", "pageviews", 4, 0, None, None, None),
    )


def test_local_run_prints_a_warning_line_for_a_failing_warn_check(history_lake):
    manifest = json.loads(Path(layout.manifest_path(str(history_lake), "pageviews", "2024-03-15")).read_text())
    console = Console(file=io.StringIO(), width=300)
    _print_summary(console, {**manifest, "records_per_second": 1}, str(history_lake), 5.0)
    assert "warning: pageviews dt=2024-03-15: quality warning: rejected_share 0.05033 not in <= 0.01" in (
        console.file.getvalue()
    )
