"""The record function's read of a run's event log (functions/wikilake_functions/run_profile.py)
from S3 in moto: where each runtime's log is, and a run recorded without a profile (logged)
when its log is missing or compressed, instead of failing the run."""

from __future__ import annotations

import logging

import boto3
import pytest
from event_log_samples import CLUSTER_LOG, lines
from moto import mock_aws

from wikilake_functions import run_profile

BUCKET = "lake"
RUN = {"dataset": "edits", "dt": "2015-09-12", "run_id": "edits-2015-09-12-x"}


@pytest.fixture
def s3(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_each_runtime_has_its_log_where_it_writes_it():
    assert run_profile.log_prefix(RUN, {"runtime": "emr-ec2", "cluster_id": "j-1"}) == (
        "logs/spark-events/edits/dt=2015-09-12/run=edits-2015-09-12-x/"
    )
    serverless = {"runtime": "emr-serverless", "cluster_id": "00app", "job_run_id": "00run"}
    assert run_profile.log_prefix(RUN, serverless) == "logs/emr-serverless/applications/00app/jobs/00run/sparklogs/"


def test_a_log_is_read_line_by_line_from_s3(s3):
    prefix = run_profile.log_prefix(RUN, {"runtime": "emr-ec2"})
    s3.put_object(Bucket=BUCKET, Key=prefix, Body=b"")  # the plan's folder marker
    s3.put_object(Bucket=BUCKET, Key=prefix + "application_1_0001_1", Body="\n".join(lines(CLUSTER_LOG)).encode())
    profile = run_profile.read(s3, BUCKET, prefix)
    assert (profile["application_id"], profile["task_seconds"], profile["wall_seconds"]) == (
        "application_1_0001",
        80,
        100,
    )


def test_a_missing_log_gives_no_profile_and_is_logged(s3, caplog):
    prefix = run_profile.log_prefix(RUN, {"runtime": "emr-ec2"})
    s3.put_object(Bucket=BUCKET, Key=prefix, Body=b"")  # the folder, but the job never started Spark
    with caplog.at_level(logging.INFO):
        assert run_profile.read(s3, BUCKET, prefix) is None
    assert "no Spark event log under s3://lake/logs/spark-events/edits/" in caplog.text


def test_a_compressed_log_gives_no_profile_and_says_why(s3, caplog):
    prefix = run_profile.log_prefix(RUN, {"runtime": "emr-ec2"})
    s3.put_object(Bucket=BUCKET, Key=prefix + "application_1_0001.zstd", Body=b"\x28\xb5\x2f\xfd")
    with caplog.at_level(logging.INFO):
        assert run_profile.read(s3, BUCKET, prefix) is None
    assert "is compressed" in caplog.text
