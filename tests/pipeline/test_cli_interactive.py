"""`wikilake run --cluster interactive` (wikilake/commands/run.py) on the state machine synthesized
with interactive_cluster=true, executed by moto (conftest.py), the interactive cluster created as
the template declares it: the CLI starts an execution naming the cluster and follows it like any
run; its exit code and the lines the user sees, end to end. EMR is played as in
test_cli_on_the_pipeline.py; a failing step's stderr is put where EMR copies step logs
(``<LogUri><cluster>/steps/<step>/stderr.gz``, Amazon EMR Management Guide, "View log files")."""

import gzip
import json
import threading
import time

import boto3
import pytest
from moto.emr.models import emr_backends

from wikilake.cli import main
from wikilake_core import layout
from wikilake_core.contract import Outputs, stack_names

from .conftest import ACCOUNT, DT, REGION
from .test_state_machine import MANIFEST

STDERR = "".join(f"log line {i}\n" for i in range(60)) + "Traceback: ValueError: bad input\n"


@pytest.fixture
def pipeline_template(interactive_processing_template) -> dict:
    return interactive_processing_template


@pytest.fixture
def deployed(pipeline, interactive_cluster):
    """The processing stack's outputs as `cdk deploy` leaves them with the interactive cluster."""
    from aws_stacks import deploy_stack  # tests/cli, on sys.path (conftest)

    deploy_stack(
        boto3.client("cloudformation", region_name=REGION),
        stack_names()["processing"],
        {
            Outputs.STATE_MACHINE_ARN: pipeline.state_machine_arn,
            Outputs.ALERTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
            Outputs.CLUSTER_ID: interactive_cluster,
        },
    )
    return pipeline


def _play(pipeline, job: str, manifest=None) -> None:
    """EMR: the run's step ends ``job``; a failed one leaves its stderr in the cluster's log location."""
    running = [
        (cluster_id, step.id)
        for cluster_id, cluster in emr_backends[ACCOUNT][REGION].clusters.items()
        for step in cluster.steps
        if step.state in ("PENDING", "RUNNING")
    ]
    pipeline.play_job(job, manifest)
    for cluster_id, step_id in running if job == "FAILED" else ():
        key = f"{layout.EMR_LOGS}/{cluster_id}/steps/{step_id}/stderr.gz"
        pipeline.s3.put_object(Bucket=pipeline.bucket, Key=key, Body=gzip.compress(STDERR.encode()))


def _run_cli(pipeline, capsys, job: str, *options: str, manifest=None) -> tuple[int, str, str]:
    done = threading.Event()

    def emr():
        while not done.is_set():
            _play(pipeline, job, manifest)
            time.sleep(0.2)

    player = threading.Thread(target=emr, daemon=True)
    player.start()
    try:
        code = main(
            ["run", "pageviews", "--date", DT, "--cluster", "interactive", "--region", REGION, "--poll", "0.2"]
            + ["--timeout", "2", *options]
        )
    finally:
        done.set()
        player.join()
    out, err = capsys.readouterr()
    return code, out, err


def test_an_interactive_run_is_a_pipeline_execution_followed_to_its_published_day(
    deployed, interactive_cluster, capsys
):
    code, out, err = _run_cli(deployed, capsys, "COMPLETED", manifest=MANIFEST)

    assert code == 0, err
    (execution,) = deployed.sfn.list_executions(stateMachineArn=deployed.state_machine_arn)["executions"]
    described = deployed.describe(execution["executionArn"])
    assert json.loads(described["input"])["cluster_id"] == interactive_cluster
    (step,) = deployed.emr.list_steps(ClusterId=interactive_cluster)["Steps"]
    assert f"started execution {execution['name']} of pageviews dt={DT} on the interactive cluster" in err
    assert out.startswith(f"execution {execution['name']} SUCCEEDED in ")
    assert (
        f"; step {step['Id']} on the interactive cluster {interactive_cluster}; rows written: pageviews_daily 1" in out
    )
    assert deployed.partition_location("pageviews_daily").endswith(f"/run={execution['name']}/")
    assert [c["Id"] for c in deployed.clusters()] == [interactive_cluster] and deployed.holds() == []


def test_a_failed_interactive_step_exits_1_with_its_log_tail(deployed, interactive_cluster, capsys):
    code, out, err = _run_cli(deployed, capsys, "FAILED", "--log-lines", "5", "--log-wait", "5")

    assert code == 1 and out == ""
    (step,) = deployed.emr.list_steps(ClusterId=interactive_cluster)["Steps"]
    assert all(line in err for line in STDERR.splitlines()[-5:]) and "log line 54" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("wikilake: error: execution pageviews-") and " FAILED after " in last
    assert f"JobFailed: job step {step['Id']} on the interactive cluster {interactive_cluster} ended FAILED" in last
    assert last.endswith(f"(log: s3://{deployed.bucket}/logs/emr/{interactive_cluster}/steps/{step['Id']}/stderr.gz)")
    assert deployed.emr.describe_cluster(ClusterId=interactive_cluster)["Cluster"]["Status"]["State"] != "TERMINATED"
