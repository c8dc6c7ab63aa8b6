"""`wikilake status` against moto."""

from __future__ import annotations

import pytest

from wikilake.aws.status import lake_partitions
from wikilake_core import datasets


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
    assert (
        wikilake("run", "edits", "--date", "2015-09-12", "--cluster", "interactive", "--no-wait", *aws_options)[0] == 0
    )

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
