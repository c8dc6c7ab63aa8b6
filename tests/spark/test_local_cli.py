"""`wikilake local run` end to end (in-process CLI on the shared session) and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from spark_helpers import PAGEVIEWS_DT, write_gz

from tests.own_jvm import own_process_env
from wikilake.cli import main
from wikilake.local.runner import run_local
from wikilake_core.errors import WikilakeError
from wikilake_core.paths import SAMPLES_DIR

pytestmark = pytest.mark.spark

EVENT = json.dumps(
    {
        "time": "2015-09-12T01:02:03.456Z",
        "channel": "#en.wikipedia",
        "page": "Apollo",
        "user": "a",
        "isRobot": False,
        "countryName": "United States",
        "added": 3,
        "deleted": 1,
        "delta": 2,
    }
)


def test_local_run_prints_rows_per_table_rejects_and_rate(spark, tmp_path, capsys):
    source = write_gz(tmp_path / "edits.json.gz", [EVENT, EVENT, "garbage", ""])
    code = main(
        ["local", "run", "edits", "--date", "2015-09-12", "--input", str(source), "--lake", str(tmp_path / "lake")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "edits_filtered" in out and "3 records from 1 file(s): 2 valid, 1 rejected" in out
    assert "invalid JSON: 1" in out and "records/s" in out
    manifest = json.loads((tmp_path / "lake/manifests/edits/dt=2015-09-12/manifest.json").read_text())
    assert manifest["rows_written"] == {"edits": 2, "edits_filtered": 2, "edits_by_channel": 1}
    assert spark.sparkContext._jsc is not None, "the CLI must not stop a session it did not start"


def test_local_run_pageviews_on_the_shipped_sample_day(spark, tmp_path):
    sample = SAMPLES_DIR / "pageviews" / f"dt={PAGEVIEWS_DT}"
    assert len(list(sample.glob("pageviews-20240315-*.gz"))) == 24
    manifest = run_local("pageviews", PAGEVIEWS_DT, str(sample), lake=str(tmp_path / "lake"))
    assert manifest["input_records"] == manifest["valid_records"] + manifest["rejected_records"]
    assert manifest["valid_records"] == 24 * 8_000 and manifest["rejected_records"] > 0
    assert manifest["hours"] == list(range(24))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["edits", "--date", "2015-09-12", "--input", "{tmp}/missing.json"], "no input files match"),
        (["edits", "--date", "12-09-2015", "--input", "x"], "bad date '12-09-2015'"),
        (["pageviews", "--date", "2024-03-16", "--input", "{sample}"], "is for 20240315, not --date 2024-03-16"),
        (
            ["pageviews", "--date", PAGEVIEWS_DT, "--input", "{sample}", "--country", "France"],
            "--country applies to the edits dataset only",
        ),
    ],
)
def test_bad_input_is_one_line_and_non_zero(spark, tmp_path, capsys, argv, message):
    sample = str(SAMPLES_DIR / "pageviews" / f"dt={PAGEVIEWS_DT}")
    argv = [a.format(tmp=tmp_path, sample=sample) for a in argv]
    code = main(["local", "run", *argv, "--lake", str(tmp_path / "lake")])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "lake" / "processed").exists()


def test_unknown_dataset_is_refused(spark):
    with pytest.raises(WikilakeError, match="unknown dataset"):
        run_local("nosuch", "2015-09-12", "x")


BROKEN_GZIP = b"\x1f\x8b\x08\x00 not really gzip"  # a gzip header, then no valid deflate block
BROKEN_GZIP_ERROR = (
    "wikilake: error: edits dt=2015-09-12 failed: cannot read file://{path}: IOException: invalid code lengths set"
)


def test_unreadable_input_is_one_line_naming_the_file(spark, tmp_path, capsys):
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(BROKEN_GZIP)
    code = main(
        ["local", "run", "edits", "--date", "2015-09-12", "--input", str(broken), "--lake", str(tmp_path / "lake")]
    )
    assert code == 1
    assert capsys.readouterr().err == BROKEN_GZIP_ERROR.format(path=broken) + "\n"


def test_a_failed_run_in_its_own_process_prints_one_line(tmp_path):
    """The whole stderr of a fresh `wikilake local run`, the JVM's included (its own session)."""
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(BROKEN_GZIP)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "wikilake",
            "local",
            "run",
            "edits",
            "--date",
            "2015-09-12",
            "--input",
            str(broken),
            "--lake",
            str(tmp_path / "lake"),
        ],
        capture_output=True,
        text=True,
        env=own_process_env(),
    )
    assert run.returncode == 1
    assert run.stderr == BROKEN_GZIP_ERROR.format(path=broken) + "\n"
