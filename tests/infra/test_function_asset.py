"""The functions' asset as `cdk deploy` ships it, run on its own: for every Python Lambda function of
every synthesized template (each variant of tests/infra/conftest.py, and the delivery pipeline's
stages), find the folder its code is zipped from, import its handler in a fresh interpreter that
sees only that folder and the Lambda Python runtime's libraries, and run the handler's main path
against moto, checking its effect there.

- The asset folder: a template names the code by S3 key (`<hash>.zip`); the stack's asset manifest
  (`<stack>.assets.json`, what `cdk deploy` uploads from) maps that hash to the folder staged in
  the cloud assembly. The session's app is built in code, as app.py is, so its templates carry no
  `aws:asset:path` metadata (the CDK CLI asks for it by context): the manifest is the same mapping.
- The interpreter: `python -I -S` (no site-packages, no PYTHONPATH, no current folder), its path
  the asset folder plus a folder of links to the venv's boto3, botocore, s3transfer, jmespath,
  dateutil, urllib3 and six: what the runtime ships ("an environment that includes the SDK for
  Python (Boto3)", https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html). It reports
  every module it loaded from elsewhere than those and the standard library (none may be).
- AWS: one moto server (ThreadedMotoServer, 127.0.0.1) per module, emptied before each test,
  reached through AWS_ENDPOINT_URL (botocore reads it); each function gets its template's
  environment, intrinsics resolved against the moto resources made here (the lease table and
  topic with the template's names, the bucket and Glue catalog as in tests/pipeline). The dumps
  site is the pipeline tests' loopback DumpsServer serving their day of hourly files.
- Which functions: main paths run on the `default` (emr-ec2) and `serverless` variants' five
  functions (their environments differ: the record function reads the Serverless job run, the
  reap function ends no cluster); every other Python function (other variants, delivery stages)
  must share an asset folder and handler with one of them. The other functions in the templates
  are CDK's own providers (S3 auto-delete objects, restrict the default security group), Node.js:
  out of scope. A Python function that is not ours would fail the coverage test, named, rather
  than pass untried.

Untested here: the runtime's Python (3.14; the interpreter is the venv's 3.11) and its boto3
version (the venv's is used); IAM (moto allows every call).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import boto3
import pytest
import urllib3
from pipeline.conftest import DT, MONTH, REGION, DumpsServer, Intrinsics, _catalog, hourly_files
from pipeline.test_state_machine import MANIFEST

from wikilake_core import contract, leases, runs

from .asset_runner import FAKE_AWS, invoke, link_runtime_libraries, python_functions
from .conftest import VARIANTS

RUN_VARIANTS = ("default", "serverless")
PLAN, INGEST, RECORD, DAY_LEASE, REAP = (
    f"wikilake_functions.{module}.handler" for module in ("plan", "ingest_file", "record", "day_lease", "reap")
)
STARTED = datetime(2024, 3, 16, 4, 30, tzinfo=timezone.utc)
RUN_ID = runs.execution_name("pageviews", DT, now=STARTED)
EXECUTION = f"arn:aws:states:{REGION}:123456789012:execution:Pipeline:{RUN_ID}"
OTHER_EXECUTION = f"{EXECUTION}-other"
RUN_INPUT = {"dataset": "pageviews", "dt": DT}
CLI_AND_BENCH = {"wikilake", "bench", "stacks", "spark_jobs", "tests"}


@pytest.fixture(scope="module")
def assembly(synthesized):
    return python_functions(synthesized.outdir)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    return link_runtime_libraries(tmp_path_factory.mktemp("lambda-runtime") / "python")


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def dumps():
    server = DumpsServer().start()
    server.add_month(MONTH, hourly_files())
    yield server
    server.stop()


def aws_client(endpoint: str, service: str):
    """A client of the moto server, with the fake credentials the functions get too."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class Deployed:
    """One variant's processing stack in moto: its Python functions, runnable from their asset."""

    variant: str
    functions: dict  # handler -> PythonFunction
    intrinsics: Intrinsics
    endpoint: str
    runtime: object
    bucket: str
    lease_table: str
    database: str
    overrides: dict  # the dumps site's mirror, and no long retries

    def client(self, service: str):
        return aws_client(self.endpoint, service)

    def environment(self, handler: str) -> dict:
        return self.intrinsics.resolve(self.functions[handler].environment)

    def call(self, handler: str, event: dict) -> dict:
        environment = {**self.environment(handler), **self.overrides}
        return invoke(self.functions[handler], self.runtime, event, environment, endpoint=self.endpoint, region=REGION)

    def result(self, handler: str, event: dict) -> dict:
        answer = self.call(handler, event)
        assert "result" in answer, f"{handler}: {answer.get('errorType')}: {answer.get('errorMessage')}"
        return answer["result"]

    def held(self) -> list[dict]:
        return self.client("dynamodb").scan(TableName=self.lease_table, ConsistentRead=True)["Items"]

    def cluster(self, name: str, execution: str) -> str:
        """A cluster in moto's EMR, tagged as the state machine tags a run's cluster."""
        return self.client("emr").run_job_flow(
            Name=name,
            ReleaseLabel="emr-7.13.0",
            Instances={
                "InstanceGroups": [
                    {"InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": 1, "Market": "ON_DEMAND"}
                    for role in ("MASTER", "CORE")
                ],
                "KeepJobFlowAliveWhenNoSteps": True,
            },
            JobFlowRole="instance-profile",
            ServiceRole="service-role",
            Tags=[{"Key": contract.TAG_RUN_EXECUTION, "Value": execution}],
        )["JobFlowId"]


