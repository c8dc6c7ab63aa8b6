"""runtime=emr-serverless: the pipeline's state machine, as synthesized, executed by moto's Step
Functions interpreter against moto's EMR Serverless (application, job run), S3 and SNS, with the
real plan and record functions running in-process.

The one adaptation (`for_moto`), and why: the definition asks for
`arn:aws:states:::emr-serverless:startJobRun.sync` with the request in Step Functions' names for
that optimised integration (ApplicationId, ExecutionRoleArn, JobDriver.SparkSubmit.EntryPoint,
ClientToken, ...: the shape the AWS Step Functions docs give). moto's interpreter does not
implement the optimised EMR Serverless integration: it forwards the request unchanged to boto3's
`emr-serverless` client, which wants that API's camelCase names, and it has no `.sync` for it.
So the test drops `.sync` (moto's job run is SUCCESS at once, which is what `.sync` waits for)
and renames the request's keys to camelCase; everything else runs as deployed. What stays
untested: the `.sync` wait itself, the exact shape of its output on AWS (the record function
accepts JobRunId at the top, nested under JobRun, or camelCase), and real billing figures (the
test sets them on moto's job run).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from wikilake_core import layout

REGION = "us-east-1"
ACCOUNT = "123456789012"
DATASET, DT = "edits", "2015-09-12"
EXECUTION_NAME = f"{DATASET}-{DT}-20261130T150000Z"  # the run id: the name of the run's folders
BILLED = {"vCPUHour": 0.9, "memoryGBHour": 2.7, "storageGBHour": 0.0}
SCRIPTS = {
    "package_url": "s3://assets/jobs.zip",
    "entrypoint_urls": {"edits": "s3://assets/edits.py", "pageviews": "s3://assets/pageviews.py"},
}


def camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def camel_keys(value, *, inside_tags: bool = False):
    """PascalCase request keys -> boto3's camelCase, `.$` suffixes kept, tag keys left alone."""
    if isinstance(value, dict):
        return {
            (key if inside_tags else camel(key)): camel_keys(item, inside_tags=key == "Tags")
            for key, item in value.items()
        }
    return value


def for_moto(definition: dict) -> dict:
    """The definition with its emr-serverless tasks in the form moto runs (see the module docstring)."""
    adapted = json.loads(json.dumps(definition))
    for state in adapted["States"].values():
        resource = state.get("Resource", "")
        if ":states:::emr-serverless:" in resource:
            state["Resource"] = resource.removesuffix(".sync")
            state["Parameters"] = camel_keys(state["Parameters"])
    return adapted


