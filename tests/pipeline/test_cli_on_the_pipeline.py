"""`wikilake run` (the CLI engineer's, wikilake/commands/run.py) on this state machine executed by
moto: the exit code and the one-line outcome the user sees, end to end."""

import threading
import time

import boto3
import pytest

from wikilake.cli import main
from wikilake_core.contract import Outputs, stack_names

from .conftest import DT, REGION
from .test_state_machine import MANIFEST


@pytest.fixture
def deployed(pipeline):
    """The processing stack's outputs, as `cdk deploy` leaves them (the CLI reads them)."""
    from aws_stacks import deploy_stack  # tests/cli, on sys.path (conftest)

    deploy_stack(
        boto3.client("cloudformation", region_name=REGION),
        stack_names()["processing"],
        {
            Outputs.STATE_MACHINE_ARN: pipeline.state_machine_arn,
            Outputs.ALERTS_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:alerts",
        },
    )
    return pipeline


def run_cli_while_emr_plays(pipeline, capsys, job: str, manifest=None) -> tuple[int, str, str]:
    done = threading.Event()

    def emr():
        while not done.is_set():
            pipeline.play_job(job, manifest)
            time.sleep(0.2)

    player = threading.Thread(target=emr, daemon=True)
    player.start()
    try:
        code = main(["run", "pageviews", "--date", DT, "--region", REGION, "--poll", "0.2", "--timeout", "2"])
    finally:
        done.set()
        player.join()
    out, err = capsys.readouterr()
    return code, out, err


def test_a_failed_job_exits_1_with_one_line_saying_what_failed(deployed, capsys):
    code, out, err = run_cli_while_emr_plays(deployed, capsys, "FAILED")
    assert code == 1
    (line,) = [text for text in err.splitlines() if "FAILED after" in text]
    assert "JobFailed" in line and "ended FAILED" in line
    (cluster,) = deployed.clusters()
    assert deployed.emr.describe_cluster(ClusterId=cluster["Id"])["Cluster"]["Status"]["State"] == "TERMINATED"


def test_a_successful_run_exits_0_and_shows_rows_and_cost(deployed, capsys):
    code, out, err = run_cli_while_emr_plays(deployed, capsys, "COMPLETED", MANIFEST)
    assert code == 0, err
    assert "SUCCEEDED" in out and "pageviews_daily 1" in out and "normalized instance hours" in out
