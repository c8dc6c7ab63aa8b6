"""The synthesized state machine, executed by moto's interpreter (see conftest.py for how), on each
branch the issue names: success, job failure, stopped execution, ingest checksum failure."""

import hashlib
import json
import time

import pytest

from wikilake_core import contract, prices, runs

from .conftest import DT, hourly_files

MANIFEST = {
    "dataset": "pageviews",
    "dt": DT,
    "input_records": 1200,
    "valid_records": 1190,
    "rejected_records": 10,
    "rows_written": {"pageviews_daily": 1, "projectviews_hourly": 24},
    "hours": list(range(24)),
    "hours_missing": [],
}


def _cluster(pipeline) -> dict:
    (summary,) = pipeline.clusters()
    return pipeline.emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]


def test_success_ingests_runs_the_job_terminates_the_cluster_and_records_the_run(pipeline):
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="COMPLETED", manifest=MANIFEST)
    assert done["status"] == "SUCCEEDED", done.get("cause")

    # raw/: every hour, MD5-verified (the checksum recorded in the object's metadata)
    raw = pipeline.raw_objects()
    assert {name: meta["md5"] for name, meta in raw.items()} == {
        name: hashlib.md5(body).hexdigest() for name, body in hourly_files().items()
    }

    # the job step: the one command line wikilake_core.submit builds, failing -> cluster ends
    cluster = _cluster(pipeline)
    (step,) = pipeline.emr.list_steps(ClusterId=cluster["Id"])["Steps"]
    args = step["Config"]["Args"]
    assert args[:4] == ["spark-submit", "--deploy-mode", "cluster", "--py-files"]
    assert args[6:] == [
        "--date",
        DT,
        "--input",
        f"s3://{pipeline.bucket}/raw/pageviews/dt={DT}/",
        "--output-root",
        f"s3://{pipeline.bucket}",
        "--run-id",
        pipeline.describe(execution)["name"],
    ]
    assert step["ActionOnFailure"] == "TERMINATE_CLUSTER"
    assert cluster["Status"]["State"] == "TERMINATED"
    assert cluster["Name"] == f"Wikilake-dev-pageviews-{DT}"
    tags = {t["Key"]: t["Value"] for t in cluster["Tags"]}
    assert (tags[contract.TAG_RUN_DATASET], tags[contract.TAG_RUN_DT]) == ("pageviews", DT)
    assert tags[contract.TAG_RUN_EXECUTION] == execution
    assert tags["Project"] == "wikilake"

    # the run record: the execution's output, and the same under "run" in the manifest
    record = json.loads(done["output"])
    assert {k: record[k] for k in ("dataset", "dt", "status", "cluster_id", "runtime")} == {
        "dataset": "pageviews",
        "dt": DT,
        "status": "SUCCEEDED",
        "cluster_id": cluster["Id"],
        "runtime": "emr-ec2",
    }
    assert (record["input_records"], record["valid_records"], record["rejected_records"]) == (1200, 1190, 10)
    assert record["rows_written"] == MANIFEST["rows_written"]
    assert record["cost"]["prices_as_of"] == prices.PRICES_AS_OF
    assert record["cost"]["usd"] > 0 and record["cost"]["normalized_instance_hours"] > 0
    manifest = json.loads(
        pipeline.s3.get_object(Bucket=pipeline.bucket, Key=f"manifests/pageviews/dt={DT}/manifest.json")["Body"].read()
    )
    assert manifest["run"] == record
    assert record["run_id"] == manifest["run_id"] == pipeline.describe(execution)["name"]
    assert pipeline.alerts() == []


def test_job_failure_terminates_the_cluster_alerts_and_fails_the_run(pipeline):
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="FAILED")
    assert done["status"] == "FAILED"
    assert done["error"] == "JobFailed"
    assert "ended FAILED" in done["cause"] and "/logs/emr/" in done["cause"]
    assert _cluster(pipeline)["Status"]["State"] == "TERMINATED"
    (alert,) = pipeline.alerts()
    assert alert.startswith("wikilake run failed: JobFailed (job step") and execution in alert


def test_verification_failure_fails_the_run_and_terminates_the_cluster(pipeline):
    bad = {**MANIFEST, "hours": list(range(23)), "hours_missing": [23]}
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="COMPLETED", manifest=bad)
    assert done["status"] == "FAILED" and done["error"] == "VerificationFailed"
    assert "1 of 24 hours missing" in done["cause"]
    assert _cluster(pipeline)["Status"]["State"] == "TERMINATED"
    assert len(pipeline.alerts()) == 1


def _cluster_when_created(pipeline, execution) -> dict:
    for _ in range(300):
        if pipeline.clusters():
            return _cluster(pipeline)
        time.sleep(0.1)
    raise AssertionError(f"no cluster: {pipeline.describe(execution)}")


