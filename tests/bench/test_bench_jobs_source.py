"""The job code a benchmark times: the working tree, or a git revision exported on its own."""

from __future__ import annotations

import subprocess

from bench import jobs_source
from bench.engines import spark_env
from wikilake_core.paths import SPARK_JOBS_DIR


def test_a_revision_is_exported_and_put_first_on_the_python_path(tmp_path):
    source = jobs_source.at_revision("HEAD", tmp_path)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=SPARK_JOBS_DIR, text=True, capture_output=True, check=True
    ).stdout.strip()
    assert source.description["commit"] == commit
    assert (source.jobs_dir / "pageviews.py").is_file() and (source.jobs_dir / "edits.py").is_file()
    assert spark_env(source.python_path)["PYTHONPATH"].split(":")[0] == str(tmp_path / "jobs" / commit)
    # a second call reuses the export
    assert jobs_source.at_revision(commit, tmp_path).jobs_dir == source.jobs_dir


def test_the_working_tree_needs_no_python_path():
    source = jobs_source.working_tree()
    assert source.jobs_dir == SPARK_JOBS_DIR and source.python_path is None
    assert source.description["source"] == "working tree"
