"""Run the synthesized state machine in moto's Step Functions interpreter.

- The default configuration is synthesized once (no cdk-nag); the state machine's DefinitionString
  and the functions' environments are rendered by substituting every CloudFormation intrinsic
  (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) with the moto resources created here: the definition
  executed is the one `cdk deploy` would create, not a copy.
- Lambda: moto runs functions only in Docker; LambdaFunction._invoke_lambda is patched to call the
  handler module in-process with the function's (rendered) environment, returning the payload or
  a Lambda-style error ({"errorType", "errorMessage"}) as moto would.
- Catchers: moto's interpreter lets `States.ALL` catch every error; AWS's does not catch
  States.Runtime or States.DataLimitExceeded with it ("The States.ALL error type ... can't catch
  the States.DataLimitExceeded terminal error or Runtime error types", Step Functions developer
  guide, Handling errors). `_aws_catch_all` makes moto's wildcard follow that rule.
- EMR: moto's steps never progress; `Pipeline.play_job` plays the job (writes the run's manifest
  and a Parquet stand-in in its run folder, marks the step COMPLETED or FAILED), as EMR would.
- Glue: the CatalogStack's database and tables are created from athena_ddl/tables (moto's
  CloudFormation has no Glue), so the record function repoints real (moto) partitions.
- The dump site is the loopback DumpsServer of tests/cli (127.0.0.1 only).
- DynamoDB: AWS applies each item request atomically; moto takes no lock, so two functions racing
  for one download slot could both win a conditional write (seen as 4 downloads at once under
  load), and a read racing a delete can leave a bare dict in moto's table that breaks every later
  scan (get_item tests `key in items`, then indexes the defaultdict after the delete: seen in CI).
  `_atomic_item_requests` serializes moto's item reads and writes, as AWS applies them.
- EventBridge: moto's Step Functions emits no "Step Functions Execution Status Change" event and
  moto's EventBridge delivers to no SNS target. So `Pipeline.wait` puts the event AWS documents
  (detail: executionArn, stateMachineArn, name, status, startDate, stopDate, input, output, error,
  cause) on moto's default bus once each execution ends, and the template's rules that alert
  (target: the alerts topic) are created in moto's EventBridge with their own patterns, delivering
  the whole event to the queue that stands for the topic's subscriber. Untested here: that AWS
  emits the event (best effort, by AWS's own account), the topic's delivery of it, and the
  reap rule (the tests invoke the reap function with the event, `Pipeline.reap`).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.once_per_run import built_once
from wikilake_core.paths import PROJECT_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from dumps_server import DumpsServer  # noqa: E402

VENV_BIN = str(Path(sys.executable).parent)
os.environ["PATH"] = os.pathsep.join([VENV_BIN, str(PROJECT_ROOT / "node_modules" / ".bin"), os.environ["PATH"]])
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"
HANDLERS = {
    "PipelinePlanFunction": "wikilake_functions.plan",
    "PipelineIngestFunction": "wikilake_functions.ingest_file",
    "PipelineRecordFunction": "wikilake_functions.record",
    "PipelineReapFunction": "wikilake_functions.reap",
    "PipelineDayLeaseFunction": "wikilake_functions.day_lease",
}
DT = "2024-03-15"
MONTH = "2024/2024-03"


def _synth_processing(outdir: Path, **overrides) -> dict:
    """The ProcessingStack's template of cdk.json's context with ``overrides``."""
    import aws_cdk as cdk

    from stacks.wikilake_app import add_wikilake
    from wikilake_settings.config import WikilakeConfig

    context = {**json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"], **overrides}
    app = cdk.App(outdir=str(outdir), context=context)
    stacks = add_wikilake(app, WikilakeConfig.from_context(context))
    app.synth()
    return json.loads((outdir / f"{stacks.processing.stack_name}.template.json").read_text())


@pytest.fixture(scope="session")
def processing_template(tmp_path_factory, worker_id) -> dict:
    return built_once(tmp_path_factory, worker_id, "pipeline-cdk-out", _synth_processing)[1]


@pytest.fixture(scope="session")
def interactive_processing_template(tmp_path_factory, worker_id) -> dict:
    """The same with the opt-in interactive cluster (interactive_cluster=true)."""
    synth = functools.partial(_synth_processing, interactive_cluster=True)
    return built_once(tmp_path_factory, worker_id, "pipeline-interactive-cdk-out", synth)[1]


@pytest.fixture
def pipeline_template(processing_template) -> dict:
    """The template `pipeline` deploys; a test module overrides it for another configuration."""
    return processing_template


class Intrinsics:
    """Resolves the template's intrinsics against the values of the moto resources."""

    def __init__(self, template: dict, refs: dict[str, str], attributes: dict[tuple[str, str], str]):
        self.resources = template["Resources"]
        self.refs = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            **refs,
        }
        self.attributes = attributes

    def ref(self, name: str) -> str:
        if name not in self.refs:
            raise KeyError(f"no value for Ref {name} ({self.resources.get(name, {}).get('Type')})")
        return self.refs[name]

    def resolve(self, node):
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"}:
            return self.ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            key = tuple(node["Fn::GetAtt"])
            if key not in self.attributes:
                raise KeyError(f"no value for GetAtt {key}")
            return self.attributes[key]
        if set(node) == {"Fn::Join"}:
            separator, parts = node["Fn::Join"]
            return separator.join(str(self.resolve(p)) for p in parts)
        if set(node) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self.ref(m[1]), node["Fn::Sub"])
        return {k: self.resolve(v) for k, v in node.items()}

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {k: r for k, r in self.resources.items() if r["Type"] == resource_type}


