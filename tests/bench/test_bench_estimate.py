"""The run plan and the time the bench expects it to take, printed before it starts."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from bench import harness
from bench.estimate import PlannedRun, estimate_seconds, previous_medians
from bench.harness import Bench, BenchConfig
from bench.inputs import CachedInput


def results_file(directory: Path, name: str, started_at: str, medians: dict[tuple[str, int, str], float]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    table = [{"input": i, "scale": s, "engine": e, "wall_median_s": m} for (i, s, e), m in medians.items()]
    (directory / f"{name}.json").write_text(json.dumps({"started_at": started_at, "table": table}))


def cached(name: str, dataset: str, records: int, suffix: str) -> CachedInput:
    return CachedInput(
        name, dataset, 1, "2024-03-15", Path("/nonexistent"), (Path(f"/nonexistent/a{suffix}"),), records, 1
    )


def test_each_run_takes_the_newest_median_that_timed_it_across_folders(tmp_path):
    # The names sort otherwise than the starts ("-late" after "-07"): the start decides.
    results_file(tmp_path / "a", "2026-12-06-late", "2026-12-06T22:10:00+00:00", {("pv", 1, "spark"): 100.0})
    results_file(tmp_path / "a", "2026-12-06", "2026-12-06T10:00:00+00:00", {("pv", 1, "spark"): 300.0})
    # A newer run of one dataset does not hide the other datasets of an older one.
    results_file(
        tmp_path / "b",
        "2026-12-07",
        "2026-12-07T18:00:00+00:00",
        {("ed", 1, "spark"): 50.0},
    )
    results_file(
        tmp_path / "b", "2026-12-05", "2026-12-05T00:00:00+00:00", {("ed", 1, "spark"): 90.0, ("ed", 1, "zcat"): 8.0}
    )
    (tmp_path / "b" / "broken.json").write_text("{not json")
    # newest of all, but a row without its median: the file is passed over, not the bench stopped
    (tmp_path / "b" / "odd.json").write_text(
        json.dumps(
            {"started_at": "2026-12-08T00:00:00+00:00", "table": [{"input": "pv", "scale": 1, "engine": "spark"}]}
        )
    )

    assert previous_medians(tmp_path / "a", tmp_path / "b") == {
        ("pv", 1, "spark"): 100.0,
        ("ed", 1, "spark"): 50.0,
        ("ed", 1, "zcat"): 8.0,
    }
    assert previous_medians(tmp_path / "empty") == {}


def test_the_estimate_sums_the_planned_runs_from_history_or_a_first_guess():
    runs = [
        PlannedRun("pv", 1, "spark", 600_000),
        PlannedRun("pv", 1, "spark", 600_000),
        PlannedRun("pv", 1, "zcat", 0),
    ]
    # history for spark only; zcat of no records is its start-up, 0 s
    assert estimate_seconds(runs, {("pv", 1, "spark"): 40.0}) == 80.0
    # spark's first guess: 15 s start-up + 600,000 records at 60,000 a second
    assert estimate_seconds(runs[:1], {}) == 25.0


def test_the_read_floor_is_planned_and_estimated_for_articles_only(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "COMMITTED_RESULTS", tmp_path / "committed")
    results = tmp_path / "results"
    results_file(
        results,
        "2026-12-07",
        "2026-12-07T18:00:00+00:00",
        {
            ("pageviews-day", 1, "spark"): 100.0,
            ("pageviews-day", 1, "duckdb"): 40.0,
            ("pageviews-day", 1, "zcat"): 5.0,
        },
    )
    printed = io.StringIO()
    config = BenchConfig(scales=(1,), repetitions={1: 2, 4: 1}, results_dir=results)
    bench = Bench(config, console=Console(file=printed, width=200))
    bench.inputs = {
        ("pageviews-day", 1): cached("pageviews-day", "pageviews", 26_400_000, ".gz"),
        ("articles-sample", 1): cached("articles-sample", "articles", 206, ".xml.bz2"),
    }

    planned = {(data.name, engine.name) for data, _, engine in bench.plan()}
    assert {engine for name, engine in planned if name == "pageviews-day"} == {"spark", "duckdb", "zcat"}
    assert {engine for name, engine in planned if name == "articles-sample"} - {"lbzip2"} == {
        "spark",
        "duckdb",
        "zcat",
        "floor",
    }

    bench.header({"cores": 2, "cpu_model": "test", "memory_bytes": 2**30})
    # pageviews from the results: 2 x (100 + 40 + 5) + one warm-up read (5) = 295 s; the sample's
    # first guesses: 2 x (spark 15 + DuckDB 1 + floor 10) = 52 s. Together 5.8 min. (A floor
    # planned over the day's 26.4M records would add 2 x 22 min.)
    assert f"plan: {len(bench.plan())} runs over 2 inputs, repetitions per size 1x: 2;" in printed.getvalue()
    assert "expected about 6 min" in printed.getvalue()
