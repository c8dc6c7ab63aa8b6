"""Which job code the benchmark times: the working tree's spark_jobs/ or a git revision of it.

Timing a revision (``--jobs-rev HEAD``) keeps a run reproducible while the jobs are being edited:
its spark_jobs/ and wikilake_core/ (the core the jobs import, where the revision has it) are
exported with ``git archive`` under the cache and put first on the Python path of spark-submit,
so the job and every helper it imports come from that revision.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from wikilake_core.errors import WikilakeError
from wikilake_core.paths import CORE_DIR, PROJECT_ROOT, SPARK_JOBS_DIR

JOBS_PACKAGE = SPARK_JOBS_DIR.name
# What a job imports besides the standard library and pyspark.
JOB_CODE = (JOBS_PACKAGE, CORE_DIR.name)


@dataclass(frozen=True)
class JobsSource:
    jobs_dir: Path  # the folder holding <dataset>.py
    description: dict  # recorded in the results: revision, or working tree and its state

    @property
    def python_path(self) -> Path | None:
        """Folder to put first on PYTHONPATH (None: the installed working tree is right)."""
        return None if self.jobs_dir == SPARK_JOBS_DIR else self.jobs_dir.parent


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", b"") or str(err).encode()
        raise WikilakeError(f"git {' '.join(args)}: {detail.decode().strip()}") from None
    return done.stdout.decode().strip()


def working_tree() -> JobsSource:
    try:
        commit = _git("rev-parse", "HEAD")
        changed = bool(_git("status", "--porcelain", "--", *JOB_CODE))
    except WikilakeError:
        commit, changed = None, None
    return JobsSource(SPARK_JOBS_DIR, {"source": "working tree", "head": commit, "uncommitted_job_changes": changed})


def at_revision(rev: str, cache_root: Path) -> JobsSource:
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    target = cache_root / "jobs" / commit
    if not (target / JOBS_PACKAGE).is_dir():
        present = _git("ls-tree", "--name-only", commit, "--", *JOB_CODE).split()
        archive = subprocess.run(
            ["git", "archive", commit, *present], cwd=PROJECT_ROOT, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return JobsSource(target / JOBS_PACKAGE, {"source": "git revision", "rev": rev, "commit": commit})


def custom(jobs_dir: Path) -> JobsSource:
    return JobsSource(jobs_dir.resolve(), {"source": "folder", "path": str(jobs_dir.resolve())})