@pytest.fixture(params=RUN_VARIANTS)
def deployed(request, synthesized, assembly, moto_endpoint, runtime, dumps) -> Deployed:
    """The variant's resources in a freshly emptied moto, under the template's names."""
    urllib3.request("POST", f"{moto_endpoint}/moto-api/reset", timeout=60)
    template_path = synthesized.template_path(request.param, "processing")
    template = json.loads(template_path.read_text())
    functions = {f.handler: f for f in assembly if f.template == template_path}
    intrinsics = Intrinsics(template, {}, {})
    lease_table = _create_resources(moto_endpoint, template, intrinsics)
    bucket = intrinsics.resolve(functions[RECORD].environment)["WIKILAKE_BUCKET"]
    aws_client(moto_endpoint, "s3").create_bucket(Bucket=bucket)
    database = _catalog(aws_client(moto_endpoint, "glue"), template, intrinsics, bucket)
    overrides = {"WIKILAKE_DUMPS_MIRROR": dumps.url, "WIKILAKE_INGEST_RETRIES": "1", "WIKILAKE_INGEST_BACKOFF": "0"}
    return Deployed(
        request.param, functions, intrinsics, moto_endpoint, runtime, bucket, lease_table, database, overrides
    )


def _create_resources(endpoint: str, template: dict, intrinsics: Intrinsics) -> str:
    """The lease table, the alerts topic and (emr-serverless) the application the functions name,
    recorded in ``intrinsics``; returns the lease table's name."""
    lease_table = ""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table":
            lease_table = intrinsics.refs[logical_id] = f"{logical_id}-name"
            aws_client(endpoint, "dynamodb").create_table(
                TableName=lease_table,
                **{key: properties[key] for key in ("KeySchema", "AttributeDefinitions", "BillingMode")},
            )
        elif resource["Type"] == "AWS::SNS::Topic":
            intrinsics.refs[logical_id] = aws_client(endpoint, "sns").create_topic(Name=logical_id)["TopicArn"]
        elif resource["Type"] == "AWS::EMRServerless::Application":
            application = aws_client(endpoint, "emr-serverless").create_application(
                name=logical_id,
                releaseLabel=properties["ReleaseLabel"],
                type=properties["Type"].upper(),  # moto knows SPARK, not Spark
            )
            intrinsics.attributes[logical_id, "ApplicationId"] = application["applicationId"]
    return lease_table


