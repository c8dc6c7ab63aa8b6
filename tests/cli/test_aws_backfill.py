"""`wikilake backfill` against moto's Step Functions running a fake pipeline: which dts run, how
many at once, the summary, and Ctrl-C."""

from __future__ import annotations

import json

import pytest

from wikilake_core.dates import date_range

DTS = ["2015-09-01", "2015-09-02", "2015-09-03", "2015-09-04"]
FAST = ("--poll", "0.05")


def started_dts(pipeline) -> list[str]:
    return sorted(json.loads(e["input"])["dt"] for e in pipeline.executions())


VERIFIED = json.dumps({"run_id": "r1", "run": {"status": "SUCCEEDED"}}).encode()


def put_manifests(clients, bucket: str, *keys: str, body: bytes = VERIFIED) -> None:
    for key in keys:
        clients.s3.put_object(Bucket=bucket, Key=key, Body=body)


def max_overlap(executions: list[dict]) -> int:
    """The most executions that were running at the same moment, from their start/stop times."""
    events = sorted(
        [(e["startDate"], 1) for e in executions] + [(e["stopDate"], -1) for e in executions],
        key=lambda event: (event[0], event[1]),
    )  # a stop before a start at the same instant
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


@pytest.fixture
def built(deployed, clients):
    """dts 02 and 04 are built (a verified run's manifest); 01 has only some other file and a run's
    own manifest (never published); 03 another dataset's manifest and a day manifest of the older
    layout (written by the job before verification: no run record), which does not count."""
    put_manifests(
        clients,
        deployed.bucket,
        "manifests/edits/dt=2015-09-02/manifest.json",
        "manifests/edits/dt=2015-09-04/manifest.json",
        "manifests/edits/dt=2015-09-01/manifest.json.tmp",
        "manifests/edits/dt=2015-09-01/run=r0/manifest.json",
        "manifests/pageviews/dt=2015-09-03/manifest.json",
    )
    put_manifests(clients, deployed.bucket, "manifests/edits/dt=2015-09-03/manifest.json", body=b'{"dt": "x"}')


def test_built_dts_are_skipped(wikilake, pipeline, built, aws_options):
    pipeline.deploy()

    code, out, err = wikilake("backfill", "edits", "--from", DTS[0], "--to", DTS[-1], *FAST, *aws_options)

    assert code == 0, err
    assert started_dts(pipeline) == ["2015-09-01", "2015-09-03"]
    assert "2015-09-02 skipped (built)" in err.splitlines()
    assert out.startswith("backfill edits 2015-09-01..2015-09-04: 4 dts, 2 SUCCEEDED, 2 skipped (built) in 0m0")
    assert out.count("\n") == 1


def test_force_runs_every_dt(wikilake, pipeline, built, aws_options):
    pipeline.deploy()

    code, out, err = wikilake("backfill", "edits", "--from", DTS[0], "--to", DTS[-1], "--force", *FAST, *aws_options)

    assert code == 0, err
    assert started_dts(pipeline) == DTS
    assert all(e["status"] == "SUCCEEDED" for e in pipeline.executions())
    assert ": 4 dts, 4 SUCCEEDED in " in out


@pytest.mark.parametrize("flag, bound", [((), 2), (("--max-concurrency", "3"), 3)])
def test_at_most_n_executions_run_at_once(wikilake, pipeline, aws_options, flag, bound):
    pipeline.deploy(seconds=2)  # long enough for the starts of one wave to overlap on a busy machine
    dts = date_range("2015-09-01", "2015-09-05")

    code, out, err = wikilake("backfill", "edits", "--from", dts[0], "--to", dts[-1], *flag, *FAST, *aws_options)

    assert code == 0, err
    executions = pipeline.executions()
    assert sorted(json.loads(e["input"])["dt"] for e in executions) == dts
    assert max_overlap(executions) == bound  # never more, and the bound is used
    assert ": 5 dts, 5 SUCCEEDED in " in out


def test_a_failed_dt_is_summarized_and_exits_one(wikilake, pipeline, aws_options):
    pipeline.deploy(failing=("2015-09-02",))

    code, out, err = wikilake("backfill", "edits", "--from", "2015-09-01", "--to", "2015-09-03", *FAST, *aws_options)

    assert code == 1
    assert ": 3 dts, 2 SUCCEEDED, 1 FAILED in " in out
    assert err.splitlines()[-1] == (
        "wikilake: error: 1 of 3 executions did not succeed: 2015-09-02 FAILED; "
        "2015-09-02: JobFailed: step s-1 FAILED: ValueError: bad input"
    )