# moto's interpreter fails (instead of aborting) an execution stopped in the middle of a Task:
# these tests stop it while it waits between two polls of the step.
@pytest.mark.parametrize("poll_seconds", ["5"])
def test_stopped_execution_leaves_a_cluster_with_its_own_backstop_and_the_reaper_ends_it(pipeline):
    """Stopping an execution (or its overall timeout) runs no further state, so no Catch. Two
    things end the cluster anyway: its own configuration (moto does not apply it: checked in the
    RunJobFlow request EMR received) and the reap function that EventBridge calls on ABORTED /
    TIMED_OUT (executed here with the event EventBridge would send)."""
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    cluster = _cluster_when_created(pipeline, execution)
    pipeline.sfn.stop_execution(executionArn=execution, error="Stopped", cause="stopped by hand")
    stopped = pipeline.wait(execution)
    assert stopped["status"] == "ABORTED", (stopped.get("error"), stopped.get("cause"))
    assert _cluster(pipeline)["Status"]["State"] != "TERMINATED"  # nothing in the state machine ended it

    request = pipeline.run_job_flow_request(execution)
    assert request["Instances"]["KeepJobFlowAliveWhenNoSteps"] is False  # ends after its step
    assert request["Instances"]["TerminationProtected"] is False
    assert request["AutoTerminationPolicy"] == {"IdleTimeout": 900}  # ends when idle for 15 min
    assert [s["ActionOnFailure"] for s in request["Steps"]] == ["TERMINATE_CLUSTER"]  # ends if the job fails
    assert cluster["AutoTerminate"] is True

    assert pipeline.reap(execution, "ABORTED") == {
        "execution": execution,
        "status": "ABORTED",
        "terminated": [cluster["Id"]],
        "day_released": True,
    }
    assert _cluster(pipeline)["Status"]["State"] == "TERMINATED"
    assert pipeline.reap(execution, "ABORTED")["terminated"] == []  # idempotent


@pytest.mark.parametrize("poll_seconds", ["5"])
def test_reaper_leaves_other_runs_clusters_alone(pipeline):
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    cluster = _cluster_when_created(pipeline, execution)
    other = execution.rsplit(":", 1)[0] + ":some-other-run"
    assert pipeline.reap(other, "TIMED_OUT")["terminated"] == []
    assert _cluster(pipeline)["Status"]["State"] != "TERMINATED"
    pipeline.sfn.stop_execution(executionArn=execution)
    pipeline.wait(execution)
    assert pipeline.reap(execution, "ABORTED")["terminated"] == [cluster["Id"]]


def test_checksum_failure_keeps_the_bad_file_out_of_raw_and_starts_no_cluster(pipeline):
    bad = "pageviews-20240315-07000.gz".replace("07000", "070000")
    pipeline.dumps.md5_overrides[bad] = "0" * 32
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution)
    assert done["status"] == "FAILED" and done["error"] == "IngestFailed"
    assert bad in done["cause"] and "checksum mismatch" in done["cause"]
    raw = pipeline.raw_objects()
    assert bad not in raw
    # Nothing partial: the failed file's multipart upload was aborted. (The hours that verified
    # stay, as with `wikilake ingest`: a rerun skips them.)
    assert pipeline.s3.list_multipart_uploads(Bucket=pipeline.bucket).get("Uploads", []) == []
    assert pipeline.clusters() == []
    assert len(pipeline.alerts()) == 1


def test_unpublished_day_fails_in_planning_before_anything_moves(pipeline):
    execution = pipeline.start(runs.execution_input("pageviews", "2024-04-02"))
    done = pipeline.wait(execution)
    assert done["status"] == "FAILED" and done["error"] == "IngestFailed"
    assert "not found" in done["cause"]
    assert pipeline.raw_objects(dt="2024-04-02") == {} and pipeline.clusters() == []


def test_a_dataset_without_dump_site_needs_its_day_in_raw_first(pipeline):
    execution = pipeline.start(runs.execution_input("edits", "2015-09-12"))
    done = pipeline.wait(execution)
    assert done["status"] == "FAILED" and done["error"] == "IngestFailed"
    assert "edits has no dump site" in done["cause"] and "wikilake ingest edits" in done["cause"]
    assert pipeline.clusters() == []

    pipeline.s3.put_object(Bucket=pipeline.bucket, Key="raw/edits/dt=2015-09-12/wikiticker.json.gz", Body=b"x")
    execution = pipeline.start(runs.execution_input("edits", "2015-09-12"))
    manifest = {
        "dataset": "edits",
        "dt": "2015-09-12",
        "input_records": 3,
        "valid_records": 3,
        "rejected_records": 0,
        "rows_written": {"edits": 3, "edits_filtered": 1, "edits_by_channel": 2},
    }
    done = pipeline.wait(execution, job="COMPLETED", manifest=manifest)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert json.loads(done["output"])["rows_written"] == manifest["rows_written"]