def test_every_python_function_has_its_main_path_run_here(synthesized, assembly):
    """Every processing stack (each variant, each delivery stage) has the five functions, and each
    one shares its asset folder and handler with a function whose main path the tests below run."""
    processing = {synthesized.template_path(variant, "processing") for variant in VARIANTS}
    processing |= {path for path in synthesized.stage_template_paths() if "Processing" in path.name}
    assert Counter(f.template for f in assembly) == dict.fromkeys(processing, 5)
    run_templates = {synthesized.template_path(variant, "processing") for variant in RUN_VARIANTS}
    ran = {(f.asset, f.handler) for f in assembly if f.template in run_templates}
    assert {handler for _, handler in ran} == {PLAN, INGEST, RECORD, DAY_LEASE, REAP}
    untried = [f.where for f in assembly if (f.asset, f.handler) not in ran]
    assert not untried, f"Python functions whose asset and handler no test here runs: {untried}"


def test_the_asset_holds_the_functions_and_what_they_share_only(assembly):
    for asset in {f.asset for f in assembly}:
        entries = {p.relative_to(asset) for p in asset.rglob("*")}
        top = {e.parts[0] for e in entries}
        assert not CLI_AND_BENCH & top, f"{asset.name} ships {CLI_AND_BENCH & top}"
        assert top == {"wikilake_functions", "wikilake_core", "wikilake_ingest"}
        assert not [e for e in entries if (asset / e).is_symlink()], "links are followed when the asset is staged"
        assert not [e for e in entries if "__pycache__" in e.parts or e.suffix == ".pyc"]


def test_plan_returns_the_files_to_ingest_and_sizes_the_run(deployed, dumps):
    planned = deployed.result(PLAN, {"input": RUN_INPUT, "started_at": "2024-03-16T04:30:00Z", "run_id": RUN_ID})
    expected = {
        (name, f"{dumps.url}/{MONTH}/{name}", hashlib.md5(body).hexdigest()) for name, body in hourly_files().items()
    }
    assert {(f["name"], f["url"], f["md5"]) for f in planned["files"]} == expected
    (step,) = planned["steps"]
    assert "--run-id" in json.dumps(step) and RUN_ID in json.dumps(step)
    assert planned["cluster_name"] == f"{deployed.environment(PLAN)['WIKILAKE_CLUSTER_NAME_PREFIX']}-pageviews-{DT}"
    sizes = {"a.gz": 1000, "b.gz": 2500, "c.gz": 40}
    for name, size in sizes.items():
        deployed.client("s3").put_object(Bucket=deployed.bucket, Key=f"raw/pageviews/dt={DT}/{name}", Body=b"x" * size)
    now = datetime.now(timezone.utc).isoformat()
    sized = deployed.result(PLAN, {"size": {"run": planned["run"], "started_at": now}})
    assert (sized["input_bytes"], sized["input_files"]) == (sum(sizes.values()), len(sizes))
    assert sized["core_nodes"] >= 1 and sized["timeout_seconds"] > 0
    assert ("spark_submit_parameters" in sized) == (deployed.variant == "serverless")


def test_ingest_fetches_one_file_into_raw(deployed, dumps):
    name, body = sorted(hourly_files().items())[3]
    url = f"{dumps.url}/{MONTH}/{name}"
    fetched_before = sum(r.path == f"/{MONTH}/{name}" for r in dumps.requests)
    file = {"name": name, "url": url, "md5": hashlib.md5(body).hexdigest()}
    outcome = deployed.result(INGEST, {"dataset": "pageviews", "dt": DT, "file": file, "execution": EXECUTION})
    landed = deployed.client("s3").get_object(Bucket=deployed.bucket, Key=f"raw/pageviews/dt={DT}/{name}")
    assert landed["Body"].read() == body
    assert (outcome["name"], outcome["size"], outcome["md5"]) == (name, len(body), file["md5"])
    assert sum(r.path == f"/{MONTH}/{name}" for r in dumps.requests) == fetched_before + 1
    assert deployed.held() == [], "the download slot is given back"


