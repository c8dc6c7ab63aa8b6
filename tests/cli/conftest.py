"""Fixtures for the AWS verbs: fake credentials, a moto server on 127.0.0.1 reached through
--endpoint-url, a "deployed" wikilake (CloudFormation stacks in moto whose Outputs carry the
contract's keys, plus the resources they name), and a loopback dumps server.

Nothing here can reach real AWS: the credentials are fake, config files point nowhere, and
every call goes to the moto endpoint.
"""

from __future__ import annotations

import logging

import boto3
import botocore.loaders
import botocore.session
import pytest
import urllib3
from aws_stacks import FAKE_PRIVATE_KEY, Deployment, deploy_stack
from dumps_server import DumpsServer
from fake_pipeline import FakePipeline, execute_state_machines
from moto.server import ThreadedMotoServer

from wikilake.cli import main
from wikilake_core.contract import Outputs, job_entrypoint_output, stack_names
from wikilake_core.datasets import DATASETS

REGION = "us-east-1"
BUCKET = "wikilake-dev-data-123456789012"
KEY_PAIR_ID = "key-0123456789abcdef0"


@pytest.fixture(autouse=True)
def fake_aws_environment(monkeypatch, tmp_path_factory):
    """Fake credentials and a region; shared config files and profiles made unreachable."""
    nowhere = tmp_path_factory.mktemp("aws-config")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nowhere / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("WIKILAKE_CONTACT", raising=False)  # the developer's own, if set
    # A test that forgets --endpoint-url hits a closed local port, never AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_loader():
    """Each CLI run builds a fresh boto3 session, which re-reads the service models and endpoint
    rules from disk (~0.3 s); in one test process they can be read once. Data only: behaviour
    is unchanged."""
    loaders: dict = {}

    def cached_loader(search_paths_string=None):
        if search_paths_string not in loaders:
            loaders[search_paths_string] = botocore.loaders.create_loader(search_paths_string)
        return loaders[search_paths_string]

    patch = pytest.MonkeyPatch()
    patch.setattr(botocore.session, "create_loader", cached_loader)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def moto_server():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_server):
    """The moto endpoint, emptied before each test."""
    # Resetting the EC2 backend (default VPCs, AMIs) can take seconds on a busy machine: more than
    # urllib3's default 3-second read timeout.
    urllib3.request("POST", f"{moto_server}/moto-api/reset", timeout=60)
    return moto_server


@pytest.fixture
def aws_options(endpoint) -> list[str]:
    return ["--endpoint-url", endpoint, "--region", REGION]


class Clients:
    """``clients.s3`` etc.: boto3 clients on the moto endpoint, made once per test session."""

    def __init__(self, endpoint: str):
        self._session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        self._endpoint = endpoint

    def __getattr__(self, service: str):
        client = self._session.client(service, endpoint_url=self._endpoint)
        setattr(self, service, client)
        return client


@pytest.fixture(scope="session")
def session_clients(moto_server) -> Clients:
    return Clients(moto_server)


@pytest.fixture
def clients(endpoint, session_clients) -> Clients:
    return session_clients


def start_cluster(emr, bucket: str) -> str:
    return emr.run_job_flow(
        Name="wikilake-dev",
        ReleaseLabel="emr-7.13.0",
        LogUri=f"s3://{bucket}/logs/emr/",
        Applications=[{"Name": "Spark"}],
        JobFlowRole="wikilake-instance",
        ServiceRole="wikilake-emr",
        Instances={
            "InstanceGroups": [
                {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
                {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
            "Ec2KeyName": "wikilake-dev",
        },
    )["JobFlowId"]


@pytest.fixture
def deployed(clients) -> Deployment:
    """Everything `cdk deploy` would leave behind that the CLI reads, in moto."""
    s3, emr = clients.s3, clients.emr
    s3.create_bucket(Bucket=BUCKET)
    cluster_id = start_cluster(emr, BUCKET)
    parameter = f"/ec2/keypair/{KEY_PAIR_ID}"
    clients.ssm.put_parameter(Name=parameter, Value=FAKE_PRIVATE_KEY, Type="SecureString")
    clients.athena.create_work_group(
        Name="wikilake-dev",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/athena-results/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    clients.glue.create_database(DatabaseInput={"Name": "wikilake_dev"})
    primary_dns = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    names = stack_names()
    by_stack = {
        names["storage"]: {
            Outputs.BUCKET: BUCKET,
            Outputs.JOBS_PACKAGE_URL: "s3://cdk-assets-123/spark_jobs.zip",
            Outputs.DDL_URL: "s3://cdk-assets-123/athena_ddl.zip",
            **{job_entrypoint_output(ds): f"s3://cdk-assets-123/{ds}_job.py" for ds in DATASETS},
        },
        names["catalog"]: {Outputs.DATABASE: "wikilake_dev", Outputs.WORKGROUP: "wikilake-dev"},
        names["processing"]: {
            Outputs.CLUSTER_ID: cluster_id,
            Outputs.PRIMARY_DNS: primary_dns,
            Outputs.KEY_PAIR_NAME: "wikilake-dev",
            Outputs.KEY_PAIR_SSM_PARAMETER: parameter,
            Outputs.SSH_COMMAND: f"ssh -i wikilake-dev.pem hadoop@{primary_dns}",
            Outputs.LOG_URI: f"s3://{BUCKET}/logs/emr/",
        },
    }
    for name, outputs in by_stack.items():
        deploy_stack(clients.cloudformation, name, outputs)
    merged = {k: v for outputs in by_stack.values() for k, v in outputs.items()}
    return Deployment(BUCKET, cluster_id, merged, names)


@pytest.fixture
def pipeline(deployed, clients, endpoint):
    """The deployment plus a state machine moto executes (`pipeline.deploy(...)` makes it)."""
    execute_state_machines(endpoint, True)
    yield FakePipeline(clients, deployed)
    execute_state_machines(endpoint, False)


@pytest.fixture
def dumps():
    server = DumpsServer().start()
    yield server
    server.stop()


@pytest.fixture
def wikilake(capsys):
    """Run the real CLI entry point; returns (exit code, stdout, stderr)."""

    def run(*argv: str):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run
