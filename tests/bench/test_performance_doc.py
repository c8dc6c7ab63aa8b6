"""docs/performance.md shows the newest bench run as its committed results files hold it, and the
README quotes no figure of it (it points to performance.md and bench/results/ instead).

The tables are a generated region of the doc (tests/doc_regions.py, rendered by bench/markdown.py):
a new results file in bench/results/ fails this test until `make docs-tables` rewrites them and
someone reads the new run (the analysis heading names the run's start, date and time).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from bench.markdown import _jobs, newest_run, render
from tests.doc_regions import check_region
from wikilake_core.paths import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
PERFORMANCE = PROJECT_ROOT / "docs" / "performance.md"
README = PROJECT_ROOT / "README.md"


def test_performance_doc_shows_the_newest_run():
    files = newest_run(RESULTS)
    source = ", ".join(f"{path.relative_to(PROJECT_ROOT)}" for path in files)
    check_region(PERFORMANCE, "bench-results", source, render(files, PROJECT_ROOT))


def test_the_analysis_is_of_the_run_the_tables_show():
    """The analysis heading names the run's start (a second run on the same day is another run)."""
    started = min(datetime.fromisoformat(json.loads(path.read_text())["started_at"]) for path in newest_run(RESULTS))
    heading = f"### Reading the run of {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    assert heading in PERFORMANCE.read_text(), f"performance.md: no analysis of the newest run: {heading!r}"


def _results(path: Path, started: str, finished: str) -> Path:
    path.write_text(json.dumps({"started_at": started, "finished_at": finished}))
    return path


def test_newest_run_is_the_last_finished_file_and_those_beside_it(tmp_path):
    old = _results(tmp_path / "a.json", "2026-01-01T09:00:00+00:00", "2026-01-01T09:30:00+00:00")
    part = _results(tmp_path / "b.json", "2026-01-01T10:00:00+00:00", "2026-01-01T10:30:00+00:00")
    last = _results(tmp_path / "c.json", "2026-01-01T10:20:00+00:00", "2026-01-01T10:40:00+00:00")
    assert newest_run(tmp_path) == [part, last]
    assert old not in newest_run(tmp_path)
    later = _results(tmp_path / "d.json", "2026-01-02T08:00:00+02:00", "2026-01-02T08:05:00+02:00")
    assert newest_run(tmp_path) == [later]
    # a part started right after the run before it (a big input timed on its own) is the same run
    after = _results(tmp_path / "e.json", "2026-01-02T06:09:00+00:00", "2026-01-02T06:20:00+00:00")
    assert newest_run(tmp_path) == [later, after]
    _results(tmp_path / "f.json", "2026-01-02T06:26:00+00:00", "2026-01-02T06:30:00+00:00")
    assert newest_run(tmp_path) == [tmp_path / "f.json"]


def test_rendered_figures_match_the_published_table_of_2026_12_06():
    """The figures of the table that was written by hand for the 2026-12-06 run (commit 0aa50e4),
    one row of each file: the rendering reads the same fields the same way."""
    files = [RESULTS / "2026-12-06-articles.json", RESULTS / "2026-12-06-lines.json"]
    rows = render(files, PROJECT_ROOT).splitlines()

    def row(start: str) -> list[str]:
        [line] = [line for line in rows if line.startswith(start)]
        return [cell.strip() for cell in line.strip("|").split("|")]

    sample = row("| articles-sample 1x (1 file, 2 MB, 206 records) | our job |")
    assert sample[3:] == ["**56.0 s**", "56.0 s", "31.87x", "63.52x", "1.66x", "53.23x", "46.8 s", "1.04 GB"]
    edits = row("| edits-100x 1x (10 files, 237 MB, 3,924,400 records) | our job |")
    assert edits[3:] == ["**313.1 s**", "313.1 s", "6.23x", "19.94x", "295.9 s", "2.98 GB"]
    target = row("| edits-100x 1x: spark wall / duckdb wall (best of N) |")
    assert target[1:] == ["6.23", "4.00", "**no**"]


def test_readme_points_to_the_results_and_copies_no_figure():
    readme = README.read_text()
    [paragraph] = [p for p in readme.split("\n\n") if p.startswith("Performance")]
    assert "(docs/performance.md)" in paragraph and "(bench/results/)" in paragraph
    assert not re.search(r"\d", paragraph), f"README's performance paragraph quotes figures: {paragraph}"
    assert not re.findall(r"\b\d+(?:\.\d+)?x\b", readme), "README quotes a speed ratio: point to performance.md"


def _dollars(text: str) -> set[float]:
    return {float(figure) for figure in re.findall(r"\$(\d+(?:\.\d+)?)", text)}


def test_readme_costs_are_the_docs_estimates():
    """The README's cost line copies the estimates of docs/running-daily.md (EMR on EC2, one run and
    a month) and docs/runtimes.md (EMR Serverless): each of its dollar figures is one of theirs."""
    [costs] = [p for p in README.read_text().split("\n\n") if p.startswith("Cost,")]
    figures = _dollars(costs.split(". ")[0])
    estimates = _dollars((PROJECT_ROOT / "docs" / "running-daily.md").read_text())
    estimates |= _dollars((PROJECT_ROOT / "docs" / "runtimes.md").read_text())
    assert figures and figures <= estimates, sorted(figures - estimates)


def test_each_kind_of_timed_job_code_is_named():
    """The three sources bench/jobs_source.py records (a revision, the working tree, a folder)."""
    assert (
        _jobs({"source": "git revision", "rev": "HEAD", "commit": "0b08e2af54bc"}) == "at `0b08e2a` (git revision HEAD)"
    )
    tree = {"source": "working tree", "head": "0b08e2af54bc", "uncommitted_job_changes": False}
    assert _jobs(tree) == "at `0b08e2a` (working tree)"
    assert (
        _jobs({**tree, "uncommitted_job_changes": True}) == "at `0b08e2a` (working tree with uncommitted job changes)"
    )
    assert _jobs({**tree, "head": None}) == "of a working tree outside git"
    assert _jobs({"source": "folder", "path": "/tmp/tuned"}) == "from the folder /tmp/tuned"
