"""The synthesized state machine, executed by moto's interpreter (see conftest.py for how), on each
branch the issue names: success, job failure, stopped execution, ingest checksum failure."""

import hashlib
import json
import time

import pytest

from stacks.pipeline_definition import ALERT_NOT_SENT
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


# A job's Spark event log, cut to what the profile reads: 10 s, 4 cores, 2 tasks of 3 s.
EVENT_LOG = [
    {"Event": "SparkListenerApplicationStart", "App ID": "application_1_0001", "Timestamp": 1_000},
    {
        "Event": "SparkListenerExecutorAdded",
        "Timestamp": 1_000,
        "Executor ID": "1",
        "Executor Info": {"Host": "core-1", "Total Cores": 4},
    },
    *(
        {"Event": "SparkListenerTaskEnd", "Stage ID": 0, "Task Info": {"Launch Time": 2_000, "Finish Time": 5_000}}
        for _ in range(2)
    ),
    {"Event": "SparkListenerApplicationEnd", "Timestamp": 11_000},
]


def put_event_log(pipeline, run_id: str) -> None:
    """The log where the step's --conf spark.eventLog.dir sends it (its YARN attempt's name)."""
    key = f"logs/spark-events/pageviews/dt={DT}/run={run_id}/application_1_0001_1"
    body = "".join(json.dumps(event) + "\n" for event in EVENT_LOG)
    pipeline.s3.put_object(Bucket=pipeline.bucket, Key=key, Body=body.encode())


def _cluster(pipeline) -> dict:
    (summary,) = pipeline.clusters()
    return pipeline.emr.describe_cluster(ClusterId=summary["Id"])["Cluster"]


def assert_the_job_step(pipeline, cluster: dict, run_id: str) -> None:
    """The run's one step: the command line wikilake_core.submit builds, failing -> cluster ends;
    its Spark event log into the run's own folder of the lake, which the plan made exist."""
    (step,) = pipeline.emr.list_steps(ClusterId=cluster["Id"])["Steps"]
    args = step["Config"]["Args"]
    assert args[:4] == ["spark-submit", "--deploy-mode", "cluster", "--py-files"]
    # then four Spark properties, the entry point and the job's arguments
    confs, job_arguments = args[5:13], args[14:]
    # the run's Spark event log: into its own folder of the lake, which the plan made exist
    assert confs[0::2] == ["--conf"] * 4
    events_folder = f"logs/spark-events/pageviews/dt={DT}/run={run_id}/"
    assert dict(conf.split("=", 1) for conf in confs[1::2]) == {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": f"s3://{pipeline.bucket}/{events_folder}",
        "spark.eventLog.rolling.enabled": "false",
        "spark.eventLog.compress": "false",
    }
    assert pipeline.s3.head_object(Bucket=pipeline.bucket, Key=events_folder)["ContentLength"] == 0
    assert args[13].startswith("s3://") and args[13].endswith(".py")  # the deployed entry point
    assert job_arguments == [
        "--date",
        DT,
        "--input",
        f"s3://{pipeline.bucket}/raw/pageviews/dt={DT}/",
        "--output-root",
        f"s3://{pipeline.bucket}",
        "--run-id",
        run_id,
    ]
    assert step["ActionOnFailure"] == "TERMINATE_CLUSTER"


def test_success_ingests_runs_the_job_terminates_the_cluster_and_records_the_run(pipeline):
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    put_event_log(pipeline, pipeline.describe(execution)["name"])  # what the job's Spark writes
    done = pipeline.wait(execution, job="COMPLETED", manifest=MANIFEST)
    assert done["status"] == "SUCCEEDED", done.get("cause")

    # raw/: every hour, MD5-verified (the checksum recorded in the object's metadata)
    raw = pipeline.raw_objects()
    assert {name: meta["md5"] for name, meta in raw.items()} == {
        name: hashlib.md5(body).hexdigest() for name, body in hourly_files().items()
    }

    # the job step: the one command line wikilake_core.submit builds, failing -> cluster ends
    cluster = _cluster(pipeline)
    assert_the_job_step(pipeline, cluster, pipeline.describe(execution)["name"])
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
    # the run's profile, read from its event log (EVENT_LOG: 2 tasks of 3 s on 4 cores for 10 s)
    profile = manifest["profile"]
    assert (profile["application_id"], profile["task_seconds"], profile["core_seconds_available"]) == (
        "application_1_0001",
        6,
        40,
    )
    assert record["run_id"] == manifest["run_id"] == pipeline.describe(execution)["name"]
    assert pipeline.alerts() == []

    # sized from the day's bytes under raw/: the tiny day gets the fewest core nodes (cdk.json)
    size = _task_output(pipeline, execution, "SizeRun")
    assert size["input_bytes"] == sum(len(body) for body in hourly_files().values())
    assert size["input_files"] == 24
    request = pipeline.run_job_flow_request(execution)
    (core,) = [g for g in request["Instances"]["InstanceGroups"] if g["InstanceRole"] == "CORE"]
    assert core["InstanceCount"] == size["core_nodes"] == 1


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


def _task_output(pipeline, execution: str, state: str) -> dict:
    """What the Task state ``state`` returned (its result, as Step Functions recorded it)."""
    events = pipeline.sfn.get_execution_history(executionArn=execution)["events"]
    entered = next(i for i, e in enumerate(events) if e.get("stateEnteredEventDetails", {}).get("name") == state)
    succeeded = next(e for e in events[entered:] if e["type"] in ("LambdaFunctionSucceeded", "TaskSucceeded"))
    details = succeeded.get("lambdaFunctionSucceededEventDetails") or succeeded["taskSucceededEventDetails"]
    return json.loads(details["output"])