def test_record_verifies_publishes_and_records_a_run(deployed):
    s3 = deployed.client("s3")
    s3.put_object(
        Bucket=deployed.bucket,
        Key=f"run-manifests/pageviews/dt={DT}/run={RUN_ID}/manifest.json",
        Body=json.dumps({**MANIFEST, "run_id": RUN_ID}).encode(),
    )
    run = {**runs.execution_input("pageviews", DT), "run_id": RUN_ID}
    if deployed.variant == "serverless":
        application = deployed.environment(RECORD)["WIKILAKE_SERVERLESS_APPLICATION_ID"]
        job_run = deployed.client("emr-serverless").start_job_run(
            applicationId=application, executionRoleArn="arn:aws:iam::123456789012:role/job", clientToken="t"
        )
        event, compute = {"run": run, "job_run": {"JobRunId": job_run["jobRunId"]}}, application
    else:
        compute = deployed.cluster("the run's cluster", EXECUTION)
        event = {"run": run, "cluster_id": compute}
    record = deployed.result(RECORD, event)
    assert (record["status"], record["run_id"], record["cluster_id"]) == ("SUCCEEDED", RUN_ID, compute)
    assert record["rows_written"] == MANIFEST["rows_written"]
    day = json.loads(
        s3.get_object(Bucket=deployed.bucket, Key=f"manifests/pageviews/dt={DT}/manifest.json")["Body"].read()
    )
    assert day["run"] == record
    glue = deployed.client("glue")
    for table in MANIFEST["rows_written"]:
        partition = glue.get_partition(DatabaseName=deployed.database, TableName=table, PartitionValues=[DT])
        location = partition["Partition"]["StorageDescriptor"]["Location"]
        assert location == f"s3://{deployed.bucket}/processed/{table}/dt={DT}/run={RUN_ID}/"


def test_the_day_lease_is_taken_refused_to_another_and_given_back(deployed):
    def lease(action: str, execution: str) -> dict:
        event = {"action": action, "input": RUN_INPUT, "started_at": "2024-03-16T04:30:00Z", "execution": execution}
        return deployed.call(DAY_LEASE, event)

    assert "result" in lease("take", EXECUTION)
    (item,) = deployed.held()
    assert (item["lease_id"]["S"], item["holder"]["S"]) == (f"day/pageviews/{DT}", EXECUTION)
    lease_seconds = int(deployed.environment(DAY_LEASE)["WIKILAKE_DAY_LEASE_SECONDS"])
    assert abs(int(item["expires_at"]["N"]) - (time.time() + lease_seconds)) < 120
    refused = lease("take", OTHER_EXECUTION)
    assert refused["errorType"] == "DayBusy" and EXECUTION in refused["errorMessage"]
    assert lease("release", OTHER_EXECUTION)["result"]["released"] is False
    assert lease("release", EXECUTION)["result"]["released"] is True
    assert deployed.held() == []


def test_reap_gives_the_day_back_and_ends_the_run_cluster(deployed):
    deployed.client("dynamodb").put_item(
        TableName=deployed.lease_table,
        Item={
            leases.LEASE_ID: {"S": f"day/pageviews/{DT}"},
            leases.HOLDER: {"S": EXECUTION},
            leases.EXECUTION: {"S": EXECUTION},
            leases.EXPIRES_AT: {"N": str(int(time.time()) + 3600)},
        },
    )
    prefix = deployed.environment(PLAN)["WIKILAKE_CLUSTER_NAME_PREFIX"]
    run_cluster = deployed.cluster(f"{prefix}-pageviews-{DT}", EXECUTION)
    other_cluster = deployed.cluster(f"{prefix}-pageviews-2024-03-14", OTHER_EXECUTION)
    detail = {
        "executionArn": EXECUTION,
        "status": "TIMED_OUT",
        "input": json.dumps(RUN_INPUT),
        "startDate": int(STARTED.timestamp() * 1000),
    }
    reaped = deployed.result(REAP, {"source": "aws.states", "detail": detail})
    assert reaped["day_released"] is True and deployed.held() == []
    emr = deployed.client("emr")
    states = {c: emr.describe_cluster(ClusterId=c)["Cluster"]["Status"]["State"] for c in (run_cluster, other_cluster)}
    if deployed.variant == "serverless":  # no cluster to end: EMR Serverless cancels its own job runs
        assert reaped["terminated"] == [] and "TERMINATED" not in states.values()
    else:
        assert reaped["terminated"] == [run_cluster]
        assert states[run_cluster] == "TERMINATED" and states[other_cluster] != "TERMINATED"
