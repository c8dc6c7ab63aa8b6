import pytest

from wikilake_core.datasets import DATASETS
from wikilake_core.errors import WikilakeError
from wikilake_core.submit import JobScripts, parse_step_spec, spark_step

SCRIPTS = JobScripts("s3://assets/jobs.zip", {name: f"s3://assets/{name}.py" for name in DATASETS})


def test_step_runs_the_dataset_entrypoint_on_that_days_raw_partition():
    step = spark_step("edits", "2015-09-12", bucket="lake-bucket", scripts=SCRIPTS, job_options=("--country", "France"))
    args = step["HadoopJarStep"]["Args"]
    assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
    assert args[:6] == [
        "spark-submit",
        "--deploy-mode",
        "cluster",
        "--py-files",
        "s3://assets/jobs.zip",
        "s3://assets/edits.py",
    ]
    assert args[6:] == [
        "--date",
        "2015-09-12",
        "--input",
        "s3://lake-bucket/raw/edits/dt=2015-09-12/",
        "--output-root",
        "s3://lake-bucket",
        "--country",
        "France",
    ]


@pytest.mark.parametrize(
    "spec, message",
    [
        ("edits", "write <dataset>@<YYYY-MM-DD>"),
        ("clicks@2015-09-12", "unknown dataset 'clicks'"),
        ("edits@2015-13-01", "bad date '2015-13-01'"),
    ],
)
def test_bad_step_specs_are_refused_with_the_fix(spec, message):
    with pytest.raises(WikilakeError, match=message):
        parse_step_spec(spec)


def test_good_step_spec():
    assert parse_step_spec(" pageviews@2024-01-31 ") == ("pageviews", "2024-01-31")


def test_one_builder_renders_the_same_entry_point_and_arguments_on_both_runtimes():
    from wikilake_core.submit import job_submit

    submit = job_submit(
        "pageviews", "2024-03-15", bucket="lake-bucket", scripts=SCRIPTS, job_options=("--allow-missing-hours",)
    )
    argv = spark_step(
        "pageviews", "2024-03-15", bucket="lake-bucket", scripts=SCRIPTS, job_options=("--allow-missing-hours",)
    )["HadoopJarStep"]["Args"]
    driver = submit.serverless_job_driver()["sparkSubmit"]
    entry = argv.index("s3://assets/pageviews.py")
    assert driver["entryPoint"] == argv[entry] == "s3://assets/pageviews.py"
    assert (
        driver["entryPointArguments"]
        == argv[entry + 1 :]
        == [
            "--date",
            "2024-03-15",
            "--input",
            "s3://lake-bucket/raw/pageviews/dt=2024-03-15/",
            "--output-root",
            "s3://lake-bucket",
            "--allow-missing-hours",
        ]
    )
    # The package goes with the job on both: --py-files before the entry point.
    assert argv[argv.index("--py-files") + 1] == "s3://assets/jobs.zip"
    assert driver["sparkSubmitParameters"].startswith("--py-files s3://assets/jobs.zip ")


def test_serverless_gets_the_datasets_sizes_and_the_ec2_step_leaves_them_to_the_instance_types():
    from wikilake_core import datasets
    from wikilake_core.submit import job_submit

    for name in datasets.DATASETS:
        size = datasets.get(name).size
        submit = job_submit(name, "2024-03-15", bucket="b", scripts=SCRIPTS)
        parameters = submit.serverless_job_driver()["sparkSubmit"]["sparkSubmitParameters"]
        for expected in (
            f"--conf spark.driver.cores={size.driver_vcpu}",
            f"--conf spark.driver.memory={size.driver_memory_gb}g",
            f"--conf spark.executor.cores={size.executor_vcpu}",
            f"--conf spark.executor.memory={size.executor_memory_gb}g",
            f"--conf spark.dynamicAllocation.maxExecutors={size.max_executors}",
        ):
            assert expected in parameters
        assert not any(arg.startswith("spark.") for arg in submit.spark_submit_argv())


def test_sizes_fit_the_default_serverless_caps_and_serverless_workers():
    """Each job at its peak fits the default application caps (cdk.json), and each worker is a
    size EMR Serverless offers (1, 2, 4, 8 or 16 vCPU, 2-8 GB per vCPU)."""
    import json

    from wikilake_core import datasets
    from wikilake_core.paths import PROJECT_ROOT

    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    for dataset in datasets.REGISTRY.values():
        size = dataset.size
        assert size.peak_vcpu <= context["serverless_max_vcpu"], dataset.name
        assert size.peak_memory_gb <= context["serverless_max_memory_gb"], dataset.name
        for vcpu, heap in ((size.driver_vcpu, size.driver_memory_gb), (size.executor_vcpu, size.executor_memory_gb)):
            assert vcpu in (1, 2, 4, 8, 16)
            assert 2 * vcpu <= size.worker_memory_gb(heap) <= 8 * vcpu


def test_the_step_is_named_for_its_run_and_leaves_the_cluster_up_on_failure():
    """ActionOnFailure CONTINUE by default (the interactive cluster outlives a failed step);
    the EMR API's own key names (AddJobFlowSteps: Name, ActionOnFailure, HadoopJarStep)."""
    step = spark_step("edits", "2015-09-12", bucket="lake-bucket", scripts=SCRIPTS)
    assert set(step) == {"Name", "ActionOnFailure", "HadoopJarStep"}
    assert (step["Name"], step["ActionOnFailure"]) == ("wikilake edits dt=2015-09-12", "CONTINUE")
    terminate = spark_step("edits", "2015-09-12", bucket="b", scripts=SCRIPTS, action_on_failure="TERMINATE_CLUSTER")
    assert terminate["ActionOnFailure"] == "TERMINATE_CLUSTER"


def test_the_serverless_job_carries_the_run_name_and_the_driver_fields():
    from wikilake_core.submit import job_submit

    submit = job_submit("articles", "2016-05-01", bucket="lake-bucket", scripts=SCRIPTS)
    driver = submit.serverless_job_driver()["sparkSubmit"]
    assert submit.serverless_job() == {
        "name": "wikilake articles dt=2016-05-01",
        "entry_point": "s3://assets/articles.py",
        "arguments": driver["entryPointArguments"],
        "spark_submit_parameters": driver["sparkSubmitParameters"],
    }
    assert driver["entryPointArguments"][:2] == ["--date", "2016-05-01"]


def test_a_step_spec_splits_at_its_first_at_sign():
    with pytest.raises(WikilakeError, match=r"^bad date '2015-09-12@x'"):
        parse_step_spec("edits@2015-09-12@x")


def test_a_sized_run_brings_its_own_executor_maximum():
    from wikilake_core.submit import job_submit

    sized = job_submit("pageviews", "2024-03-15", bucket="b", scripts=SCRIPTS, max_executors=7)
    assert ("spark.dynamicAllocation.maxExecutors", "7") in sized.serverless_properties