def test_a_job_step_past_its_deadline_fails_the_run_and_terminates_the_cluster(pipeline, monkeypatch):
    """The step never ends (moto's steps do not progress unless the test plays them): after the
    polls the plan's deadline allows, the run fails with JobTimedOut, terminates its cluster and
    alerts once. The deadline is cut to 3 polls here (the sizing itself: tests/unit/test_run_sizing.py);
    that a real EMR step stuck RUNNING is reported as such stays untested (moto has no YARN)."""
    from wikilake_core import run_sizing

    monkeypatch.setattr(run_sizing, "deadline_polls", lambda timeout_seconds, poll_seconds: 3)
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution)  # no job played: the step stays as EMR left it

    assert done["status"] == "FAILED" and done["error"] == "JobTimedOut", done
    assert "at its deadline" in done["cause"] and "the cluster is terminated" in done["cause"]
    events = pipeline.sfn.get_execution_history(executionArn=execution)["events"]
    polls = [e for e in events if e.get("stateEnteredEventDetails", {}).get("name") == "PollJob"]
    assert len(polls) == 3
    assert _cluster(pipeline)["Status"]["State"] == "TERMINATED"
    (alert,) = pipeline.alerts()
    assert alert.startswith("wikilake run failed: JobTimedOut") and execution in alert


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
    (alert,) = pipeline.alerts()  # from the RunTimedOutRule: no state published one
    assert json.loads(alert)["detail"]["status"] == "ABORTED"

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
        "cancelled_steps": [],
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


def _drop_steps(cluster_id: str) -> None:
    """What an empty ListSteps answer needs: the run's cluster with no step (moto's EMR model)."""
    from moto.emr.models import emr_backends

    from .conftest import ACCOUNT, REGION

    emr_backends[ACCOUNT][REGION].clusters[cluster_id].steps = []


@pytest.mark.parametrize("poll_seconds", ["3"])
def test_a_failure_no_catcher_sees_alerts_once_from_eventbridge_and_the_reaper_ends_the_cluster(pipeline):
    """`$.Steps[0]` of an empty ListSteps answer: the ResultSelector's path matches nothing, which
    fails the execution with States.Runtime, an error `States.ALL` does not catch (Step Functions
    developer guide, error names): no state runs after it, not NotifyFailure, not the cleanup. The
    RunFailedUnalertedRule alerts (the event's detail carries error and cause) and the reap function,
    invoked with the FAILED event as the ReapRule would, ends the cluster."""
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    cluster = _cluster_when_created(pipeline, execution)
    _drop_steps(cluster["Id"])
    done = pipeline.wait(execution)

    assert done["status"] == "FAILED" and done["error"] == "States.Runtime", (done.get("error"), done.get("cause"))
    assert "$.Steps[0]" in done["cause"]
    (alert,) = pipeline.alerts()
    event = json.loads(alert)
    assert event["detail-type"] == "Step Functions Execution Status Change"
    assert event["detail"]["executionArn"] == execution
    assert (event["detail"]["error"], event["detail"]["cause"]) == ("States.Runtime", done["cause"])
    assert _cluster(pipeline)["Status"]["State"] != "TERMINATED"  # nothing in the machine ended it
    assert pipeline.reap(execution, "FAILED")["terminated"] == [cluster["Id"]]


def test_a_run_whose_own_alert_cannot_be_published_is_alerted_once_by_eventbridge(pipeline, monkeypatch):
    """NotifyFailure's publish fails with an error it does not retry (moto's SNS made to answer
    InvalidParameter): the run ends under AlertNotSent, with the original error in its cause, and
    the RunFailedUnalertedRule sends the one alert. (The rule's own delivery goes to the topic on
    AWS; here to its subscriber queue directly, conftest.py says why.)"""
    from moto.sns.exceptions import SNSInvalidParameter

    def refuse(*args, **kwargs):
        raise SNSInvalidParameter("publishing refused by the test")

    monkeypatch.setattr("moto.sns.models.SNSBackend.publish", refuse)
    execution = pipeline.start(runs.execution_input("pageviews", DT))
    done = pipeline.wait(execution, job="FAILED")

    assert done["status"] == "FAILED" and done["error"] == ALERT_NOT_SENT
    assert done["cause"].startswith("JobFailed: job step ")
    assert _cluster(pipeline)["Status"]["State"] == "TERMINATED"  # the cleanup ran before the publish
    (alert,) = pipeline.alerts()
    assert json.loads(alert)["detail"]["error"] == ALERT_NOT_SENT


def test_a_recorded_run_publishes_its_metrics_where_the_dashboard_reads_them(pipeline):
    """The record function, with the environment the template gives it, publishes the run's rows
    and USD in the deployment's namespace (tests/infra/test_dashboard.py holds the dashboard to the
    same one); this manifest carries no timings, so RunSeconds is left out, not published as 0."""
    import boto3

    done = pipeline.wait(pipeline.start(runs.execution_input("pageviews", DT)), job="COMPLETED", manifest=MANIFEST)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    record = json.loads(done["output"])

    cloudwatch = boto3.client("cloudwatch")
    namespace = contract.metrics_namespace("Wikilake-dev")
    listed = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == ["RowsWritten", "RunCostUSD"]
    assert all(m["Dimensions"] == [{"Name": "Dataset", "Value": "pageviews"}] for m in listed)
    sums = {}
    for metric in listed:
        (point,) = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric["MetricName"],
            Dimensions=metric["Dimensions"],
            StartTime=time.time() - 3600,
            EndTime=time.time() + 300,
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        sums[metric["MetricName"]] = point["Sum"]
    assert sums == {"RowsWritten": 1 + 24, "RunCostUSD": pytest.approx(record["cost"]["usd"])}
