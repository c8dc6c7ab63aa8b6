"""`wikilake profile --local`: after a real local run (the table of the run's stages,
the advice, a PNG), and its one-line errors (no run for the day, a run without a profile)."""

from __future__ import annotations

import json
from pathlib import Path

from wikilake.cli import main
from wikilake_core import layout


def profile_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["profile", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_profile_of_a_local_run_with_its_stages_advice_and_chart(capsys, small_runs, tmp_path, png_dimensions):
    dt = small_runs.days["pageviews"]["dt"]
    chart = tmp_path / "charts" / "profile.png"
    code, out, err = profile_cli(
        capsys, "pageviews", "--date", dt, "--local", "--lake", str(small_runs.lake), "--chart", str(chart)
    )
    assert (code, err) == (0, "")
    manifest = json.loads(Path(layout.manifest_path(str(small_runs.lake), "pageviews", dt)).read_text())
    profile = manifest["profile"]
    assert f"run {manifest['run_id']} on local, Spark application {profile['application_id']}" in " ".join(out.split())
    assert f"utilization {profile['utilization']:.0%}" in out
    table_rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit() and " · " in line]
    assert [int(row[0]) for row in table_rows] == [s["stage"] for s in profile["stages"]]
    assert "advice" in out
    width, height = png_dimensions(chart)
    assert width > 800 and height > 400
    assert f"chart: {chart}" in out


def test_a_day_without_a_run_is_one_line_and_exit_1(capsys, tmp_path):
    code, out, err = profile_cli(capsys, "edits", "--date", "2015-09-12", "--local", "--lake", str(tmp_path))
    assert code == 1 and out == ""
    assert err == (
        f"wikilake: error: no run of edits dt=2015-09-12 in the lake {tmp_path}: run it first "
        "(wikilake local run edits --date 2015-09-12 --input ...)\n"
    )


def test_a_run_recorded_without_a_profile_is_one_line_and_exit_1(capsys, tmp_path):
    path = Path(layout.manifest_path(str(tmp_path), "edits", "2015-09-12"))
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"dataset": "edits", "dt": "2015-09-12", "run_id": "r1", "profile": None}))
    code, _, err = profile_cli(capsys, "edits", "--date", "2015-09-12", "--local", "--lake", str(tmp_path))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("wikilake: error: edits dt=2015-09-12: its run r1 has no profile")


def test_a_chart_that_is_not_a_png_is_refused_before_anything_is_read(capsys, tmp_path):
    code, _, err = profile_cli(
        capsys, "edits", "--date", "2015-09-12", "--local", "--lake", str(tmp_path), "--chart", "p.svg"
    )
    assert code == 1 and "--chart p.svg: charts are PNG files" in err


def test_the_advice_that_applies_is_printed_with_its_setting(capsys, tmp_path):
    """A hand-written local run that spilled 300 MB after a shuffle: the spill advice, nothing else."""
    stage = {
        "stage": 4,
        "name": "parquet at pageviews.py:210",
        "seconds": 50.0,
        "tasks": 8,
        "task_seconds": 90.0,
        "max_task_seconds": 12.0,
        "median_task_seconds": 11.0,
        "input_bytes": 0,
        "shuffle_read_bytes": 10**9,
        "spill_bytes": 300 * 2**20,
    }
    profile = {
        "application_id": "local-1",
        "wall_seconds": 60.0,
        "executors": 1,
        "hosts": 1,
        "cores": 2,
        "core_seconds_available": 120.0,
        "task_seconds": 100.0,
        "utilization": 0.8333,
        "gc_seconds": 1.0,
        "input_bytes": 10**9,
        "shuffle_bytes": 10**9,
        "spill_bytes": 300 * 2**20,
        "settings": {"spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "4"},
        "stages": [stage],
        "timeline": {"step_seconds": 1.0, "busy_cores": [1.6] * 60, "cores": [2.0] * 60},
    }
    path = Path(layout.manifest_path(str(tmp_path), "pageviews", "2024-03-15"))
    path.parent.mkdir(parents=True)
    manifest = {"dataset": "pageviews", "dt": "2024-03-15", "run_id": "r2", "runtime": "local", "profile": profile}
    path.write_text(json.dumps(manifest))
    code, out, _ = profile_cli(capsys, "pageviews", "--date", "2024-03-15", "--local", "--lake", str(tmp_path))
    advice = [" ".join(line.split()) for line in " ".join(out.splitlines()).split("advice ")[1:]]
    assert code == 0 and len(advice) == 1
    assert advice[0].startswith("1 (spill): 314.6 MB spilled (memory and disk) in stage 4: set ")
    assert "--conf spark.sql.shuffle.partitions=8 and WIKILAKE_DRIVER_MEMORY=8g" in advice[0]