def test_a_dt_already_running_is_skipped_even_with_force(wikilake, pipeline, aws_options):
    pipeline.deploy(seconds=3)
    assert wikilake("run", "edits", "--date", "2015-09-02", "--no-wait", *aws_options)[0] == 0
    [running] = pipeline.executions()

    code, out, err = wikilake(
        "backfill", "edits", "--from", "2015-09-02", "--to", "2015-09-03", "--force", *FAST, *aws_options
    )

    assert code == 0, err
    assert f"2015-09-02 skipped (running: {running['name']})" in err.splitlines()
    assert started_dts(pipeline) == ["2015-09-02", "2015-09-03"]  # the one run + only 09-03
    assert ": 2 dts, 1 SUCCEEDED, 1 skipped (running) in " in out


def test_ctrl_c_stops_the_executions_it_started_and_starts_no_more(wikilake, pipeline, aws_options, monkeypatch):
    import wikilake.aws.pipeline as pipeline_module

    pipeline.deploy(seconds=5)

    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline_module, "wait", interrupted)

    code, out, err = wikilake("backfill", "edits", "--from", DTS[0], "--to", DTS[-1], *aws_options)

    assert code == 130 and out == ""
    executions = pipeline.executions()
    assert started_dts(pipeline) == DTS[:2]
    assert [e["status"] for e in executions] == ["ABORTED", "ABORTED"]
    assert "2015-09-01 stopped" in err and "2015-09-02 stopped" in err
    assert err.splitlines()[-1] == "wikilake: interrupted"


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (
            ("--from", "2015-09-03", "--to", "2015-09-01"),
            1,
            "wikilake: error: bad range 2015-09-03..2015-09-01: the last date is before the first",
        ),
        (
            ("--from", "2015-09-01", "--to", "2015-09-03", "--max-concurrency", "0"),
            2,
            "wikilake backfill: error: argument --max-concurrency: must be a whole number >= 1, not '0' "
            "(see wikilake backfill --help)",
        ),
        (
            ("--from", "2015-02-30", "--to", "2015-09-03"),
            1,
            "wikilake: error: bad date '2015-02-30': use YYYY-MM-DD, e.g. 2015-09-12",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(wikilake, argv, code, message):
    assert wikilake("backfill", "edits", *argv) == (code, "", message + "\n")


def test_on_a_terminal_the_states_are_a_live_table(wikilake, pipeline, built, aws_options, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the captured stderr as a terminal
    monkeypatch.setenv("COLUMNS", "120")
    pipeline.deploy()

    code, out, err = wikilake("backfill", "edits", "--from", DTS[0], "--to", DTS[-1], *FAST, *aws_options)

    assert code == 0, err
    final = err[err.rindex("backfill edits 2015-09-01..2015-09-04") :]  # the table's last drawing
    rows = {line.split()[1]: line for line in final.splitlines() if line.startswith("│ 2015-")}
    assert sorted(rows) == DTS
    assert "SUCCEEDED" in rows["2015-09-01"] and "SUCCEEDED" in rows["2015-09-03"]
    assert "skipped (built)" in rows["2015-09-02"]
    assert "2015-09-01 SUCCEEDED" not in err  # no plain lines


def test_an_aws_error_ends_the_backfill_and_says_what_goes_on(wikilake, pipeline, aws_options, monkeypatch):
    import botocore.exceptions

    import wikilake.aws.pipeline as pipeline_module

    pipeline.deploy(seconds=5)
    real_start = pipeline_module.start

    def start_once(sfn, *args, **kwargs):
        if pipeline.executions():
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ExecutionLimitExceeded", "Message": "too many"}}, "StartExecution"
            )
        return real_start(sfn, *args, **kwargs)

    monkeypatch.setattr(pipeline_module, "start", start_once)

    code, out, err = wikilake("backfill", "edits", "--from", DTS[0], "--to", DTS[-1], *FAST, *aws_options)

    assert code == 1 and out == ""
    assert [e["status"] for e in pipeline.executions()] == ["RUNNING"]
    assert err.splitlines()[-2:] == [
        "1 started execution(s) go on: 2015-09-01 (`wikilake runs` shows them)",
        "wikilake: error: AWS StartExecution failed: ExecutionLimitExceeded: too many",
    ]
