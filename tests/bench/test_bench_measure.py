"""Wall time and peak RSS of a process tree, per process."""

from __future__ import annotations

import sys

from bench import measure
from bench.measure import run_measured

ALLOCATE = "x = bytearray(300 * 2**20); x[::4096] = b'1' * len(x[::4096]); import time; time.sleep(0.5)"


def test_peak_rss_is_found_per_process_in_the_tree(tmp_path):
    # a shell whose child allocates 300 MB: the child's peak is found, the shell's stays small
    measured = run_measured(["sh", "-c", f'"{sys.executable}" -c "{ALLOCATE}"; sleep 0.2'], log_path=tmp_path / "log")
    assert measured.returncode == 0
    assert measured.wall_s >= 0.7
    python = next(p for p in measured.processes if p.name.startswith("python"))
    assert 300 * 2**20 <= python.peak_rss_bytes < 400 * 2**20
    assert measured.peak_rss("sh") < 50 * 2**20
    assert measured.peak_rss() == python.peak_rss_bytes
    # touching 300 MB page by page costs the child CPU time, counted in the tree's
    assert 0 < measured.cpu_s < measured.wall_s


def test_exit_status_and_output_are_kept(tmp_path):
    measured = run_measured(["sh", "-c", "echo failing here; exit 3"], log_path=tmp_path / "log")
    assert measured.returncode == 3
    assert "failing here" in measured.log_tail()


def test_the_tree_is_walked_less_often_than_its_processes_are_read(tmp_path, monkeypatch):
    """A walk reads every thread of every process (a Spark JVM has 60-120): at the sampling rate it
    took up to a tenth of a core from the run it measured. A child started late is still found."""
    walks = []
    children = measure._children
    monkeypatch.setattr(measure, "_children", lambda pid: walks.append(pid) or children(pid))
    late_child = f'sleep 0.6; "{sys.executable}" -c "{ALLOCATE}"'
    measured = run_measured(["sh", "-c", late_child], log_path=tmp_path / "log")
    python = next(p for p in measured.processes if p.name.startswith("python"))
    assert 300 * 2**20 <= python.peak_rss_bytes < 400 * 2**20
    # ~1.4 s of samples every 0.05 s; a walk, which starts at the root, every 0.25 s at most
    walked = walks.count(walks[0])
    assert walked <= measured.wall_s / measure.WALK_INTERVAL_S + 2 < measured.wall_s / measure.SAMPLE_INTERVAL_S
