"""The bench's chart: what each bar is labelled with, and a chart of a committed results file."""

from __future__ import annotations

import json

from bench.chart import _bar_label, grows, write_chart
from wikilake_core.paths import PROJECT_ROOT

GROUP = ("pageviews-day", 1)


def test_a_bar_says_its_seconds_failed_or_nothing_where_the_engine_does_not_apply():
    assert _bar_label({GROUP: 86.1}, GROUP) == "86"
    assert _bar_label({GROUP: 0.62}, GROUP) == "0.6"
    assert _bar_label({GROUP: None}, GROUP) == "failed"
    assert _bar_label({("edits-100x", 1): 51.3}, GROUP) == ""


def test_every_committed_results_file_draws(tmp_path):
    for results in sorted((PROJECT_ROOT / "bench" / "results").glob("*.json")):
        png = write_chart(json.loads(results.read_text()), tmp_path / f"{results.stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), results


def test_growth_is_drawn_only_for_a_run_of_more_than_one_size():
    def row(engine, scale):
        return {"engine": engine, "scale": scale}

    assert grows([row("spark", 1), row("duckdb", 1), row("spark", 2)])
    assert not grows([row("spark", 1), row("duckdb", 1), row("duckdb", 2)])
