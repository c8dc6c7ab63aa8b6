"""The pipeline in the synthesized templates: no always-on compute by default, the state machine's
logging, timeout and retries, least-privilege roles, schedules, alerts, and the ONE cluster
definition rendered the same way for the interactive cluster and the run's RunJobFlow request.
(Executing the definition: tests/pipeline/.)"""

import json

import pytest

from wikilake_core import contract, http_budget, run_sizing

from .test_processing import cluster, only

ALWAYS_ON = (
    "AWS::EMR::Cluster",
    "AWS::EC2::Instance",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::EC2::LaunchTemplate",
    "AWS::EMRServerless::Application",
)


def definition(template) -> dict:
    """The state machine's ASL with every CloudFormation intrinsic replaced by a marker string."""
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))


def test_default_deploy_has_no_cluster_no_instance_and_no_schedule(templates):
    for role in ("storage", "catalog", "processing"):
        for resource_type in ALWAYS_ON:
            templates("default", role).resource_count_is(resource_type, 0)
    templates("default", "processing").resource_count_is("AWS::Scheduler::Schedule", 0)
    templates("default", "processing").resource_count_is("AWS::StepFunctions::StateMachine", 1)


def test_interactive_cluster_is_opt_in(templates):
    templates("interactive", "processing").resource_count_is("AWS::EMR::Cluster", 1)
    templates("interactive", "processing").resource_count_is("AWS::StepFunctions::StateMachine", 1)


