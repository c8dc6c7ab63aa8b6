"""A run on the interactive cluster (issue 27), in moto's Step Functions interpreter with the
functions in-process (conftest.py), on the state machine synthesized with interactive_cluster=true:
the execution names the cluster (``cluster_id``), its job step goes to that cluster, no cluster is
created or terminated, and the day is leased, verified, checked, published and released as for
any run. The interactive cluster is created in moto as the template declares it (its name and
tags: conftest.interactive_cluster).

moto has no CancelSteps: the ``cancel_steps`` fixture adds what the EMR API reference says it does
(a PENDING or RUNNING step becomes CANCELLED; docs.aws.amazon.com/emr/latest/APIReference/
API_CancelSteps.html), so the deadline's cancel and the reap function's run through EMR's API as
deployed. Untested here: that EMR on AWS interrupts a running Spark step on SEND_INTERRUPT, and
IAM itself (moto does not enforce the tag conditions: tests/infra/test_interactive_pipeline.py
holds the grants).
"""

import json
import time

import pytest
from moto.core.responses import ActionResult
from moto.emr.models import emr_backends
from moto.emr.responses import ElasticMapReduceResponse

from wikilake_core import contract, layout, runs

from .conftest import DT
from .test_day_writer import _locations, _run_folder_locations, _succeed
from .test_state_machine import MANIFEST


@pytest.fixture
def pipeline_template(interactive_processing_template) -> dict:
    return interactive_processing_template


@pytest.fixture
def cancel_steps(monkeypatch) -> list[str]:
    """moto's EMR with CancelSteps; returns the ids cancelled, in order."""
    cancelled: list[str] = []

    def cancel(response):
        cluster = emr_backends[response.current_account][response.region].clusters[response._get_param("ClusterId")]
        wanted = set(response._get_param("StepIds", []))
        for step in cluster.steps:
            if step.id in wanted and step.state in ("PENDING", "RUNNING"):
                step.state = "CANCELLED"
                cancelled.append(step.id)
        return ActionResult({"CancelStepsInfoList": [{"StepId": s, "Status": "SUBMITTED"} for s in sorted(wanted)]})

    monkeypatch.setattr(ElasticMapReduceResponse, "cancel_steps", cancel, raising=False)
    return cancelled


ALIVE = {"WAITING", "RUNNING"}  # moto's cluster runs once it has a step, as EMR's does


def _start(pipeline, cluster_id: str) -> str:
    return pipeline.start(runs.execution_input("pageviews", DT, cluster_id=cluster_id))


def _state(pipeline, cluster_id: str) -> str:
    return pipeline.emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]["State"]


def _emr_calls(pipeline, execution: str) -> list[str]:
    """The EMR actions the execution's tasks called, in order."""
    events = pipeline.sfn.get_execution_history(executionArn=execution)["events"]
    return [
        e["taskScheduledEventDetails"]["resource"]
        for e in events
        if e.get("taskScheduledEventDetails", {}).get("resourceType") == "aws-sdk:emr"
    ]


def _step_ids_when(pipeline, cluster_id: str, count: int) -> list[str]:
    """The cluster's step ids once it has ``count`` of them (the execution adds its own)."""
    for _ in range(300):
        steps = pipeline.emr.list_steps(ClusterId=cluster_id)["Steps"]
        if len(steps) >= count:
            return [s["Id"] for s in steps]
        time.sleep(0.1)
    raise AssertionError(f"{cluster_id} has {len(steps)} steps, not {count}")


def _day_manifest(pipeline) -> dict:
    key = layout.manifest_path("", "pageviews", DT).lstrip("/")
    return json.loads(pipeline.s3.get_object(Bucket=pipeline.bucket, Key=key)["Body"].read())


def test_an_interactive_run_adds_its_step_to_the_cluster_and_publishes_the_day(pipeline, interactive_cluster):
    execution = _start(pipeline, interactive_cluster)
    done = pipeline.wait(execution, job="COMPLETED", manifest=MANIFEST)
    assert done["status"] == "SUCCEEDED", done.get("cause")
    run_id = pipeline.describe(execution)["name"]

    # its step, on the given cluster; no cluster made, none ended
    assert [c["Id"] for c in pipeline.clusters()] == [interactive_cluster]
    assert _emr_calls(pipeline, execution)[0] == "addJobFlowSteps"
    assert not {"runJobFlow", "terminateJobFlows"} & set(_emr_calls(pipeline, execution))
    (step,) = pipeline.emr.list_steps(ClusterId=interactive_cluster)["Steps"]
    assert step["Config"]["Args"][-2:] == ["--run-id", run_id]
    assert step["ActionOnFailure"] == "CONTINUE"  # a failing step leaves the cluster up
    assert _state(pipeline, interactive_cluster) in ALIVE

    # published: every table's partition at the run's folder, the day's manifest naming the run
    assert _locations(pipeline) == _run_folder_locations(pipeline, execution)
    record = json.loads(done["output"])
    assert (record["cluster_id"], record["step_id"], record["run_id"]) == (interactive_cluster, step["Id"], run_id)
    assert _day_manifest(pipeline)["run"] == record and _day_manifest(pipeline)["run_id"] == run_id
    # priced as the step's share (moto reports no StartDateTime: 0 hours; the pricing itself:
    # tests/unit/test_interactive_functions.py), not the whole cluster's lifetime (>= 1 minute)
    assert (record["cost"]["hours"], record["cost"]["usd"]) == (0, 0)
    rows = pipeline.s3.get_object(Bucket=pipeline.bucket, Key=f"quality/pageviews/dt={DT}/checks.json")["Body"]
    assert rows.read().count(b"\n") == 5  # the pageviews checks, written with the publish
    # the day is given back
    assert pipeline.day_lease() is None and pipeline.holds() == []
    assert pipeline.alerts() == []


