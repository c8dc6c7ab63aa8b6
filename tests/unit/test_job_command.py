"""One command line for every runner (wikilake_core.job_command): the EMR step, the EMR Serverless
job run, the local runner and the bench pass the job the same arguments, and the job's own parser
(spark_jobs/arguments.py) reads them as the same run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.engines import DEFAULT_SPARK_CONF, LOCAL_MASTER, Engine
from bench.inputs import CachedInput
from spark_jobs.arguments import parse_job_args
from wikilake.local.runner import job_argv
from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError
from wikilake_core.job_command import job_arguments, spark_submit_argv
from wikilake_core.paths import SPARK_JOBS_DIR
from wikilake_core.submit import JobScripts, job_submit, spark_step

SCRIPTS = JobScripts("s3://assets/jobs.zip", {name: f"s3://assets/{name}.py" for name in DATASETS})
RUN_ID = "edits-2015-09-12-20261207T043000Z"
DT = "2015-09-12"
OPTIONS = ("--country", "France")


def _after(argv: list[str], entry_point: str) -> list[str]:
    """The job-argument part of a spark-submit argv: everything after the entry point."""
    return argv[argv.index(entry_point) + 1 :]


def _flags(arguments: list[str]) -> list[str]:
    return [arg for arg in arguments if arg.startswith("--")]


def _emr_job_arguments() -> list[str]:
    step = spark_step("edits", DT, bucket="lake-bucket", scripts=SCRIPTS, run_id=RUN_ID, job_options=OPTIONS)
    return _after(step["HadoopJarStep"]["Args"], "s3://assets/edits.py")


def test_a_local_run_and_an_emr_step_of_the_same_run_pass_the_same_job_arguments(tmp_path):
    emr = _emr_job_arguments()
    local = job_argv("edits", DT, [str(tmp_path / "raw")], str(tmp_path / "lake"), RUN_ID, OPTIONS)
    # The same flags in the same order; only where the day is read and written differs.
    assert _flags(emr) == _flags(local) == ["--date", "--input", "--output-root", "--run-id", "--country"]
    on_emr, here = vars(parse_job_args("edits", emr)), vars(parse_job_args("edits", local))
    assert (on_emr["input"], on_emr["output_root"]) == (
        ["s3://lake-bucket/raw/edits/dt=2015-09-12/"],
        "s3://lake-bucket",
    )
    assert (here["input"], here["output_root"]) == ([str(tmp_path / "raw")], str(tmp_path / "lake"))
    places = {"input": None, "output_root": None}
    assert (
        {**on_emr, **places}
        == {**here, **places}
        == {
            "date": DT,
            "run_id": RUN_ID,
            "country": "France",
            **places,
        }
    )
    # A local run reading the lake's own raw/ partition of an s3:// root is the EMR step's command.
    same_place = job_argv(
        "edits", DT, ["s3://lake-bucket/raw/edits/dt=2015-09-12/"], "s3://lake-bucket", RUN_ID, OPTIONS
    )
    assert same_place == emr


def test_the_serverless_job_run_passes_the_emr_steps_job_arguments():
    job = job_submit("edits", DT, bucket="lake-bucket", scripts=SCRIPTS, run_id=RUN_ID, job_options=OPTIONS)
    assert job.serverless_job()["arguments"] == _emr_job_arguments()


def test_local_paths_are_made_absolute_and_a_run_without_input_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = job_argv("pageviews", "2024-03-15", ["raw/a.gz", "raw/b.gz"], "lake", RUN_ID)
    assert argv[argv.index("--input") + 1 : argv.index("--output-root")] == [
        str(tmp_path / "raw/a.gz"),
        str(tmp_path / "raw/b.gz"),
    ]
    assert argv[argv.index("--output-root") + 1] == str(tmp_path / "lake")
    with pytest.raises(WikilakeError, match="no --input given"):
        job_argv("pageviews", "2024-03-15", [], "lake", RUN_ID)
    with pytest.raises(WikilakeError, match="unknown dataset 'clicks'"):
        job_arguments("clicks", DT, inputs=["x"], output_root="lake")


def _cached(tmp_path: Path) -> CachedInput:
    files = tuple(tmp_path / f"part-{n}.json.gz" for n in range(2))
    return CachedInput("edits-100x", "edits", 1, DT, tmp_path, files, records=10, gz_bytes=100)


def test_the_bench_times_the_command_line_every_runner_builds(tmp_path):
    data, out = _cached(tmp_path / "in"), tmp_path / "out"
    argv = Engine("spark", "spark", spark_conf=dict(DEFAULT_SPARK_CONF)).argv(data, out)
    entry_point = str(SPARK_JOBS_DIR / "edits.py")
    arguments = _after(argv, entry_point)
    assert arguments == job_arguments("edits", DT, inputs=[data.glob], output_root=str(out))
    assert vars(parse_job_args("edits", arguments)) == {
        "date": DT,
        "input": [str(tmp_path / "in" / "*.json.gz")],
        "output_root": str(out),
        "run_id": None,  # the job makes one; the bench finds it under run-manifests/
        "country": "United States",
    }
    # spark-submit on local[2], the bench's Spark settings (and its event log) as --conf pairs.
    confs = dict(argv[i + 1].split("=", 1) for i, arg in enumerate(argv) if arg == "--conf")
    assert argv[0].endswith("spark-submit") and argv[1:3] == ["--master", LOCAL_MASTER]
    assert confs.items() >= DEFAULT_SPARK_CONF.items() and confs["spark.eventLog.enabled"] == "true"
    assert argv == spark_submit_argv(
        entry_point, arguments, launcher=argv[0], options=["--master", LOCAL_MASTER], properties=confs.items()
    )


def test_the_duckdb_peer_gets_the_jobs_arguments_and_its_threads(tmp_path):
    data, out = _cached(tmp_path / "in"), tmp_path / "out"
    argv = Engine("duckdb", "peer").argv(data, out)
    assert argv[1:4] == ["-m", "bench.peer", "edits"]
    assert argv[4:-2] == job_arguments("edits", DT, inputs=[data.glob], output_root=str(out))
    assert argv[-2:] == ["--threads", "2"]
