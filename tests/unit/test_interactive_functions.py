"""The functions' part of a run on the interactive cluster, against botocore's Stubber (the EMR
requests are checked against the EMR API's own model; no AWS): the input's cluster id, the plan's
check that it names the stack's interactive cluster, the step's share of the cluster's cost, and the
reap function cancelling a stopped run's step (never terminating the cluster)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber

from wikilake_core import runs
from wikilake_core.errors import WikilakeError
from wikilake_core.submit import run_id_of
from wikilake_functions import interactive, plan, reap, record
from wikilake_functions.common import InvalidInput

CLUSTER = "j-2AXXXXXXGAPLF"
TAGS = {"Project": "wikilake", "Stage": "dev", "wikilake:cluster": "interactive"}
ENV = {"WIKILAKE_INTERACTIVE_CLUSTER_TAGS": json.dumps(TAGS), "WIKILAKE_CLUSTER_NAME_PREFIX": "Wikilake-dev"}
RUN_ID = "pageviews-2024-03-15-20261206T041714Z"


@pytest.fixture
def emr():
    client = boto3.client("emr", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _cluster(state: str = "WAITING", tags: dict = TAGS) -> dict:
    return {
        "Cluster": {
            "Id": CLUSTER,
            "Name": "Wikilake-dev",
            "Status": {"State": state, "StateChangeReason": {"Message": "Idle for 60 minutes"}},
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
    }


def test_the_input_may_name_a_cluster_by_its_id():
    assert runs.execution_input("pageviews", "2024-03-15", cluster_id=CLUSTER)["cluster_id"] == CLUSTER
    assert "cluster_id" not in runs.execution_input("pageviews", "2024-03-15")  # inputs as before
    named = {"dataset": "pageviews", "dt": "2024-03-15", "cluster_id": CLUSTER}
    assert plan.normalize(named, "2026-11-30T04:30:00Z")["cluster_id"] == CLUSTER
    for bad in ("s-123", "j-", "j-ABC DEF", 42, ""):
        with pytest.raises(WikilakeError, match="bad cluster_id"):
            plan.normalize({**named, "cluster_id": bad}, "2026-11-30T04:30:00Z")


def test_the_stack_s_interactive_cluster_taking_steps_passes(emr):
    client, stubber = emr
    stubber.add_response("describe_cluster", _cluster("RUNNING"), {"ClusterId": CLUSTER})
    interactive.require_cluster(client, CLUSTER, ENV)


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            _cluster(tags={**TAGS, "Stage": "prod"}),
            f"cluster {CLUSTER} is not this app's interactive cluster: it is not tagged Stage=dev",
        ),
        (
            _cluster(tags={"Project": "wikilake", "Stage": "dev"}),
            "it is not tagged wikilake:cluster=interactive",
        ),
        (
            _cluster("TERMINATED"),
            f"the interactive cluster {CLUSTER} is TERMINATED (Idle for 60 minutes): it takes no steps",
        ),
        ("AccessDeniedException", f"cluster {CLUSTER} is not this app's interactive cluster (AccessDeniedException: "),
        (
            "InvalidRequestException",
            f"cluster {CLUSTER} is not this app's interactive cluster (InvalidRequestException: ",
        ),
    ],
)
def test_any_other_cluster_is_refused_as_invalid_input(emr, answer, message):
    client, stubber = emr
    if isinstance(answer, str):
        stubber.add_client_error(
            "describe_cluster", service_error_code=answer, service_message="no", http_status_code=400
        )
    else:
        stubber.add_response("describe_cluster", answer, {"ClusterId": CLUSTER})
    with pytest.raises(InvalidInput, match=re.escape(message)):
        interactive.require_cluster(client, CLUSTER, ENV)


def test_a_throttled_check_is_not_called_bad_input(emr):
    client, stubber = emr
    stubber.add_client_error("describe_cluster", service_error_code="ThrottlingException", http_status_code=400)
    with pytest.raises(Exception, match="ThrottlingException") as raised:
        interactive.require_cluster(client, CLUSTER, ENV)
    assert not isinstance(raised.value, InvalidInput)


def test_without_an_interactive_cluster_a_run_naming_one_is_refused_before_any_call():
    with pytest.raises(InvalidInput, match="this deployment has no interactive cluster"):
        interactive.require_cluster(object(), CLUSTER, {})  # no client call is made


class _StepEmr:
    """A step that ran 45 minutes on a cluster of 1 primary + 2 core m5.xlarge (on demand)."""

    started = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)

    def describe_step(self, ClusterId, StepId):
        timeline = {"StartDateTime": self.started, "EndDateTime": self.started + timedelta(minutes=45)}
        return {"Step": {"Id": StepId, "Status": {"State": "COMPLETED", "Timeline": timeline}}}

    def list_instance_groups(self, ClusterId):
        groups = [("m5.xlarge", 1), ("m5.xlarge", 2)]
        return {
            "InstanceGroups": [
                {"InstanceType": t, "Market": "ON_DEMAND", "RequestedInstanceCount": n, "RunningInstanceCount": n}
                for t, n in groups
            ]
        }


def test_a_step_is_priced_as_the_cluster_for_the_step_s_duration():
    # 3 x m5.xlarge x 0.75 h: 3 x ($0.192 EC2 + $0.048 EMR) x 0.75 = $0.54; 3 x 8 x 0.75 = 18 normalized
    cost = record.step_cost(_StepEmr(), CLUSTER, "s-1")
    assert (cost["hours"], cost["usd"], cost["normalized_instance_hours"]) == (0.75, 0.54, 18.0)


def test_the_run_id_of_a_step_is_the_last_one_its_arguments_pass():
    assert run_id_of(["spark-submit", "job.py", "--run-id", "user-given", "--run-id", RUN_ID]) == RUN_ID
    assert run_id_of(["spark-submit", "job.py", "--date", "2024-03-15"]) is None
    assert run_id_of(["spark-submit", "--run-id"]) is None


def _step(step_id: str, run_id: str) -> dict:
    args = ["spark-submit", "--deploy-mode", "cluster", "job.py", "--run-id", run_id]
    return {
        "Id": step_id,
        "Name": "wikilake pageviews dt=2024-03-15",
        "Config": {"Jar": "command-runner.jar", "Args": args},
    }


def test_the_reaper_cancels_the_stopped_run_s_step_and_terminates_nothing(emr):
    """No ListClusters, no TerminateJobFlows: the Stubber fails on any call not queued here."""
    client, stubber = emr
    execution = f"arn:aws:states:us-east-1:123456789012:execution:Pipeline:{RUN_ID}"
    listed = {"Steps": [_step("s-OTHER", "someone-else"), _step("s-OURS", RUN_ID)]}
    stubber.add_response("list_steps", listed, {"ClusterId": CLUSTER, "StepStates": ["PENDING", "RUNNING"]})
    stubber.add_response(
        "cancel_steps",
        {"CancelStepsInfoList": [{"StepId": "s-OURS", "Status": "SUBMITTED"}]},
        {"ClusterId": CLUSTER, "StepIds": ["s-OURS"], "StepCancellationOption": "SEND_INTERRUPT"},
    )
    run_input = runs.execution_input("pageviews", "2024-03-15", cluster_id=CLUSTER)
    event = {"detail": {"executionArn": execution, "status": "ABORTED", "input": json.dumps(run_input)}}

    reaped = reap.handle(event, ENV, emr=client)  # no startDate: no lease to look up

    assert (reaped["cancelled_steps"], reaped["terminated"]) == (["s-OURS"], [])


def test_the_reaper_logs_a_cluster_it_may_not_touch_and_goes_on(emr):
    client, stubber = emr
    stubber.add_client_error("list_steps", service_error_code="AccessDeniedException", http_status_code=400)
    assert interactive.cancel_run_steps(client, CLUSTER, RUN_ID) == []
