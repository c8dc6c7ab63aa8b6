"""The job code version in the manifest: the same digest from the project folder and from the zip
spark-submit gets (--py-files, as stacks/job_code.py packs it: spark_jobs/ and wikilake_core/ at
its root), and a different one when a source changes."""

import subprocess
import sys
import zipfile

from spark_jobs.code_version import job_code_version
from wikilake_core.paths import CORE_DIR, PROJECT_ROOT, SPARK_JOBS_DIR

PRINT_VERSION = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from spark_jobs.code_version import job_code_version; print(job_code_version())"
)


def version_from_zip(path) -> str:
    # -I: no site-packages, no cwd: the packages can only come from the zip
    done = subprocess.run(
        [sys.executable, "-I", "-c", PRINT_VERSION, str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def job_zip(path, change: str = "") -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for folder in (SPARK_JOBS_DIR, CORE_DIR):
            for source in sorted(folder.glob("*.py")):
                text = source.read_text()
                if change and source.name == "layout.py":
                    text += change
                archive.writestr(source.relative_to(PROJECT_ROOT).as_posix(), text)


def test_the_zip_and_the_folder_give_the_same_version_and_a_change_another(tmp_path):
    job_zip(tmp_path / "same.zip")
    job_zip(tmp_path / "changed.zip", change="\n# changed\n")
    version = job_code_version()
    assert len(version) == 12 and int(version, 16) >= 0
    assert version_from_zip(tmp_path / "same.zip") == version
    assert version_from_zip(tmp_path / "changed.zip") != version
