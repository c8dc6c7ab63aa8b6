"""`wikilake run` (a pipeline execution) against moto's Step Functions running a fake pipeline."""

from __future__ import annotations

import json
import re

from fake_pipeline import JOB_STATE, RECORD

DT = "2015-09-12"
FAST = ("--poll", "0.05")


def test_a_succeeded_execution_prints_its_run_record_and_exits_zero(wikilake, pipeline, aws_options):
    pipeline.deploy(seconds=1)

    code, out, err = wikilake("run", "edits", "--date", DT, "--job-args=--country France", *FAST, *aws_options)

    assert code == 0, err
    [execution] = pipeline.executions()
    assert execution["status"] == "SUCCEEDED"
    assert re.fullmatch(r"edits-2015-09-12-\d{8}T\d{6}Z", execution["name"])
    assert json.loads(execution["input"]) == {
        "dataset": "edits",
        "dt": DT,
        "job_options": ["--country", "France"],
        "allow_missing_hours": False,
    }
    # Not a terminal: the states as plain lines.
    assert f"execution {execution['name']}: RUNNING in {JOB_STATE} (0m0" in err
    took = (execution["stopDate"] - execution["startDate"]).total_seconds()
    assert 1 <= took < 10
    assert out == (
        f"execution {execution['name']} SUCCEEDED in 0m0{int(took)}s: edits dt={DT}; rows "
        "written: edits 990, edits_filtered 120, edits_by_channel 7; 10 rejected records; "
        "cost: 24 normalized instance hours, ~$1.23 (prices of 2026-11-01)\n"
    )


def test_a_job_run_on_emr_serverless_is_summed_up_in_billed_vcpu_hours(wikilake, pipeline, aws_options):
    """The record's cost in the shape the record function writes for runtime=emr-serverless
    (wikilake_core.prices.serverless_cost of GetJobRun's billedResourceUtilization)."""
    cost = {"vcpu_hours": 3.2, "memory_gb_hours": 12.8, "storage_gb_hours": 0.0, "usd": 0.2424}
    serverless = {**RECORD, "runtime": "emr-serverless", "cost": {**cost, "prices_as_of": "2026-11-30"}}
    pipeline.deploy(records={DT: {"dataset": "edits", "dt": DT, **serverless}})

    code, out, err = wikilake("run", "edits", "--date", DT, *FAST, *aws_options)

    assert code == 0, err
    assert out.endswith("; cost: 3.2 vCPU hours, ~$0.24 (prices of 2026-11-30)\n")


def test_a_failed_execution_exits_one_with_error_and_cause(wikilake, pipeline, aws_options):
    pipeline.deploy(failing=(DT,))

    code, out, err = wikilake("run", "edits", "--date", DT, *FAST, *aws_options)

    assert code == 1 and out == ""
    [execution] = pipeline.executions()
    assert re.fullmatch(
        rf"wikilake: error: execution {execution['name']} FAILED after 0m0\ds: "
        "JobFailed: step s-1 FAILED: ValueError: bad input",
        err.splitlines()[-1],
    )


def test_allow_missing_hours_reaches_the_input_and_no_wait_prints_the_arn(wikilake, pipeline, aws_options):
    pipeline.deploy(seconds=5)

    code, out, err = wikilake(
        "run", "pageviews", "--date", "2024-03-15", "--allow-missing-hours", "--no-wait", *aws_options
    )

    assert code == 0, err
    [execution] = pipeline.executions()
    assert out == execution["executionArn"] + "\n" and execution["status"] == "RUNNING"
    assert json.loads(execution["input"])["allow_missing_hours"] is True


def interrupt_while_following(monkeypatch, seen: list):
    """Ctrl-C during the first wait between two polls, after recording the state shown."""
    import wikilake.aws.pipeline as pipeline_module

    real_state = pipeline_module.current_state

    def current_state(sfn, arn):
        seen.append(real_state(sfn, arn))
        return seen[-1]

    def sleep(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline_module, "current_state", current_state)
    monkeypatch.setattr(pipeline_module, "wait", sleep)


def test_ctrl_c_leaves_the_execution_running_by_default(wikilake, pipeline, aws_options, monkeypatch):
    pipeline.deploy(seconds=5)
    seen = []
    interrupt_while_following(monkeypatch, seen)

    code, _, err = wikilake("run", "edits", "--date", DT, *FAST, *aws_options)

    assert code == 130
    [execution] = pipeline.executions()
    assert execution["status"] == "RUNNING" and seen == [JOB_STATE]
    assert f"execution {execution['name']} goes on" in err
    assert f"stop-execution --execution-arn {execution['executionArn']}" in err


def test_ctrl_c_with_stop_on_interrupt_stops_the_execution(wikilake, pipeline, aws_options, monkeypatch):
    pipeline.deploy(seconds=5)
    interrupt_while_following(monkeypatch, [])

    code, _, err = wikilake("run", "edits", "--date", DT, "--stop-on-interrupt", *FAST, *aws_options)

    assert code == 130
    [execution] = pipeline.executions()
    assert execution["status"] == "ABORTED"
    assert f"stopped execution {execution['name']}" in err


def test_following_gives_up_after_the_timeout(wikilake, pipeline, aws_options):
    pipeline.deploy(seconds=5)

    code, _, err = wikilake("run", "edits", "--date", DT, "--timeout", "0.002", *FAST, *aws_options)

    assert code == 1
    [execution] = pipeline.executions()
    assert err.splitlines()[-1] == (
        f"wikilake: error: execution {execution['name']} is still RUNNING "
        "after 0.002 min; it goes on: follow it with `wikilake runs`"
    )


def test_without_the_state_machine_output(wikilake, deployed, aws_options):
    code, _, err = wikilake("run", "edits", "--date", DT, *aws_options)

    assert code == 1
    assert err == (
        "wikilake: error: stack output PipelineStateMachineArn not found in Wikilake-dev-Storage, "
        "Wikilake-dev-Catalog, Wikilake-dev-Processing: redeploy them with this version of "
        "wikilake (`make deploy`)\n"
    )
