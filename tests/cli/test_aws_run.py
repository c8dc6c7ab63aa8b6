"""`wikilake run --cluster interactive` against moto: a pipeline execution whose input names the
deployed interactive cluster, followed like any run (the fake pipeline of fake_pipeline.py stands
in for the state machine); the refusals before anything starts. The real state machine's branch,
and the CLI on it with a failing step's log tail: tests/pipeline/test_interactive_run.py and
tests/pipeline/test_cli_interactive.py."""

from __future__ import annotations

import json
import re

import pytest
from aws_stacks import redeploy
from fake_pipeline import RECORD

from wikilake_core.contract import Outputs

DT = "2015-09-12"
INTERACTIVE = ("--cluster", "interactive")
FAST = ("--poll", "0.05")


def test_the_execution_names_the_interactive_cluster_and_is_followed(wikilake, pipeline, aws_options):
    on_it = {**RECORD, "cluster_id": pipeline.deployment.cluster_id, "step_id": "s-1"}
    pipeline.deploy(records={DT: {"dataset": "edits", "dt": DT, **on_it}})

    code, out, err = wikilake(
        "run",
        "edits",
        "--date",
        DT,
        *INTERACTIVE,
        "--job-args=--country France",
        "--allow-missing-hours",
        *FAST,
        *aws_options,
    )

    assert code == 0, err
    [execution] = pipeline.executions()
    assert json.loads(execution["input"]) == {
        "dataset": "edits",
        "dt": DT,
        "job_options": ["--country", "France"],
        "allow_missing_hours": True,
        "cluster_id": pipeline.deployment.cluster_id,
    }
    assert f"started execution {execution['name']} of edits dt={DT} on the interactive cluster" in err
    assert out.startswith(f"execution {execution['name']} SUCCEEDED in 0m0")
    assert out.endswith(
        f": edits dt={DT}; step s-1 on the interactive cluster {pipeline.deployment.cluster_id}; rows written: "
        "edits 990, edits_filtered 120, edits_by_channel 7; 10 rejected records; "
        "cost: 24 normalized instance hours, ~$1.23 (prices of 2026-11-01)\n"
    )


def test_no_wait_prints_the_execution_arn(wikilake, pipeline, aws_options):
    pipeline.deploy(seconds=5)

    code, out, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, "--no-wait", *aws_options)

    assert code == 0, err
    [execution] = pipeline.executions()
    assert out == execution["executionArn"] + "\n"
    assert json.loads(execution["input"])["cluster_id"] == pipeline.deployment.cluster_id


def test_ctrl_c_with_stop_on_interrupt_stops_the_execution_and_says_its_step_is_cancelled(
    wikilake, pipeline, aws_options, monkeypatch
):
    from test_aws_pipeline_run import interrupt_while_following

    pipeline.deploy(seconds=5)
    interrupt_while_following(monkeypatch, [])

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, "--stop-on-interrupt", *FAST, *aws_options)

    assert code == 130
    [execution] = pipeline.executions()
    assert execution["status"] == "ABORTED"
    assert f"stopped execution {execution['name']}; the pipeline cancels its step" in err


def test_a_failed_execution_exits_one_with_its_error(wikilake, pipeline, aws_options):
    """The run added no step to the cluster (the fake pipeline adds none): no log tail to show."""
    pipeline.deploy(failing=(DT,))

    code, out, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *FAST, *aws_options)

    assert code == 1 and out == ""
    assert re.fullmatch(
        r"wikilake: error: execution edits-2015-09-12-\d{8}T\d{6}Z FAILED after 0m0\ds: "
        "JobFailed: step s-1 FAILED: ValueError: bad input",
        err.splitlines()[-1],
    )


def test_without_an_interactive_cluster_nothing_starts(wikilake, pipeline, clients, aws_options):
    pipeline.deploy()
    redeploy(clients.cloudformation, pipeline.deployment, "processing", drop=[Outputs.CLUSTER_ID])

    code, out, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert (code, out) == (1, "")
    assert err == (
        "wikilake: error: no interactive cluster is deployed: deploy one with -c interactive_cluster=true; "
        "or run without --cluster\n"
    )
    assert pipeline.executions() == []


def test_on_emr_serverless_nothing_starts(wikilake, pipeline, clients, aws_options):
    pipeline.deploy()
    redeploy(
        clients.cloudformation,
        pipeline.deployment,
        "processing",
        drop=[Outputs.CLUSTER_ID],
        **{Outputs.SERVERLESS_APPLICATION_ID: "00abcdef"},
    )

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert code == 1
    assert err == (
        "wikilake: error: --cluster interactive: this deployment runs its jobs on EMR Serverless "
        "(runtime=emr-serverless), which has no interactive cluster; run without --cluster\n"
    )
    assert pipeline.executions() == []


def test_a_terminated_cluster_is_refused(wikilake, pipeline, clients, aws_options):
    pipeline.deploy()
    clients.emr.terminate_job_flows(JobFlowIds=[pipeline.deployment.cluster_id])

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert code == 1
    assert f"cluster {pipeline.deployment.cluster_id} is TERMINATED" in err and "cannot run steps" in err
    assert err.count("\n") == 1 and pipeline.executions() == []


def test_without_the_processing_stack(wikilake, deployed, clients, aws_options):
    clients.cloudformation.delete_stack(StackName=deployed.stacks["processing"])

    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)

    assert code == 1
    assert err == (
        "wikilake: error: stack output EmrClusterId not found: Wikilake-dev-Processing is "
        "not deployed in us-east-1 (deploy with `make deploy`, or check "
        "--stack-prefix/--stage/--region)\n"
    )


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (("run", "clicks", "--date", DT), 2, "argument dataset: invalid choice: 'clicks'"),
        (("run", "edits", "--date", "12/09/2015"), 1, "bad date '12/09/2015'"),
        (("run", "edits", "--date", DT, "--job-args=--country 'France"), 1, "bad --job-args"),
        (("run", "edits", "--date", DT, "--cluster", "big"), 2, "argument --cluster: invalid choice: 'big'"),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(wikilake, argv, code, message, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    status, _, err = wikilake(*argv)
    assert status == code and message in err and err.count("\n") == 1


def test_without_credentials(wikilake, aws_options, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    code, _, err = wikilake("run", "edits", "--date", DT, *INTERACTIVE, *aws_options)
    assert code == 1 and "no AWS credentials found" in err