def test_state_machine_logs_everything_traces_and_times_out(templates):
    processing = templates("default", "processing")
    (machine,) = processing.find_resources("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    (destination,) = props["LoggingConfiguration"]["Destinations"]
    log_group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert processing.to_json()["Resources"][log_group]["Properties"]["RetentionInDays"] == 30
    assert props["TracingConfiguration"] == {"Enabled": True}
    asl = definition(processing)
    assert asl["TimeoutSeconds"] == 4 * 3600


def test_retries_only_on_throttling_and_transient_errors(templates):
    asl = definition(templates("default", "processing"))
    states = {**asl["States"], **asl["States"]["Ingest"]["ItemProcessor"]["States"]}
    retried = {e for state in states.values() for r in state.get("Retry", []) for e in r["ErrorEquals"]}
    assert "States.ALL" not in retried and "States.Timeout" not in retried and "States.TaskFailed" not in retried
    assert "Emr.ThrottlingException" in retried and "Lambda.TooManyRequestsException" in retried
    assert all(r.get("BackoffRate", 1) >= 2 for s in states.values() for r in s.get("Retry", []))
    # all download slots held (the lease table): the ingest function fails fast, retried until one frees
    (busy,) = [r for r in states["IngestFile"]["Retry"] if r["ErrorEquals"] == ["SlotsBusy"]]
    assert (busy["MaxDelaySeconds"], busy["JitterStrategy"]) == (30, "FULL")
    assert busy["MaxAttempts"] * busy["MaxDelaySeconds"] > 4 * 3600  # outlasts the run's timeout
    # RunJobFlow only when throttled: after a 5xx the cluster may exist, a retry would start a second
    assert [r["ErrorEquals"] for r in states["CreateCluster"]["Retry"]] == [["Emr.ThrottlingException"]]
    assert "Emr.InternalServerException" in str(states["PollJob"]["Retry"])


def test_lease_table_and_its_least_privilege_grant(templates):
    for variant in ("default", "serverless"):
        processing = templates(variant, "processing")
        (table,) = processing.find_resources("AWS::DynamoDB::Table").values()
        props = table["Properties"]
        assert props["KeySchema"] == [{"AttributeName": "lease_id", "KeyType": "HASH"}]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert props["SSESpecification"]["SSEEnabled"] is True
        granted = {
            role: sorted(
                (tuple(sorted(s["Action"])) if isinstance(s["Action"], list) else (s["Action"],), s["Resource"])
                for s in _policy_statements(processing, role)
                if "dynamodb:" in str(s["Action"])
            )
            for role in (
                "PipelineIngestFunctionServiceRole",
                "PipelineDayLeaseFunctionServiceRole",
                "PipelineReapFunctionServiceRole",
            )
        }
        (table_id,) = processing.find_resources("AWS::DynamoDB::Table")
        arn = {"Fn::GetAtt": [table_id, "Arn"]}
        hold = (("dynamodb:DeleteItem", "dynamodb:UpdateItem"), arn)
        assert granted == {
            "PipelineIngestFunctionServiceRole": [hold],  # download slots
            "PipelineDayLeaseFunctionServiceRole": sorted([hold, (("dynamodb:GetItem",), arn)]),  # names the holder
            "PipelineReapFunctionServiceRole": [(("dynamodb:DeleteItem",), arn)],  # only gives a day back
        }
        others = [
            s
            for k, r in processing.find_resources("AWS::IAM::Policy").items()
            if not any(role in json.dumps(r["Properties"]["Roles"]) for role in granted)
            for s in r["Properties"]["PolicyDocument"]["Statement"]
            if "dynamodb:" in str(s["Action"])
        ]
        assert others == []
    # kms=true: the table is encrypted with the data key
    (table,) = templates("full", "processing").find_resources("AWS::DynamoDB::Table").values()
    assert "KMSMasterKeyId" in table["Properties"]["SSESpecification"]


def test_flow_ingests_three_at_a_time_before_any_cluster_and_cleans_up_on_failure(templates):
    asl = definition(templates("default", "processing"))
    states = asl["States"]
    assert asl["StartAt"] == "TakeDayLease" and states["TakeDayLease"]["Next"] == "Plan"
    assert states["Plan"]["Next"] == "Ingest"
    assert states["Ingest"]["Type"] == "Map" and states["Ingest"]["MaxConcurrency"] == 3
    assert states["Ingest"]["Next"] == "SizeRun" and states["SizeRun"]["Next"] == "CreateCluster"
    # Before the cluster exists, a failure gives the day back and notifies; after, it terminates
    # the cluster first. A refused day (or any failure to take it) only notifies.
    assert [c["Next"] for name in ("Plan", "Ingest", "SizeRun", "CreateCluster") for c in states[name]["Catch"]] == [
        "ReleaseDayAfterFailure"
    ] * 4
    assert [c["Next"] for c in states["TakeDayLease"]["Catch"]] == ["NotifyFailure"]
    assert states["ReleaseDayAfterFailure"]["Next"] == "NotifyFailure"
    assert states["VerifyAndRecord"]["Next"] == "ReleaseDay" and states["ReleaseDay"]["End"] is True
    assert states["ReleaseDay"]["ResultPath"] is None  # the run record stays the execution's output
    for name in ("PollJob", "TerminateCluster", "VerifyAndRecord"):
        assert states[name]["Catch"][0]["Next"] == "TerminateAfterFailure", name
    assert states["JobFailed"]["Next"] == "TerminateAfterFailure"
    assert states["JobTimedOut"]["Next"] == "TerminateAfterFailure"
    assert states["TerminateAfterFailure"]["Next"] == "ReleaseDayAfterFailure"
    assert states["RunFailed"] == {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
    uses = {s["Resource"].rsplit(":::", 1)[-1] for s in states.values() if "aws-sdk:emr" in s.get("Resource", "")}
    assert uses == {"aws-sdk:emr:runJobFlow", "aws-sdk:emr:listSteps", "aws-sdk:emr:terminateJobFlows"}


def test_the_run_is_sized_and_its_step_has_a_deadline(templates):
    """SizeRun (the plan function, after ingest) sizes the cluster and the step's deadline; the poll
    loop counts the deadline's polls down and, at the last, fails the run and ends the cluster."""
    states = definition(templates("default", "processing"))["States"]
    assert states["SizeRun"]["ResultPath"] == "$.plan.size"
    assert states["SizeRun"]["Parameters"]["size"] == {
        "run.$": "$.plan.run",
        "started_at.$": "$$.Execution.StartTime",
    }
    groups = states["CreateCluster"]["Parameters"]["Instances"]["InstanceGroups"]
    (core,) = [g for g in groups if g["InstanceRole"] == "CORE"]
    assert core["InstanceCount.$"] == "$.plan.size.core_nodes" and "InstanceCount" not in core
    assert states["CreateCluster"]["Next"] == "StartJobDeadline"
    assert states["StartJobDeadline"]["Parameters"] == {"polls_left.$": "$.plan.size.deadline_polls"}
    assert states["JobDone?"]["Default"] == "DeadlinePassed?"
    (last_poll,) = states["DeadlinePassed?"]["Choices"]
    assert last_poll == {"Variable": "$.deadline.polls_left", "NumericLessThanEquals": 1, "Next": "JobTimedOut"}
    assert states["DeadlinePassed?"]["Default"] == "CountPoll"
    assert states["CountPoll"]["Parameters"] == {"polls_left.$": "States.MathAdd($.deadline.polls_left, -1)"}
    assert states["CountPoll"]["Next"] == "WaitForJob"
    assert states["JobTimedOut"]["Parameters"]["Error"] == "JobTimedOut"


@pytest.mark.parametrize(
    "variant, bounds",
    [
        ("default", {"runtime": "emr-ec2", "core_nodes_min": 1, "core_nodes_max": 3, "target_seconds": 3600}),
        ("full", {"runtime": "emr-ec2", "core_nodes_min": 2, "core_nodes_max": 12, "target_seconds": 2700}),
        ("serverless", {"runtime": "emr-serverless", "serverless_max_vcpu": 48, "serverless_max_memory_gb": 192}),
    ],
)
def test_the_plan_function_gets_the_run_bounds_and_outlasts_its_retries(templates, variant, bounds):
    functions = templates(variant, "processing").find_resources("AWS::Lambda::Function")
    (plan,) = [f["Properties"] for k, f in functions.items() if k.startswith("PipelinePlanFunction")]
    sizing = json.loads(plan["Environment"]["Variables"]["WIKILAKE_RUN_SIZING"])
    assert {k: sizing[k] for k in bounds} == bounds
    assert sizing["run_timeout_seconds"] == 4 * 3600 == run_sizing.RUN_TIMEOUT_SECONDS
    assert plan["Timeout"] == http_budget.plan_timeout_seconds() > 2 * http_budget.PLAN.request_seconds()


def test_managed_scaling_limits_of_a_run_come_from_its_sizing(templates):
    create = definition(templates("full", "processing"))["States"]["CreateCluster"]["Parameters"]
    assert create["ManagedScalingPolicy"] == {"ComputeLimits.$": "$.plan.size.compute_limits"}


def test_run_cluster_has_its_own_backstop_and_run_tags(templates):
    create = definition(templates("default", "processing"))["States"]["CreateCluster"]["Parameters"]
    assert create["Instances"]["KeepJobFlowAliveWhenNoSteps"] is False
    assert create["Instances"]["TerminationProtected"] is False
    assert create["AutoTerminationPolicy"] == {"IdleTimeout": 900}
    assert create["Steps.$"] == "$.plan.steps"  # built by wikilake_core.submit with TERMINATE_CLUSTER
    tags = {t["Key"]: t.get("Value", t.get("Value.$")) for t in create["Tags"]}
    assert tags[contract.TAG_RUN_DATASET] == "$.plan.run.dataset"
    assert tags[contract.TAG_RUN_DT] == "$.plan.run.dt"
    assert tags[contract.TAG_RUN_EXECUTION] == "$$.Execution.Id"
    assert {tags["Project"], tags["Stage"], tags["CostCenter"]} == {"wikilake", "dev"}
    assert tags["for-use-with-amazon-emr-managed-policies"] == "true"


def _cfn_to_api(props: dict) -> dict:
    """The interactive cluster's CloudFormation properties in the RunJobFlow request's spelling."""
    instances = props["Instances"]
    groups = [
        dict(role=role, **group)
        for role, group in (
            ("MASTER", instances["MasterInstanceGroup"]),
            ("CORE", instances["CoreInstanceGroup"]),
            *(("TASK", g) for g in instances.get("TaskInstanceGroups", [])),
        )
    ]

    def configuration(c):
        out = {"Classification": c["Classification"]}
        if "ConfigurationProperties" in c:
            out["Properties"] = c["ConfigurationProperties"]
        if "Configurations" in c:
            out["Configurations"] = [configuration(x) for x in c["Configurations"]]
        return out

    return {
        "ReleaseLabel": props["ReleaseLabel"],
        "Applications": props["Applications"],
        "Configurations": [configuration(c) for c in props["Configurations"]],
        "BootstrapActions": props["BootstrapActions"],
        "ServiceRole": props["ServiceRole"],
        "JobFlowRole": props["JobFlowRole"],
        "SecurityConfiguration": props["SecurityConfiguration"],
        "LogUri": props["LogUri"],
        "ManagedScalingPolicy": props.get("ManagedScalingPolicy"),
        "InstanceGroups": [
            {
                "Name": g["Name"],
                "InstanceRole": g["role"],
                "InstanceType": g["InstanceType"],
                "InstanceCount": g["InstanceCount"],
                "Market": g["Market"],
            }
            for g in groups
        ],
        **{
            k: instances.get(k)
            for k in (
                "Ec2SubnetId",
                "Ec2KeyName",
                "EmrManagedMasterSecurityGroup",
                "EmrManagedSlaveSecurityGroup",
                "AdditionalMasterSecurityGroups",
            )
        },
    }


def _request_to_comparable(template_json: dict) -> dict:
    (machine,) = [r for r in template_json["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    # Keep the intrinsics as JSON text so they compare with the cluster's properties.
    text = "".join(p if isinstance(p, str) else "@@" + json.dumps(p).replace('"', "'") + "@@" for p in parts)
    request = json.loads(text)["States"]["CreateCluster"]["Parameters"]
    instances = request["Instances"]

    def value(v):
        if isinstance(v, str) and "@@" in v:
            pieces = [p for p in v.split("@@") if p]
            decoded = [json.loads(p.replace("'", '"')) if p.startswith("{") else p for p in pieces]
            return decoded[0] if len(decoded) == 1 else {"Fn::Join": ["", decoded]}
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [value(x) for x in v]
        return v

    request = value(request)
    instances = request["Instances"]
    # What the run's sizing decides (SizeRun): the interactive cluster's own values stand in.
    for group in instances["InstanceGroups"]:
        if group.pop("InstanceCount.$", None) == "$.plan.size.core_nodes":
            group["InstanceCount"] = SIZED
    if request.get("ManagedScalingPolicy", {}).get("ComputeLimits.$") == "$.plan.size.compute_limits":
        request["ManagedScalingPolicy"] = SIZED
    return {
        **{
            k: request[k]
            for k in (
                "ReleaseLabel",
                "Applications",
                "Configurations",
                "BootstrapActions",
                "ServiceRole",
                "JobFlowRole",
                "SecurityConfiguration",
                "LogUri",
            )
        },
        "ManagedScalingPolicy": request.get("ManagedScalingPolicy"),
        "InstanceGroups": instances["InstanceGroups"],
        **{
            k: instances.get(k)
            for k in (
                "Ec2SubnetId",
                "Ec2KeyName",
                "EmrManagedMasterSecurityGroup",
                "EmrManagedSlaveSecurityGroup",
                "AdditionalMasterSecurityGroups",
            )
        },
    }


SIZED = "sized by the run"


@pytest.mark.parametrize("variant", ["interactive", "full", "byo"])
def test_interactive_and_run_clusters_come_from_one_definition(synthesized, templates, variant):
    """Same release, applications, configurations, bootstrap, groups, network, roles, security
    configuration and log URI; they differ only in lifetime (keep-alive, idle timeout, protection)
    and in what each run's sizing decides: its core nodes (and with them its scaling limits)."""
    cfn = _cfn_to_api(cluster(templates, variant))
    api = _request_to_comparable(synthesized.template_json(variant, "processing"))
    for group in cfn["InstanceGroups"]:
        if group["InstanceRole"] == "CORE":
            group["InstanceCount"] = SIZED
    if cfn["ManagedScalingPolicy"]:
        cfn["ManagedScalingPolicy"] = SIZED

    def bootstrap(request: dict) -> list[dict]:  # asset paths differ only in how they are spelled
        return [
            {**b, "ScriptBootstrapAction": {**b["ScriptBootstrapAction"], "Path": "asset"}}
            for b in request["BootstrapActions"]
        ]

    assert bootstrap(api) == bootstrap(cfn)
    assert {k: v for k, v in api.items() if k != "BootstrapActions"} == {
        k: v for k, v in cfn.items() if k != "BootstrapActions"
    }


def test_schedules_start_the_state_machine_with_the_execution_input_shape(templates):
    processing = templates("full", "processing")
    schedules = processing.find_resources("AWS::Scheduler::Schedule")
    assert sorted(s["Properties"]["ScheduleExpression"] for s in schedules.values()) == [
        "cron(0 6 ? * MON,WED *)",
        "cron(30 4 * * ? *)",
    ]
    machine, _ = only(processing, "AWS::StepFunctions::StateMachine")
    for schedule in schedules.values():
        target = schedule["Properties"]["Target"]
        assert target["Arn"] == {"Ref": machine}
        assert set(json.loads(target["Input"])) == {"dataset", "dt", "job_options", "allow_missing_hours"}
        assert json.loads(target["Input"])["dt"] == ""  # runs.PREVIOUS_DAY
        assert schedule["Properties"].get("ScheduleExpressionTimezone", "UTC") in ("UTC", "Etc/UTC")


def test_one_schedule_for_one_dataset(tmp_path):
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from stacks.wikilake_app import add_wikilake
    from wikilake_settings.config import WikilakeConfig

    from .conftest import cdk_context, variant_config  # noqa: F401

    app = App(outdir=str(tmp_path), context=cdk_context())
    stacks = add_wikilake(app, WikilakeConfig.from_context({**cdk_context(), "schedule": "pageviews"}))
    processing = Template.from_stack(stacks.processing)
    processing.resource_count_is("AWS::Scheduler::Schedule", 1)
    (schedule,) = processing.find_resources("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == "cron(30 4 * * ? *)"
    assert json.loads(schedule["Properties"]["Target"]["Input"]) == {
        "dataset": "pageviews",
        "dt": "",
        "job_options": [],
        "allow_missing_hours": False,
    }


def _policy_statements(template, role_prefix: str) -> list[dict]:
    roles = [k for k in template.find_resources("AWS::IAM::Role") if k.startswith(role_prefix)]
    return [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        if any(r == {"Ref": role} for r in p["Properties"]["Roles"] for role in roles)
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_state_machine_passes_only_the_cluster_roles(templates):
    """Which service each role is passed to is held in tests/infra/test_pass_role.py."""
    processing = templates("default", "processing")
    statements = _policy_statements(processing, "PipelineStateMachineRole")
    pass_roles = [s for s in statements if "iam:PassRole" in str(s["Action"])]
    service_role, _ = only(processing, "AWS::IAM::Role", "IamServiceRole")
    instance_role, _ = only(processing, "AWS::IAM::Role", "IamInstanceRole")
    assert sorted(str(s["Resource"]) for s in pass_roles) == sorted(
        str({"Fn::GetAtt": [r, "Arn"]}) for r in (service_role, instance_role)
    )
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not any(a == "*" or a.endswith(":*") for a in actions)
    assert {
        "elasticmapreduce:RunJobFlow",
        "elasticmapreduce:ListSteps",
        "elasticmapreduce:TerminateJobFlows",
        "sns:Publish",
        "lambda:InvokeFunction",
    } <= actions


@pytest.mark.parametrize("variant, stage", [("default", "dev"), ("full", "prod")])
def test_cluster_actions_are_scoped_to_this_apps_tags(templates, variant, stage):
    """Which condition keys each EMR action takes: Service Authorization Reference, Amazon EMR
    (RunJobFlow: aws:RequestTag, aws:TagKeys; ListSteps, TerminateJobFlows: aws:ResourceTag;
    AddTags: all three; RunJobFlow with Tags is authorized as AddTags too). Listing steps and
    terminating need the run's execution tag on the cluster (a run's own cluster: never the
    interactive one), and AddTags never reaches a cluster with a role tag (the interactive one)."""
    statements = _policy_statements(templates(variant, "processing"), "PipelineStateMachineRole")

    def granting(action):
        return [s for s in statements if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]

    app = {"Project": "wikilake", "Stage": stage}
    (run,) = granting("elasticmapreduce:RunJobFlow")
    assert run["Condition"] == {"StringEquals": {f"aws:RequestTag/{k}": v for k, v in app.items()}}
    for action in ("elasticmapreduce:ListSteps", "elasticmapreduce:TerminateJobFlows"):
        (scoped,) = granting(action)
        assert scoped["Condition"] == {
            "StringEquals": {f"aws:ResourceTag/{k}": v for k, v in app.items()},
            "Null": {f"aws:ResourceTag/{contract.TAG_RUN_EXECUTION}": "false"},
        }
    (tag,) = granting("elasticmapreduce:AddTags")
    assert tag["Condition"]["StringEquals"] == {f"aws:RequestTag/{k}": v for k, v in app.items()}
    assert tag["Condition"]["StringEqualsIfExists"] == {f"aws:ResourceTag/{k}": v for k, v in app.items()}
    assert tag["Condition"]["Null"] == {f"aws:ResourceTag/{contract.TAG_CLUSTER_ROLE}": "true"}
    # exactly the keys a run's RunJobFlow request carries
    create = definition(templates(variant, "processing"))["States"]["CreateCluster"]["Parameters"]
    assert tag["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == sorted(t["Key"] for t in create["Tags"])
    assert {"Project", "Stage", contract.TAG_RUN_EXECUTION} <= set(
        tag["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"]
    )


def test_emr_retries_cover_the_sdk_base_exception(templates):
    """Except RunJobFlow: an EmrException may be a 5xx after which the cluster exists (issue 27),
    so CreateCluster retries only the modelled throttling error; a throttle that comes as the base
    exception fails the run, which gives its day back for the next run."""
    states = definition(templates("default", "processing"))["States"]
    for name in ("PollJob", "TerminateCluster", "TerminateAfterFailure"):
        (retry,) = states[name]["Retry"]
        assert "Emr.EmrException" in retry["ErrorEquals"] and "Emr.ThrottlingException" in retry["ErrorEquals"]
    (retry,) = states["CreateCluster"]["Retry"]
    assert retry["ErrorEquals"] == ["Emr.ThrottlingException"]


def test_functions_reach_only_their_prefixes(templates):
    processing = templates("default", "processing")
    ingest = _policy_statements(processing, "PipelineIngestFunctionServiceRole")
    record = _policy_statements(processing, "PipelineRecordFunctionServiceRole")
    plan = _policy_statements(processing, "PipelinePlanFunctionServiceRole")
    # the plan function reads the dump site, lists raw/ for datasets without one, and makes the
    # run's event-log folder exist (its marker object) for the job's Spark
    (listing, marker) = plan
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["raw/*"]}}
    assert (marker["Sid"], marker["Action"]) == ("MakeEventLogFolder", "s3:PutObject")
    assert marker["Resource"]["Fn::Join"][1][-1] == "/logs/spark-events/*"
    # the record function reads the run's event log (the profile), nothing else under logs/
    (events,) = [s for s in record if s["Sid"] == "ReadEventLogs"]
    assert (events["Action"], events["Resource"]["Fn::Join"][1][-1]) == ("s3:GetObject", "/logs/spark-events/*")
    assert [s["Resource"]["Fn::Join"][1][-1] for s in ingest if s["Sid"] == "WriteRaw"] == ["/raw/*"]
    assert [s["Resource"]["Fn::Join"][1][-1] for s in record if s["Sid"] == "ReadWriteManifests"] == ["/manifests/*"]
    (tagging,) = [s for s in record if s["Sid"] == "TagSupersededRuns"]
    assert tagging["Action"] == "s3:PutObjectTagging"
    assert sorted(r["Fn::Join"][1][-1] for r in tagging["Resource"]) == ["/processed/*", "/rejected/*"]
    # the run's own manifest, written by the job outside manifests/ (the runs table's location)
    assert [s["Resource"]["Fn::Join"][1][-1] for s in record if s["Sid"] == "ReadRunManifests"] == ["/run-manifests/*"]
    # the quality step: earlier manifests (ReadWriteManifests), the day's quality rows, warnings
    (quality,) = [s for s in record if s["Sid"] == "WriteQuality"]
    assert (quality["Action"], quality["Resource"]["Fn::Join"][1][-1]) == ("s3:PutObject", "/quality/*")
    (publish,) = [s for s in record if s["Sid"] == "PublishQualityWarnings"]
    (topic,) = processing.find_resources("AWS::SNS::Topic")
    assert (publish["Action"], publish["Resource"]) == ("sns:Publish", {"Ref": topic})
    (describe,) = [s for s in record if s["Sid"] == "DescribeRunClusters"]
    assert describe["Condition"]["StringEquals"] == {
        "aws:ResourceTag/Project": "wikilake",
        "aws:ResourceTag/Stage": "dev",
    }


def test_no_reserved_concurrency_unless_opted_in(templates):
    """A new account (Lambda quota 10 or 50) cannot reserve any concurrency: by default no
    function of any stack reserves some; `ingest_reserved_concurrency` opts the ingest one in."""
    for variant in ("default", "byo", "serverless", "interactive"):
        for role in ("storage", "catalog", "processing"):
            functions = templates(variant, role).find_resources("AWS::Lambda::Function")
            assert [k for k, r in functions.items() if "ReservedConcurrentExecutions" in r["Properties"]] == []
    functions = templates("full", "processing").find_resources("AWS::Lambda::Function")
    reserved = {
        k: r["Properties"]["ReservedConcurrentExecutions"]
        for k, r in functions.items()
        if "ReservedConcurrentExecutions" in r["Properties"]
    }
    assert [(k.startswith("PipelineIngestFunction"), v) for k, v in reserved.items()] == [(True, 3)]


def test_alerts_topic_rules_and_optional_email(templates):
    full, default = templates("full", "processing"), templates("default", "processing")
    full.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "alerts@example.com"})
    default.resource_count_is("AWS::SNS::Subscription", 0)
    patterns = [r["Properties"]["EventPattern"] for r in default.find_resources("AWS::Events::Rule").values()]
    emr = [p for p in patterns if p["source"] == ["aws.emr"]][0]
    assert emr["detail"] == {"state": ["TERMINATED_WITH_ERRORS"], "name": [{"prefix": "Wikilake-dev"}]}
    statuses = [p["detail"]["status"] for p in patterns if p["source"] == ["aws.states"]]
    assert ["TIMED_OUT", "ABORTED"] in statuses  # failed runs: tests/infra/test_failure_sink.py


def test_contact_reaches_the_download_functions(templates):
    for key, fn in templates("full", "processing").find_resources("AWS::Lambda::Function").items():
        if key.startswith(("PipelinePlanFunction", "PipelineIngestFunction")):
            assert fn["Properties"]["Environment"]["Variables"]["WIKILAKE_CONTACT"] == "https://example.org/data-team"


def test_reaper_runs_when_an_execution_ends_without_cleanup(templates):
    processing = templates("default", "processing")
    rules = processing.find_resources("AWS::Events::Rule")
    (reap_rule,) = [
        r for r in rules.values() if "PipelineReapFunction" in json.dumps(r["Properties"].get("Targets", []))
    ]
    assert reap_rule["Properties"]["EventPattern"]["detail"]["status"] == ["TIMED_OUT", "ABORTED", "FAILED"]
    statements = _policy_statements(processing, "PipelineReapFunctionServiceRole")
    (end,) = [s for s in statements if s.get("Sid") == "EndRunClusters"]
    assert sorted(end["Action"]) == ["elasticmapreduce:DescribeCluster", "elasticmapreduce:TerminateJobFlows"]
    assert end["Condition"]["StringEquals"]["aws:ResourceTag/Project"] == "wikilake"


def test_the_record_function_repoints_partitions_of_this_database_s_tables_only(templates):
    """Glue checks the catalog, the database and the table for a partition action
    (docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html): exactly those three
    levels, this app's database, each of its processed tables (the datasets' tables: not the
    projected run history tables), no wildcard."""
    from wikilake_core import datasets

    processing = templates("default", "processing")
    (glue,) = [s for s in _policy_statements(processing, "PipelineRecordFunctionServiceRole") if "glue:" in str(s)]
    assert sorted(glue["Action"]) == [
        "glue:CreatePartition",
        "glue:DeletePartition",
        "glue:GetPartition",
        "glue:GetTable",
        "glue:UpdatePartition",
    ]
    tails = sorted(r["Fn::Join"][1][-1] for r in glue["Resource"])
    processed = {t for name in datasets.DATASETS for t in datasets.get(name).tables}
    assert tails == sorted([":catalog", ":database/wikilake_dev", *(f":table/wikilake_dev/{t}" for t in processed)])
    assert "*" not in json.dumps(glue["Resource"])


def test_on_emr_serverless_the_record_function_reads_the_job_runs_event_log_and_the_plan_writes_none(templates):
    """EMR Serverless writes each job run's event log under its log URI (logs/emr-serverless/):
    the record function reads it there; no event-log folder to make, so the plan only lists."""
    processing = templates("serverless", "processing")
    record = _policy_statements(processing, "PipelineRecordFunctionServiceRole")
    (events,) = [s for s in record if s["Sid"] == "ReadEventLogs"]
    assert (events["Action"], events["Resource"]["Fn::Join"][1][-1]) == ("s3:GetObject", "/logs/emr-serverless/*")
    plan = _policy_statements(processing, "PipelinePlanFunctionServiceRole")
    assert [s["Action"] for s in plan] == ["s3:ListBucket"]
