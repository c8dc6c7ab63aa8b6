import pytest

from wikilake_core.errors import WikilakeError
from wikilake_core.submit import JobScripts, parse_step_spec, spark_step

SCRIPTS = JobScripts("s3://assets/jobs.zip", {"edits": "s3://assets/edits.py", "pageviews": "s3://assets/pv.py"})


def test_step_runs_the_dataset_entrypoint_on_that_days_raw_partition():
    step = spark_step("edits", "2015-09-12", bucket="lake-bucket", scripts=SCRIPTS,
                      job_options=("--country", "France"))
    args = step["HadoopJarStep"]["Args"]
    assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
    assert args[:6] == ["spark-submit", "--deploy-mode", "cluster", "--py-files",
                        "s3://assets/jobs.zip", "s3://assets/edits.py"]
    assert args[6:] == ["--date", "2015-09-12", "--input", "s3://lake-bucket/raw/edits/dt=2015-09-12/",
                        "--output-root", "s3://lake-bucket", "--country", "France"]


@pytest.mark.parametrize("spec, message", [
    ("edits", "write <dataset>@<YYYY-MM-DD>"),
    ("clicks@2015-09-12", "unknown dataset 'clicks'"),
    ("edits@2015-13-01", "bad date '2015-13-01'"),
])
def test_bad_step_specs_are_refused_with_the_fix(spec, message):
    with pytest.raises(WikilakeError, match=message):
        parse_step_spec(spec)


def test_good_step_spec():
    assert parse_step_spec(" pageviews@2024-01-31 ") == ("pageviews", "2024-01-31")
