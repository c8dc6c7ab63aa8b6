"""`wikilake status` against moto."""

from __future__ import annotations

import pytest

from wikilake.aws.status import lake_partitions
from wikilake_core import datasets
from wikilake_core.submit import JobScripts, spark_step


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")


@pytest.fixture
def lake(deployed, clients):
    keys = [
        "raw/pageviews/dt=2024-03-15/pageviews-20240315-000000.gz",
        "raw/pageviews/dt=2024-03-16/pageviews-20240316-000000.gz",
        "raw/pageviews/_SUCCESS",
        "raw/edits/dt=2015-09-12/wikiticker-2015-09-12-sampled.json.gz",
        "processed/pageviews_daily/dt=2024-03-15/part-00000.parquet",
        "processed/pageviews_daily/dt=2024-03-15/part-00001.parquet",
        "processed/edits_by_channel/dt=2015-09-12/part-00000.parquet",
    ]
    for key in keys:
        clients.s3.put_object(Bucket=deployed.bucket, Key=key, Body=b"x")
    return keys


def test_partitions_are_the_dt_folders_present(deployed, clients, lake):
    partitions = lake_partitions(clients.s3, deployed.bucket)

    assert partitions["raw/pageviews"] == ["2024-03-15", "2024-03-16"]
    assert partitions["raw/edits"] == ["2015-09-12"]
    assert partitions["processed/pageviews_daily"] == ["2024-03-15"]
    assert partitions["processed/edits_by_channel"] == ["2015-09-12"]
    assert partitions["processed/projectviews_hourly"] == []
    assert set(partitions) == (
        {f"raw/{dataset}" for dataset in datasets.DATASETS} | {f"processed/{table}" for table in datasets.TABLES}
    )
    assert partitions["raw/articles"] == partitions["processed/article_links"] == []


def test_status_shows_stacks_outputs_cluster_steps_and_lake(wikilake, deployed, clients, aws_options, lake):
    # a step on the interactive cluster, as a pipeline run on it adds one
    scripts = JobScripts(package_url="s3://cdk-assets-123/spark_jobs.zip", entrypoint_urls={"edits": "s3://x/edits.py"})
    step = spark_step("edits", "2015-09-12", bucket=deployed.bucket, scripts=scripts, job_options=("--run-id", "r1"))
    clients.emr.add_job_flow_steps(JobFlowId=deployed.cluster_id, Steps=[step])

    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    for stack in deployed.stacks.values():
        assert f"{stack} " in out
    assert out.count("CREATE_COMPLETE") == 3
    for key, value in deployed.outputs.items():
        assert key in out and value in out
    assert deployed.cluster_id in out and "RUNNING" in out and "emr-7.13.0" in out
    assert "wikilake edits dt=2015-09-12" in out
    pageviews_row = next(line for line in out.splitlines() if "raw/pageviews/" in line)
    assert "2 " in pageviews_row and "2024-03-15, 2024-03-16" in pageviews_row


def test_status_with_the_processing_stack_missing_still_shows_the_rest(wikilake, deployed, clients, aws_options, lake):
    clients.cloudformation.delete_stack(StackName=deployed.stacks["processing"])

    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert "NOT_DEPLOYED" in out and "EMR cluster" not in out
    assert "raw/edits/" in out


def test_status_with_half_the_credentials(wikilake, aws_options, monkeypatch):
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = wikilake("status", *aws_options)
    assert code == 1
    assert err == (
        "wikilake: error: cannot load AWS credentials: Partial credentials found in env, "
        "missing: AWS_SECRET_ACCESS_KEY\n"
    )


def test_status_without_an_interactive_cluster_lists_the_latest_runs(wikilake, pipeline, clients, aws_options):
    from aws_stacks import redeploy

    from wikilake_core.contract import Outputs

    pipeline.deploy()
    redeploy(clients.cloudformation, pipeline.deployment, "processing", drop=[Outputs.CLUSTER_ID])
    assert wikilake("run", "pageviews", "--date", "2024-03-15", "--poll", "0.05", *aws_options)[0] == 0

    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert "no interactive cluster" in out and "EMR cluster" not in out
    row = next(line for line in out.splitlines() if "2024-03-15" in line and "pageviews " in line)
    assert "SUCCEEDED" in row


def _with_dead_letter_queue(clients, deployed) -> str:
    """The processing stack with the failure sink's output, naming a queue that exists in moto."""
    from aws_stacks import redeploy

    from wikilake_core.contract import Outputs

    url = clients.sqs.create_queue(QueueName="wikilake-dev-dead-letters")["QueueUrl"]
    redeploy(clients.cloudformation, deployed, "processing", **{Outputs.DEAD_LETTER_QUEUE_URL: url})
    return url


def test_status_counts_the_dead_letters_waiting_and_says_how_to_read_them(wikilake, deployed, clients, aws_options):
    url = _with_dead_letter_queue(clients, deployed)
    for body in ('{"detail-type": "Step Functions Execution Status Change"}', '{"requestPayload": {}}'):
        clients.sqs.send_message(QueueUrl=url, MessageBody=body)
    clients.sqs.send_message(QueueUrl=url, MessageBody='{"being": "read"}')
    clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)  # one in flight

    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert f"dead letters: 2 waiting, 1 being read in {url}" in out
    assert (
        f"aws sqs receive-message --region us-east-1 --queue-url {url} --max-number-of-messages 10 "
        "--attribute-names All --message-attribute-names All"
    ) in out
    assert f"aws sqs delete-message --region us-east-1 --queue-url {url} --receipt-handle <ReceiptHandle>" in out
    # read-only: status itself received nothing (the two letters are still there to read)
    attributes = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_status_with_an_empty_sink_says_so_in_one_line(wikilake, deployed, clients, aws_options):
    _with_dead_letter_queue(clients, deployed)

    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert "dead letters: none" in out and "receive-message" not in out


def test_status_of_a_deployment_without_the_sink_output_shows_no_dead_letter_line(wikilake, deployed, aws_options):
    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert "dead letters" not in out


DASHBOARD = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=Wikilake-dev-pipeline-us-east-1"


def test_status_prints_the_dashboard_url_whole_on_one_line(wikilake, deployed, clients, aws_options, monkeypatch):
    """Even on a terminal narrower than the URL: a link folded over lines cannot be opened."""
    from aws_stacks import redeploy

    from wikilake_core.contract import Outputs

    monkeypatch.setenv("COLUMNS", "80")
    redeploy(clients.cloudformation, deployed, "processing", **{Outputs.DASHBOARD_URL: DASHBOARD})

    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert f"dashboard: {DASHBOARD}" in out.splitlines()


def test_status_of_a_deployment_without_the_dashboard_output_shows_no_dashboard_line(wikilake, deployed, aws_options):
    code, out, err = wikilake("status", *aws_options)

    assert code == 0, err
    assert "dashboard:" not in out