def test_a_failed_interactive_step_leaves_the_previous_day_and_terminates_nothing(pipeline, interactive_cluster):
    first = _succeed(pipeline)  # the day, published by a run on a cluster of its own
    published, live = _locations(pipeline), _day_manifest(pipeline)
    assert published == _run_folder_locations(pipeline, first)
    run_cluster = next(c["Id"] for c in pipeline.clusters() if c["Id"] != interactive_cluster)

    failed = _start(pipeline, interactive_cluster)
    done = pipeline.wait(failed, job="FAILED", wrote=True)  # the job writes its folders, then fails

    assert (done["status"], done["error"]) == ("FAILED", "JobFailed")
    assert f"on the interactive cluster {interactive_cluster} ended FAILED" in done["cause"]
    assert _locations(pipeline) == published and _day_manifest(pipeline) == live
    assert _state(pipeline, interactive_cluster) in ALIVE
    assert "terminateJobFlows" not in _emr_calls(pipeline, failed)
    assert len(pipeline.clusters()) == 2 and _state(pipeline, run_cluster) == "TERMINATED"  # the first run's own
    assert pipeline.day_lease() is None
    (alert,) = pipeline.alerts()
    assert alert.startswith("wikilake run failed: JobFailed (job step") and failed in alert
    # the reap rule gets the FAILED event too: it ends nothing of the interactive cluster
    reaped = pipeline.reap(failed, "FAILED")
    assert (reaped["terminated"], reaped["cancelled_steps"]) == ([], [])
    assert _state(pipeline, interactive_cluster) in ALIVE


def test_a_cluster_other_than_the_interactive_one_is_refused_before_anything_moves(pipeline, interactive_cluster):
    """Another of the app's clusters (a run's own: it lacks the interactive role tag) and a
    terminated interactive cluster: the plan refuses, no step is added, the day is given back."""
    tags = {
        t["Key"]: t["Value"] for t in pipeline.emr.describe_cluster(ClusterId=interactive_cluster)["Cluster"]["Tags"]
    }
    other = pipeline.emr.run_job_flow(
        Name="Wikilake-dev-pageviews-2024-03-14",
        ReleaseLabel="emr-7.13.0",
        Instances={
            "InstanceGroups": [{"Name": "p", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}]
        },
        JobFlowRole="instance-profile",
        ServiceRole="service-role",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items() if k != contract.TAG_CLUSTER_ROLE],
    )["JobFlowId"]
    refused = pipeline.wait(_start(pipeline, other))
    assert (refused["status"], refused["error"]) == ("FAILED", "InvalidInput")
    assert (
        f"cluster {other} is not this app's interactive cluster: it is not tagged wikilake:cluster=interactive"
        in (refused["cause"])
    )
    assert pipeline.emr.list_steps(ClusterId=other)["Steps"] == []

    pipeline.emr.terminate_job_flows(JobFlowIds=[interactive_cluster])
    gone = pipeline.wait(_start(pipeline, interactive_cluster))
    assert (
        gone["error"] == "InvalidInput"
        and f"the interactive cluster {interactive_cluster} is TERMINATED" in gone["cause"]
    )
    assert pipeline.emr.list_steps(ClusterId=interactive_cluster)["Steps"] == []
    assert pipeline.holds() == []


def test_an_interactive_step_past_its_deadline_is_cancelled_and_the_cluster_stays(
    pipeline, interactive_cluster, cancel_steps, monkeypatch
):
    """The deadline is cut to 3 polls, as for a run's own cluster (test_state_machine.py)."""
    from wikilake_core import run_sizing

    monkeypatch.setattr(run_sizing, "deadline_polls", lambda timeout_seconds, poll_seconds: 3)
    execution = _start(pipeline, interactive_cluster)
    done = pipeline.wait(execution)  # no job played: the step stays RUNNING

    assert (done["status"], done["error"]) == ("FAILED", "JobTimedOut")
    assert "the step is cancelled, the cluster stays" in done["cause"]
    (step,) = pipeline.emr.list_steps(ClusterId=interactive_cluster)["Steps"]
    assert cancel_steps == [step["Id"]] and step["Status"]["State"] == "CANCELLED"
    assert _state(pipeline, interactive_cluster) in ALIVE
    assert pipeline.holds() == []


@pytest.mark.parametrize("poll_seconds", ["5"])
def test_a_stopped_interactive_run_has_its_step_cancelled_by_the_reaper(pipeline, interactive_cluster, cancel_steps):
    """Stopping runs no further state: the reap function (the ABORTED event) gives the day back
    and cancels the run's step, found by its run id; another run's step on the cluster stays."""
    other = pipeline.emr.add_job_flow_steps(
        JobFlowId=interactive_cluster,
        Steps=[
            {
                "Name": "someone else's",
                "ActionOnFailure": "CONTINUE",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "--run-id", "other-run"]},
            }
        ],
    )["StepIds"][0]
    execution = _start(pipeline, interactive_cluster)
    (ours,) = set(_step_ids_when(pipeline, interactive_cluster, count=2)) - {other}
    pipeline.sfn.stop_execution(executionArn=execution)
    assert pipeline.wait(execution)["status"] == "ABORTED"
    assert pipeline.day_lease() is not None  # no state ran

    reaped = pipeline.reap(execution, "ABORTED")
    assert (reaped["cancelled_steps"], reaped["terminated"], reaped["day_released"]) == ([ours], [], True)
    states = {s["Id"]: s["Status"]["State"] for s in pipeline.emr.list_steps(ClusterId=interactive_cluster)["Steps"]}
    assert states == {ours: "CANCELLED", other: "RUNNING"}
    assert _state(pipeline, interactive_cluster) in ALIVE and pipeline.holds() == []