def resolve(value, substitutions: dict[str, str]) -> str:
    """The DefinitionString (Fn::Join of strings, Refs and GetAtts) with moto's resources in it."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(part, substitutions) for part in parts)
    key = value.get("Ref") or ".".join(value.get("Fn::GetAtt", []))
    if key not in substitutions:
        raise AssertionError(f"no moto stand-in for {value}")
    return substitutions[key]


@pytest.fixture(scope="module")
def template(synthesized):
    return synthesized.template_json("serverless", "processing")


def logical_id(template: dict, resource_type: str, prefix: str) -> str:
    (found,) = [k for k, v in template["Resources"].items() if v["Type"] == resource_type and k.startswith(prefix)]
    return found


def definition_of(template: dict) -> dict:
    machine = logical_id(template, "AWS::StepFunctions::StateMachine", "PipelineStateMachine")
    return template["Resources"][machine]["Properties"]["DefinitionString"]


# --- the definition as deployed ---


def test_the_job_stage_is_one_sync_job_run_in_step_functions_names(template):
    text = json.dumps(definition_of(template))
    assert "elasticmapreduce" not in text and "runJobFlow" not in text  # no cluster states
    definition = json.loads(resolve(definition_of(template), _AnyToken()))
    job = definition["States"]["RunJob"]
    assert job["Resource"] == "arn:<AWS::Partition>:states:::emr-serverless:startJobRun.sync"
    parameters = job["Parameters"]
    assert set(parameters) == {
        "ApplicationId",
        "ExecutionRoleArn",
        "ClientToken.$",
        "Name.$",
        "ExecutionTimeoutMinutes.$",
        "JobDriver",
        "Tags",
    }
    assert parameters["JobDriver"] == {
        "SparkSubmit": {
            "EntryPoint.$": "$.plan.job.entry_point",
            "EntryPointArguments.$": "$.plan.job.arguments",
            "SparkSubmitParameters.$": "$.plan.size.spark_submit_parameters",  # with the sized executors
        }
    }
    assert parameters["ExecutionTimeoutMinutes.$"] == "$.plan.size.timeout_minutes"  # the sized deadline
    assert definition["States"]["Ingest"]["Next"] == "SizeRun" and definition["States"]["SizeRun"]["Next"] == "RunJob"
    assert job["ResultPath"] == "$.job_run"
    assert job["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ReleaseDayAfterFailure"}]
    assert job["Next"] == "VerifyAndRecord"
    assert definition["States"]["VerifyAndRecord"]["Parameters"] == {"run.$": "$.plan.run", "job_run.$": "$.job_run"}


class _AnyToken(dict):
    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        return f"<{key}>"


def test_state_machine_may_start_wait_for_and_pass_the_role_to_its_application_only(template):
    machine_role = logical_id(template, "AWS::IAM::Role", "PipelineStateMachineRole")
    (policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": machine_role}]
    ]
    by_sid = {s["Sid"]: s for s in policy["Statement"] if "Sid" in s}
    app = logical_id(template, "AWS::EMRServerless::Application", "Serverless")
    role = logical_id(template, "AWS::IAM::Role", "ServerlessExecutionRole")
    assert by_sid["PassExecutionRole"]["Resource"] == {"Fn::GetAtt": [role, "Arn"]}
    assert by_sid["PassExecutionRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
    }
    assert sorted(by_sid["WatchJobRuns"]["Action"]) == ["emr-serverless:CancelJobRun", "emr-serverless:GetJobRun"]
    for sid in ("StartJobRuns", "WatchJobRuns"):
        text = json.dumps(by_sid[sid]["Resource"])
        assert f'"{app}", "ApplicationId"' in text and "/applications/" in text
    assert json.dumps(by_sid["SyncJobRunEvents"]["Resource"]).endswith(
        ':rule/StepFunctionsGetEventsForEMRServerlessJobRule"]]}'
    )
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not {a for a in actions if a.startswith("elasticmapreduce:")}


def test_record_function_knows_the_application(template):
    function = logical_id(template, "AWS::Lambda::Function", "PipelineRecordFunction")
    environment = template["Resources"][function]["Properties"]["Environment"]["Variables"]
    app = logical_id(template, "AWS::EMRServerless::Application", "Serverless")
    assert environment["WIKILAKE_SERVERLESS_APPLICATION_ID"] == {"Fn::GetAtt": [app, "ApplicationId"]}


# --- executed under moto ---


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    from moto import mock_aws

    # Lambda with its default (docker) backend, whose _invoke_lambda run_pipeline replaces with
    # the handlers in-process: no docker is started (the non-docker backend only returns canned text).
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


def _manifest(bucket: str, s3, dataset: str = DATASET, dt: str = DT) -> str:
    """The run's manifest, as the job writes it in its run folder; returns the day's manifest key."""
    key = layout.run_manifest_path("", dataset, dt, EXECUTION_NAME).lstrip("/")
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(
            {
                "input_records": 39244,
                "valid_records": 39200,
                "rejected_records": 44,
                "rows_written": {"edits": 39200, "edits_filtered": 528, "edits_by_channel": 51},
            }
        ).encode(),
    )
    return layout.manifest_path("", dataset, dt).lstrip("/")


def _catalog_and_leases(session, database: str) -> str:
    """What the CatalogStack and the lease table give the functions: the Glue database and the
    dataset's tables (no partitions yet), and the lease table; returns the table's name."""
    from wikilake_core import datasets
    from wikilake_core.ddl import load_tables

    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": database})
    for name in datasets.get(DATASET).tables:
        table = load_tables()[name]
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": name,
                "PartitionKeys": [{"Name": k.name, "Type": k.type} for k in table.partition_keys],
                "StorageDescriptor": {"Columns": [{"Name": c.name, "Type": c.type} for c in table.columns]},
            },
        )
    session.client("dynamodb").create_table(
        TableName="leases",
        KeySchema=[{"AttributeName": "lease_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "lease_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "leases"


def _plan_environment(template) -> dict:
    function = logical_id(template, "AWS::Lambda::Function", "PipelinePlanFunction")
    return template["Resources"][function]["Properties"]["Environment"]["Variables"]


def run_pipeline(template, monkeypatch, *, job_state: str = "SUCCESS") -> dict:
    import boto3
    from moto.awslambda.models import LambdaFunction
    from moto.emrserverless import models as emrs_models

    from wikilake_functions import day_lease, plan, record

    session = boto3.session.Session(region_name=REGION)
    s3, sfn, sns, iam, lam = (session.client(n) for n in ("s3", "stepfunctions", "sns", "iam", "lambda"))
    emrs = session.client("emr-serverless")
    bucket = "sls-prod-lake"
    s3.create_bucket(Bucket=bucket)
    # edits has no dump site: the plan wants the day under raw/ before any job starts.
    s3.put_object(Bucket=bucket, Key=layout.raw_dir("", DATASET, DT).lstrip("/") + "/wikiticker.json.gz", Body=b"x")
    manifest_key = _manifest(bucket, s3)
    role_arn = iam.create_role(RoleName="exec", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    app_id = emrs.create_application(name="Sls-prod", releaseLabel="emr-7.13.0", type="SPARK")["applicationId"]
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]

    env = {
        "WIKILAKE_BUCKET": bucket,
        "WIKILAKE_JOB_SCRIPTS": json.dumps(SCRIPTS),
        "WIKILAKE_CLUSTER_NAME_PREFIX": "Sls-prod",
        "WIKILAKE_SERVERLESS_APPLICATION_ID": app_id,
        "WIKILAKE_DATABASE": "sls_prod",
        "WIKILAKE_LEASE_TABLE": _catalog_and_leases(session, "sls_prod"),
        "WIKILAKE_DAY_LEASE_SECONDS": "15300",
        # as deployed: the bounds the stack renders for the plan function
        "WIKILAKE_RUN_SIZING": _plan_environment(template)["WIKILAKE_RUN_SIZING"],
    }
    handlers = {
        "plan": lambda event: plan.handle(event, env),
        "record": lambda event: record.handle(event, env, s3=s3, emr_serverless=emrs, glue=session.client("glue")),
        "day_lease": lambda event: day_lease.handle(event, env, dynamodb=session.client("dynamodb")),
    }

    def invoke_in_process(self, event=None):
        name = self.function_name.split("-")[-1]
        try:
            return json.dumps(handlers[name](json.loads(event) if isinstance(event, str) else event)), False, ""
        except Exception as err:  # what Lambda reports for an unhandled exception
            return json.dumps({"errorType": type(err).__name__, "errorMessage": str(err)}), True, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke_in_process)
    # moto's job runs are SUCCESS at once and bill nothing: give them a state and the figures.
    original_init = emrs_models.JobRun.__init__

    def job_run_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.state = job_state
        self.billed_resource_utilization = dict(BILLED)
        self.total_execution_duration_seconds = 540

    monkeypatch.setattr(emrs_models.JobRun, "__init__", job_run_init)

    functions = {}
    for name in ("plan", "ingest_file", "record", "day_lease"):
        functions[name] = lam.create_function(
            FunctionName=f"wikilake-{name}",
            Runtime="python3.12",
            Role=role_arn,
            Handler="x.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
    substitutions = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        f"{logical_id(template, 'AWS::EMRServerless::Application', 'Serverless')}.ApplicationId": app_id,
        f"{logical_id(template, 'AWS::IAM::Role', 'ServerlessExecutionRole')}.Arn": role_arn,
        logical_id(template, "AWS::SNS::Topic", "PipelineAlerts"): topic_arn,
    }
    for prefix, name in (
        ("PipelinePlanFunction", "plan"),
        ("PipelineIngestFunction", "ingest_file"),
        ("PipelineRecordFunction", "record"),
        ("PipelineDayLeaseFunction", "day_lease"),
    ):
        substitutions[f"{logical_id(template, 'AWS::Lambda::Function', prefix)}.Arn"] = functions[name]
    definition = for_moto(json.loads(resolve(definition_of(template), substitutions)))

    machine = sfn.create_state_machine(name="pipeline", definition=json.dumps(definition), roleArn=role_arn)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(
        stateMachineArn=machine,
        name=EXECUTION_NAME,
        input=json.dumps({"dataset": DATASET, "dt": DT}),
    )["executionArn"]
    for _ in range(240):  # up to a minute on a busy machine; moto's run takes a few seconds
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.25)
    assert described["status"] != "RUNNING", "the execution did not end within a minute"
    events = sfn.get_execution_history(executionArn=execution)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    (job_run,) = emrs.list_job_runs(applicationId=app_id)["jobRuns"]
    details = emrs.get_job_run(applicationId=app_id, jobRunId=job_run["id"])["jobRun"]
    published = s3.list_objects_v2(Bucket=bucket, Prefix=manifest_key).get("KeyCount")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read()) if published else None
    return {
        "described": described,
        "entered": entered,
        "job_run": details,
        "manifest": manifest,
        "app_id": app_id,
        "role_arn": role_arn,
    }


def test_a_run_starts_the_job_on_the_application_and_records_its_billed_cost(aws, template, monkeypatch):
    from wikilake_core import prices
    from wikilake_core.submit import JobScripts, job_submit

    result = run_pipeline(template, monkeypatch)
    described = result["described"]
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    assert result["entered"] == ["TakeDayLease", "Plan", "Ingest", "SizeRun", "RunJob", "VerifyAndRecord", "ReleaseDay"]

    # The job run got the one builder's command line and the execution role, sized for its 1-byte
    # day: one executor, and a deadline of 10 min of start + 3 x (60 s and a hair) of job: 781 s
    # rounded up to whole seconds, 14 whole minutes.
    expected = job_submit(
        DATASET,
        DT,
        bucket="sls-prod-lake",
        scripts=JobScripts(**SCRIPTS),
        max_executors=1,
        job_options=("--run-id", EXECUTION_NAME),
    ).serverless_job_driver()
    job_run = result["job_run"]
    assert job_run["jobDriver"] == expected
    assert job_run["executionRole"] == result["role_arn"]
    assert job_run["name"] == f"wikilake {DATASET} dt={DT}"
    assert job_run["executionTimeoutMinutes"] == 14
    assert "spark.dynamicAllocation.maxExecutors=1" in job_run["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"]
    assert job_run["tags"]["wikilake:dataset"] == DATASET and job_run["tags"]["wikilake:dt"] == DT

    # The run record: same shape as on EC2, the cost from the billed utilization x the price table.
    record = json.loads(described["output"])
    assert record == result["manifest"]["run"]
    price = prices.SERVERLESS_PRICES["X86_64"]
    assert record == {
        "dataset": DATASET,
        "dt": DT,
        "status": "SUCCEEDED",
        "run_id": EXECUTION_NAME,
        "cluster_id": result["app_id"],
        "job_run_id": job_run["jobRunId"],
        "runtime": "emr-serverless",
        "input_records": 39244,
        "valid_records": 39200,
        "rejected_records": 44,
        "rows_written": {"edits": 39200, "edits_filtered": 528, "edits_by_channel": 51},
        "cost": {
            "vcpu_hours": 0.9,
            "memory_gb_hours": 2.7,
            "storage_gb_hours": 0.0,
            "usd": round(0.9 * price.vcpu_hour + 2.7 * price.memory_gb_hour, 4),
            "prices_as_of": prices.PRICES_AS_OF,
            "hours": 0.15,
        },
        # no earlier edits runs: the history checks are skipped; 44 of 39,244 rejected is under 1%
        "quality_status": "pass",
        "failing_checks": [],
    }
    assert result["manifest"]["runtime"] == "emr-serverless" and result["manifest"]["vcpu_hours"] == 0.9
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["cost"]["prices_as_of"])


def test_a_failed_job_run_is_not_recorded_and_notifies(aws, template, monkeypatch):
    result = run_pipeline(template, monkeypatch, job_state="FAILED")
    described = result["described"]
    assert described["status"] == "FAILED"
    assert result["entered"] == [
        "TakeDayLease",
        "Plan",
        "Ingest",
        "SizeRun",
        "RunJob",
        "VerifyAndRecord",
        "ReleaseDayAfterFailure",
        "NotifyFailure",
        "OwnError?",
        "RunFailed",
    ]
    assert described["error"] == "VerificationFailed"
    assert "is FAILED" in described["cause"]
    assert result["manifest"] is None  # the day was never published
