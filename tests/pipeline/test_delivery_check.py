"""wikilake/delivery_check.py (the delivery pipeline's integration step) against the synthesized
state machine executed by moto (conftest.py): success -> 0, a failed run -> 1 with the cause on
one line, a run past its deadline -> 1.

What stays untested here: CodeBuild itself (the step's install and the CDK Pipelines hand-over of
the dev stage's output as WIKILAKE_STATE_MACHINE_ARN; tests/infra/test_delivery.py checks the
synthesized buildspec and environment), and IAM: moto does not enforce the step role's policy.
"""

import threading
import time

import pytest

from wikilake import delivery_check

from .conftest import DT, REGION
from .test_state_machine import MANIFEST


def run_check(pipeline, capsys, *, job: str | None, manifest=None, timeout_minutes: str = "1") -> tuple[int, str, str]:
    """The check's command line while EMR plays the run's job step (``job``: its end state;
    None: the step never ends)."""
    done = threading.Event()

    def emr():
        while job and not done.is_set():
            pipeline.play_job(job, manifest)
            time.sleep(0.2)

    player = threading.Thread(target=emr, daemon=True)
    player.start()
    try:
        code = delivery_check.main(
            [
                "pageviews",
                "--date",
                DT,
                "--allow-missing-hours",
                "--state-machine-arn",
                pipeline.state_machine_arn,
                "--region",
                REGION,
                "--poll",
                "0.2",
                "--timeout",
                timeout_minutes,
            ]
        )
    finally:
        done.set()
        player.join()
    out, err = capsys.readouterr()
    return code, out, err


def test_a_successful_run_passes_with_its_rows(pipeline, capsys):
    code, out, err = run_check(pipeline, capsys, job="COMPLETED", manifest=MANIFEST)
    assert (code, err) == (0, "")
    (line,) = [text for text in out.splitlines() if text.startswith("delivery check passed")]
    assert line.endswith("rows written: pageviews_daily 1, projectviews_hourly 24")
    # exactly one execution, of the fixed input, with allow_missing_hours
    (execution,) = pipeline.sfn.list_executions(stateMachineArn=pipeline.state_machine_arn)["executions"]
    started = pipeline.describe(execution["executionArn"])
    assert started["status"] == "SUCCEEDED"
    assert '"allow_missing_hours": true' in started["input"] and f'"dt": "{DT}"' in started["input"]


def test_a_failed_job_fails_with_the_cause_on_one_line(pipeline, capsys):
    code, out, err = run_check(pipeline, capsys, job="FAILED")
    assert code == 1
    (line,) = err.splitlines()
    assert line.startswith("delivery check failed: execution pageviews-")
    assert " FAILED after " in line and "JobFailed" in line and "ended FAILED" in line
    assert "delivery check passed" not in out


def test_a_run_whose_job_wrote_an_empty_table_fails_naming_the_table(pipeline, capsys):
    manifest = {**MANIFEST, "rows_written": {"pageviews_daily": 1, "projectviews_hourly": 0}}
    code, _, err = run_check(pipeline, capsys, job="COMPLETED", manifest=manifest)
    assert code == 1
    (line,) = err.splitlines()
    assert "FAILED" in line and "no rows written to projectviews_hourly" in line


def test_a_run_past_its_deadline_fails(pipeline, capsys):
    """The job step never ends (EMR not played): the check gives up at its deadline, 3 s here."""
    started = time.monotonic()
    code, _, err = run_check(pipeline, capsys, job=None, timeout_minutes="0.05")
    assert code == 1 and time.monotonic() - started < 30
    (line,) = err.splitlines()
    assert line.startswith("delivery check failed: execution pageviews-")
    assert "still running past the 0.05-minute deadline" in line
    (execution,) = pipeline.sfn.list_executions(stateMachineArn=pipeline.state_machine_arn)["executions"]
    assert pipeline.describe(execution["executionArn"])["status"] == "RUNNING"  # left to its own timeout
    pipeline.sfn.stop_execution(executionArn=execution["executionArn"])


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({}, "the execution returned no run record"),
        ({"status": "FAILED", "dataset": "pageviews", "dt": DT}, "the run record says 'FAILED', not SUCCEEDED"),
        (
            {"status": "SUCCEEDED", "dataset": "edits", "dt": DT, "rows_written": {"edits": 1}},
            f"the run record is of edits dt={DT}, not pageviews dt={DT}",
        ),
        (
            {"status": "SUCCEEDED", "dataset": "pageviews", "dt": DT, "rows_written": {"pageviews_daily": 5}},
            "no rows written to projectviews_hourly",
        ),
        (
            {"status": "SUCCEEDED", "dataset": "pageviews", "dt": DT, "rows_written": MANIFEST["rows_written"]},
            None,
        ),
    ],
)
def test_the_run_record_must_say_succeeded_with_rows_in_every_table(record, problem):
    """A second line behind the state machine's own verification (functions/wikilake_functions/record.py):
    the delivery trusts only a record that names its run and every table of the dataset."""
    assert delivery_check.record_problem(record, "pageviews", DT) == problem


def test_without_a_state_machine_it_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.delenv(delivery_check.STATE_MACHINE_ARN_ENV, raising=False)
    assert delivery_check.main(["pageviews", "--date", DT]) == 2
    assert "set WIKILAKE_STATE_MACHINE_ARN or pass --state-machine-arn" in capsys.readouterr().err
