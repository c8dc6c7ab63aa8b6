"""`wikilake ui` on AWS: the day's manifest is read from the deployed lake bucket in moto, and the
run's runtime picks the UI.

What stays untested and why: moto 5.2.5 implements neither EMR's persistent application UI
(CreatePersistentAppUI, GetPersistentAppUIPresignedURL) nor EMR Serverless's
GetDashboardForJobRun, so those calls go through botocore's Stubber: it checks each request's
parameters against the service model and against the values expected here, and answers with
responses valid for the model. Whether AWS prepares the UI, how long it takes and whether it
lists an application whose event log went to S3 (logs/spark-events/) are not tested here.
"""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from wikilake.aws import app_ui
from wikilake.aws.session import AwsContext
from wikilake_core import layout

DT = "2024-03-15"
CLUSTER_ARN = "arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/j-RUN"


def put_day(clients, bucket: str, record: dict, application_id: str | None = "application_1_0001") -> None:
    manifest = {"dataset": "pageviews", "dt": DT, "run_id": "r1", "run": record}
    manifest["profile"] = {"application_id": application_id} if application_id else None
    key = layout.manifest_path("", "pageviews", DT).lstrip("/")
    clients.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())


class Stubs:
    """The EMR and EMR Serverless calls a test expects, answered through Stubbers."""

    def __init__(self):
        self.planned: dict[str, list[tuple[str, dict, dict]]] = {"emr": [], "emr-serverless": []}
        self.stubbers: dict[str, Stubber] = {}

    def expect(self, service: str, operation: str, response: dict, params: dict) -> None:
        self.planned[service].append((operation, response, params))

    def stub(self, service: str, client) -> None:
        stubber = self.stubbers[service] = Stubber(client)
        for operation, response, params in self.planned[service]:
            stubber.add_response(operation, response, params)
        stubber.activate()

    def assert_all_called(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def stubs(monkeypatch) -> Stubs:
    """AwsContext.client for EMR and EMR Serverless through Stubbers (the rest through moto)."""
    found = Stubs()
    real = AwsContext.client

    def client(self, service):
        made = real(self, service)
        if service in found.planned and service not in found.stubbers:
            found.stub(service, made)
        return made

    monkeypatch.setattr(AwsContext, "client", client)
    monkeypatch.setattr(app_ui, "POLL_SECONDS", 0)
    return found


def test_a_run_on_emr_on_ec2_gets_its_clusters_persistent_history_server(
    wikilake, deployed, clients, aws_options, stubs
):
    put_day(clients, deployed.bucket, {"runtime": "emr-ec2", "cluster_id": "j-RUN"})
    stubs.expect(
        "emr", "describe_cluster", {"Cluster": {"Id": "j-RUN", "ClusterArn": CLUSTER_ARN}}, {"ClusterId": "j-RUN"}
    )
    stubs.expect("emr", "create_persistent_app_ui", {"PersistentAppUIId": "pa-1"}, {"TargetResourceArn": CLUSTER_ARN})
    request = {"PersistentAppUIId": "pa-1", "PersistentAppUIType": "SHS", "ApplicationId": "application_1_0001"}
    stubs.expect("emr", "get_persistent_app_ui_presigned_url", {"PresignedURLReady": False}, request)
    ready = {"PresignedURLReady": True, "PresignedURL": "https://p-1.emrappui-prod.us-east-1.amazonaws.com/shs/"}
    stubs.expect("emr", "get_persistent_app_ui_presigned_url", ready, request)
    code, out, err = wikilake("ui", "pageviews", "--date", DT, *aws_options)
    assert (code, err) == (0, "")
    assert out == "https://p-1.emrappui-prod.us-east-1.amazonaws.com/shs/\n"
    stubs.assert_all_called()


def test_a_run_on_emr_serverless_gets_its_job_runs_dashboard(wikilake, deployed, clients, aws_options, stubs):
    put_day(clients, deployed.bucket, {"runtime": "emr-serverless", "cluster_id": "00app", "job_run_id": "00run"})
    url = "https://00app.dashboard.emr-serverless.us-east-1.amazonaws.com/?authToken=x"
    stubs.expect(
        "emr-serverless", "get_dashboard_for_job_run", {"url": url}, {"applicationId": "00app", "jobRunId": "00run"}
    )
    code, out, err = wikilake("ui", "pageviews", "--date", DT, *aws_options)
    assert (code, err) == (0, "")
    assert out == url + "\n"
    stubs.assert_all_called()


def test_a_day_without_a_run_on_aws_is_one_line_and_exit_1(wikilake, deployed, aws_options):
    code, out, err = wikilake("ui", "pageviews", "--date", DT, *aws_options)
    assert code == 1 and out == ""
    assert err == f"wikilake: error: no run of pageviews dt={DT} in s3://{deployed.bucket}: run it first\n"


def test_a_ui_emr_never_prepares_is_one_line():
    """The presigned URL never ready: the wait ends with a one-line error naming the UI."""
    from botocore.session import Session

    emr = Session().create_client("emr", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(emr) as stub:
        stub.add_response("describe_cluster", {"Cluster": {"ClusterArn": CLUSTER_ARN}}, {"ClusterId": "j-RUN"})
        stub.add_response("create_persistent_app_ui", {"PersistentAppUIId": "pa-2"}, {"TargetResourceArn": CLUSTER_ARN})
        for _ in range(3):
            stub.add_response(
                "get_persistent_app_ui_presigned_url",
                {"PresignedURLReady": False},
                {"PersistentAppUIId": "pa-2", "PersistentAppUIType": "SHS"},
            )
        with pytest.raises(app_ui.WikilakeError, match="EMR has not prepared the persistent UI pa-2 of cluster j-RUN"):
            app_ui.persistent_ui_url(emr, "j-RUN", poll_seconds=0, attempts=3)
