"""The job package runs on the EMR Serverless image's own Python (no bootstrap actions there,
and a custom image needs Docker): spark_jobs/ and the wikilake_core/ it imports must not need a
newer Python than wikilake_core/release_labels.py names. That interpreter is not on this machine, so
vermin checks the source statically (syntax, stdlib modules and members, annotations)."""

import subprocess
import sys
from pathlib import Path

import pytest

from wikilake_core.paths import CORE_DIR, SPARK_JOBS_DIR
from wikilake_core.release_labels import DEFAULT_RELEASE_LABEL, RELEASES

VERMIN = Path(sys.executable).parent / "vermin"
TARGET = RELEASES[DEFAULT_RELEASE_LABEL].serverless_python


def vermin(*paths) -> subprocess.CompletedProcess:
    # --eval-annotations: dataclass fields and signatures count too; `from __future__ import
    # annotations` (which every module uses) keeps `X | None` legal on 3.9, and vermin knows it.
    return subprocess.run(
        [str(VERMIN), "--no-tips", "--violations", "--eval-annotations", f"--target={TARGET}-", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_default_release_names_its_serverless_python():
    assert TARGET == "3.9"


def test_job_package_runs_on_the_serverless_python():
    result = vermin(SPARK_JOBS_DIR, CORE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Analyzing" in result.stdout  # it did look at the files


@pytest.mark.parametrize(
    "source",
    [
        "match 1:\n    case _:\n        pass\n",  # 3.10 syntax
        "import tomllib\n",  # 3.11 module
        "from datetime import UTC\n",  # 3.11 member
        "pairs = list(zip([1], [2], strict=True))\n",  # 3.10 keyword
    ],
)
def test_the_check_catches_what_the_image_python_lacks(tmp_path, source):
    (tmp_path / "newer.py").write_text(source)
    result = vermin(tmp_path)
    assert result.returncode != 0, result.stdout