ERROR_EQUALS = "moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl"
UNCATCHABLE = {"States.Runtime", "States.DataLimitExceeded"}  # by States.ALL, on AWS


def _aws_catch_all(self, env) -> None:
    """moto's ErrorEqualsDecl._eval_body (kept as moto_eval_body), with AWS's exception to the
    States.ALL wildcard: the error on the stack is matched against this Catch/Retry's names."""
    if self._STATE_ALL_ERROR in self.error_names and env.stack[-1].error_name in UNCATCHABLE:
        env.stack.pop()
        env.stack.append(False)
        return
    self.moto_eval_body(env)


def _invoke_in_process(self, event=None):
    """Stands in for moto's Docker-based invoke: the handler module, in-process."""
    prefix = next(p for p in HANDLERS if self.function_name.startswith(p))
    module = importlib.import_module(HANDLERS[prefix])
    try:
        payload = event if isinstance(event, dict) else json.loads(event or "{}")
        result = module.handle(payload, dict(self.environment_vars))
    except Exception as err:  # noqa: BLE001 - a function error, as Lambda reports it
        return json.dumps({"errorType": type(err).__name__, "errorMessage": str(err)}), True, ""
    return json.dumps(result), False, ""


@dataclass
class Pipeline:
    """The deployed pipeline in moto, and helpers to run and observe executions."""

    sfn: object
    s3: object
    emr: object
    sqs: object
    bucket: str
    state_machine_arn: str
    alerts_queue_url: str
    dumps: DumpsServer
    lambda_: object = None
    reap_function: str = ""
    dynamodb: object = None
    lease_table: str = ""
    glue: object = None
    database: str = ""
    events: object = None
    started: list = field(default_factory=list)
    announced: set = field(default_factory=set)

    def holds(self) -> list[dict]:
        """The lease table's items whose hold has not lapsed (what a conditional write would see).

        moto applies an UpdateItem in steps, so a scan racing a first write can see the new item with
        its key alone: counted as held (it is about to be), never as free."""
        items = self.dynamodb.scan(TableName=self.lease_table)["Items"]
        now = time.time()
        return [item for item in items if "expires_at" not in item or float(item["expires_at"]["N"]) >= now]

    def start(self, run_input: dict) -> str:
        """Start an execution named as `wikilake run` names them (runs.execution_name)."""
        from wikilake_core import runs

        name = runs.execution_name(run_input["dataset"], run_input["dt"], suffix=str(len(self.started)))
        arn = self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(run_input))[
            "executionArn"
        ]
        self.started.append(arn)
        return arn

    def describe(self, execution_arn: str) -> dict:
        return self.sfn.describe_execution(executionArn=execution_arn)

    def clusters(self) -> list[dict]:
        return self.emr.list_clusters()["Clusters"]

    def wait(
        self,
        execution_arn: str,
        *,
        job: str | None = None,
        manifest: dict | None = None,
        wrote: bool = False,
        timeout: float = 60,
    ) -> dict:
        """Until the execution ends; meanwhile play EMR: the job step ends ``job`` (COMPLETED
        after writing ``manifest``, or FAILED)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.describe(execution_arn)
            if described["status"] != "RUNNING":
                self.announce(described)
                return described
            if job:
                self.play_job(job, manifest, wrote)
            time.sleep(0.2)
        raise AssertionError(
            f"execution still running after {timeout}s: "
            f"{[e['type'] for e in self.sfn.get_execution_history(executionArn=execution_arn)['events']][-5:]}"
        )

    def announce(self, described: dict) -> None:
        """What Step Functions sends EventBridge when an execution ends (once per execution)."""
        if described["executionArn"] in self.announced:
            return
        self.announced.add(described["executionArn"])
        detail = {
            key: described.get(key)
            for key in ("executionArn", "stateMachineArn", "name", "status", "input", "output", "error", "cause")
        }
        detail["startDate"] = int(described["startDate"].timestamp() * 1000)
        detail["stopDate"] = int(described["stopDate"].timestamp() * 1000)
        answer = self.events.put_events(
            Entries=[
                {
                    "Source": "aws.states",
                    "DetailType": "Step Functions Execution Status Change",
                    "Resources": [described["executionArn"]],
                    "Detail": json.dumps(detail),
                }
            ]
        )
        assert answer["FailedEntryCount"] == 0, answer

    def play_job(self, job: str, manifest: dict | None = None, wrote: bool = False) -> None:
        """What EMR does with a run's step: ends it ``job`` (after writing ``manifest``, or with
        ``wrote`` the run's files alone, as a job failing after its writes would)."""
        from moto.emr.models import emr_backends

        for cluster in list(emr_backends[ACCOUNT][REGION].clusters.values()):
            for step in cluster.steps:
                if step.state in ("PENDING", "RUNNING"):
                    run_id = step.args[step.args.index("--run-id") + 1]
                    if (job == "COMPLETED" and manifest is not None) or wrote:
                        self.put_run_files(manifest or {"dataset": "pageviews", "dt": DT}, run_id)
                    if job == "COMPLETED" and manifest is not None:
                        self.put_manifest(manifest, run_id)
                    step.state = job

    def reap(self, execution_arn: str, status: str) -> dict:
        """What EventBridge does when an execution ends: invoke the reap function with the event."""
        try:
            described = self.describe(execution_arn)
            started = {"input": described["input"], "startDate": int(described["startDate"].timestamp() * 1000)}
        except self.sfn.exceptions.ExecutionDoesNotExist:
            started = {}  # an execution of another state machine: EventBridge would not call us
        event = {
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "detail": {
                "executionArn": execution_arn,
                "stateMachineArn": self.state_machine_arn,
                "status": status,
                **started,  # startDate in epoch ms, as EventBridge sends it
            },
        }
        response = self.lambda_.invoke(FunctionName=self.reap_function, Payload=json.dumps(event).encode())
        assert "FunctionError" not in response, response["Payload"].read()
        return json.loads(response["Payload"].read())

    def run_job_flow_request(self, execution_arn: str) -> dict:
        """The RunJobFlow parameters the execution sent (its history), as EMR received them."""
        for event in self.sfn.get_execution_history(executionArn=execution_arn)["events"]:
            details = event.get("taskScheduledEventDetails", {})
            if details.get("resource") == "runJobFlow":
                return json.loads(details["parameters"])
        raise AssertionError("no RunJobFlow in the execution's history")

    def put_manifest(self, manifest: dict, run_id: str) -> None:
        from wikilake_core import layout

        key = layout.run_manifest_path("", manifest["dataset"], manifest["dt"], run_id).lstrip("/")
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps({**manifest, "run_id": run_id}).encode())

    def put_run_files(self, manifest: dict, run_id: str) -> None:
        """One object per table in the run's folder (the job's Parquet files, as far as S3 cares)."""
        from wikilake_core import datasets, layout

        for table in datasets.get(manifest["dataset"]).tables:
            folder = layout.table_run_dir("", table, manifest["dt"], run_id).lstrip("/")
            self.s3.put_object(Bucket=self.bucket, Key=f"{folder}/part-00000.parquet", Body=b"PAR1")

    def partition_location(self, table: str, dt: str = DT) -> str | None:
        try:
            partition = self.glue.get_partition(DatabaseName=self.database, TableName=table, PartitionValues=[dt])
        except self.glue.exceptions.EntityNotFoundException:
            return None
        return partition["Partition"]["StorageDescriptor"]["Location"]

    def day_lease(self, dataset: str = "pageviews", dt: str = DT) -> dict | None:
        from wikilake_core.leases import day_lease_id

        return next((item for item in self.holds() if item["lease_id"]["S"] == day_lease_id(dataset, dt)), None)

    def raw_objects(self, dataset: str = "pageviews", dt: str = DT) -> dict[str, dict]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"raw/{dataset}/dt={dt}/").get("Contents", [])
        return {
            o["Key"].rsplit("/", 1)[1]: self.s3.head_object(Bucket=self.bucket, Key=o["Key"])["Metadata"]
            for o in listed
        }

    def alerts(self) -> list[str]:
        """The messages the alerts topic's subscriber got: the text the state machine published, or
        the event an EventBridge rule delivered (JSON)."""
        messages = self.sqs.receive_message(
            QueueUrl=self.alerts_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        bodies = [json.loads(m["Body"]) for m in messages]
        return [body["Message"] if body.get("Type") == "Notification" else json.dumps(body) for body in bodies]


@pytest.fixture
def interactive_cluster(pipeline, interactive_processing_template) -> str:
    """The interactive cluster as the interactive template declares it (name, release, tags), up
    and waiting for steps in moto, its logs under the lake's logs/emr/ as the stack's are."""
    from wikilake_core import layout

    (declared,) = [
        r["Properties"]
        for r in interactive_processing_template["Resources"].values()
        if r["Type"] == "AWS::EMR::Cluster"
    ]
    return pipeline.emr.run_job_flow(
        Name=declared["Name"],
        ReleaseLabel=declared["ReleaseLabel"],
        LogUri=f"s3://{pipeline.bucket}/{layout.EMR_LOGS}/",
        Instances={
            "InstanceGroups": [
                {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1},
                {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 1},
            ],
            "KeepJobFlowAliveWhenNoSteps": True,
        },
        JobFlowRole="instance-profile",
        ServiceRole="service-role",
        Tags=declared["Tags"],
    )["JobFlowId"]


def hourly_files() -> dict[str, bytes]:
    return {f"pageviews-20240315-{hour:02d}0000.gz": f"en Main_Page {hour + 1} 0\n".encode() * 50 for hour in range(24)}


@pytest.fixture
def dumps():
    server = DumpsServer().start()
    server.add_month(MONTH, hourly_files())
    yield server
    server.stop()


@pytest.fixture
def poll_seconds() -> str:
    """WIKILAKE_POLL_SECONDS of the deployed plan function (the Wait between step polls)."""
    return "0"


@pytest.fixture(scope="session")
def boto3_session():
    """One boto3 session for every pipeline test's clients (the functions' and the tests'): each
    service's model is read once, not once per test (moto resets boto3's default session per
    mock, and reading a model is most of making a first client). Made once moto is imported, so
    its clients carry moto's request handler."""
    import boto3
    import moto  # noqa: F401

    return boto3.session.Session()


@pytest.fixture
def pipeline(pipeline_template, dumps, monkeypatch, poll_seconds, boto3_session):
    import boto3
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr("moto.awslambda.models.LambdaFunction._invoke_lambda", _invoke_in_process)
    error_equals = importlib.import_module(ERROR_EQUALS).ErrorEqualsDecl
    monkeypatch.setattr(error_equals, "moto_eval_body", error_equals._eval_body, raising=False)
    monkeypatch.setattr(error_equals, "_eval_body", _aws_catch_all)
    _atomic_item_requests(monkeypatch)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", boto3_session)
    moto_config = {"stepfunctions": {"execute_state_machine": True}, "core": {"reset_boto3_session": False}}
    with mock_aws(config=moto_config):
        yield _deploy(pipeline_template, dumps, poll_seconds)


def _atomic_item_requests(monkeypatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query", "scan"):
        unlocked = getattr(DynamoDBBackend, name)

        def locked(self, *args, _unlocked=unlocked, **kwargs):
            with lock:
                return _unlocked(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def _deploy(template: dict, dumps: DumpsServer, poll_seconds: str) -> Pipeline:
    """Create in moto what the template's state machine and functions refer to, then them."""
    import boto3

    clients = {
        name: boto3.client(name, region_name=REGION)
        for name in ("stepfunctions", "s3", "emr", "ec2", "iam", "lambda", "sns", "sqs", "dynamodb", "events", "glue")
    }
    ec2 = clients["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.80.0.0/24")["Subnet"]["SubnetId"]
    groups = {
        name: ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        for name in ("primary", "core")
    }
    role_arn = clients["iam"].create_role(RoleName="pipeline-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    topic_arn = clients["sns"].create_topic(Name="alerts")["TopicArn"]
    queue_url = clients["sqs"].create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = clients["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    clients["sns"].subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    resources = template["Resources"]
    refs, attributes = {}, {}
    lease_table = ""
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":  # the lease table, with the template's key schema
            lease_table = refs[logical_id] = f"{logical_id}-name"
            properties = resource["Properties"]
            arn = clients["dynamodb"].create_table(
                TableName=lease_table,
                KeySchema=properties["KeySchema"],
                AttributeDefinitions=properties["AttributeDefinitions"],
                BillingMode=properties["BillingMode"],
            )["TableDescription"]["TableArn"]
            attributes[logical_id, "Arn"] = arn
        elif kind == "AWS::EC2::Subnet":
            refs[logical_id] = subnet
        elif kind == "AWS::EC2::SecurityGroup":
            attributes[logical_id, "GroupId"] = groups["primary" if "Primary" in logical_id else "core"]
        elif kind == "AWS::SNS::Topic":
            refs[logical_id] = topic_arn
        elif kind == "AWS::Lambda::Function":
            attributes[logical_id, "Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
        else:  # names (roles, instance profile, key pair, security configuration): any string does
            refs[logical_id] = f"{logical_id}-name"
            attributes[logical_id, "Arn"] = f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
    intrinsics = Intrinsics(template, refs, attributes)
    bucket = f"wikilake-dev-{ACCOUNT}-{REGION}"
    clients["s3"].create_bucket(Bucket=bucket)
    database = _catalog(clients["glue"], template, intrinsics, bucket)

    overrides = {
        "WIKILAKE_POLL_SECONDS": poll_seconds,
        "WIKILAKE_DUMPS_MIRROR": dumps.url,
        "WIKILAKE_INGEST_RETRIES": "1",
        "WIKILAKE_INGEST_BACKOFF": "0",
    }
    for logical_id, resource in intrinsics.of_type("AWS::Lambda::Function").items():
        if not logical_id.startswith(tuple(HANDLERS)):
            continue
        environment = intrinsics.resolve(resource["Properties"]["Environment"]["Variables"])
        assert environment.get("WIKILAKE_BUCKET", bucket) == bucket
        clients["lambda"].create_function(
            FunctionName=logical_id,
            Runtime="python3.12",
            Role=role_arn,
            Handler=resource["Properties"]["Handler"],
            Code={"ZipFile": b"not used: the handler runs in-process"},
            Environment={"Variables": {**environment, **overrides}},
        )
    ((machine_id, machine),) = intrinsics.of_type("AWS::StepFunctions::StateMachine").items()
    definition = intrinsics.resolve(machine["Properties"]["DefinitionString"])
    arn = clients["stepfunctions"].create_state_machine(name=machine_id, definition=definition, roleArn=role_arn)[
        "stateMachineArn"
    ]
    intrinsics.refs[machine_id] = arn
    _alert_rules(clients["events"], intrinsics, queue_arn)
    reap = next(k for k in intrinsics.of_type("AWS::Lambda::Function") if k.startswith("PipelineReapFunction"))
    return Pipeline(
        clients["stepfunctions"],
        clients["s3"],
        clients["emr"],
        clients["sqs"],
        bucket,
        arn,
        queue_url,
        dumps,
        lambda_=clients["lambda"],
        reap_function=reap,
        dynamodb=clients["dynamodb"],
        lease_table=lease_table,
        glue=clients["glue"],
        database=database,
        events=clients["events"],
    )


def _catalog(glue, template: dict, intrinsics: Intrinsics, bucket: str) -> str:
    """The Glue database and tables the CatalogStack deploys (same DDL, no partitions)."""
    from wikilake_core.ddl import load_tables

    ((_, record),) = [
        (k, r) for k, r in intrinsics.of_type("AWS::Lambda::Function").items() if k.startswith("PipelineRecordFunction")
    ]
    database = record["Properties"]["Environment"]["Variables"]["WIKILAKE_DATABASE"]
    glue.create_database(DatabaseInput={"Name": database})
    for table in load_tables().values():
        columns = [{"Name": c.name, "Type": c.type} for c in table.columns]
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": table.name,
                "PartitionKeys": [{"Name": k.name, "Type": k.type} for k in table.partition_keys],
                "StorageDescriptor": {"Columns": columns, "Location": table.location(bucket)},
                "TableType": "EXTERNAL_TABLE",
            },
        )
    return database


def _alert_rules(events, intrinsics: Intrinsics, subscriber_queue_arn: str) -> None:
    """The template's rules whose target is the alerts topic, in moto's EventBridge: their own
    patterns, delivering to the topic's subscriber queue (moto's EventBridge has no SNS target)."""
    (topic_id,) = intrinsics.of_type("AWS::SNS::Topic")
    for logical_id, rule in intrinsics.of_type("AWS::Events::Rule").items():
        properties = rule["Properties"]
        if [t["Arn"] for t in properties["Targets"]] != [{"Ref": topic_id}]:
            continue
        events.put_rule(Name=logical_id, EventPattern=json.dumps(intrinsics.resolve(properties["EventPattern"])))
        events.put_targets(Rule=logical_id, Targets=[{"Id": "alerts", "Arn": subscriber_queue_arn}])
