"""The pipeline's CloudWatch dashboard (stacks/pipeline_dashboard.py), read from the synthesized
processing templates: the DashboardBody is a Fn::Join of JSON text around references (the state
machine, the functions, the region, the Serverless application); the test joins it with each
reference written as a placeholder and parses the JSON. What its widgets must name comes from the
template itself (the state machine, the pipeline's Python functions) and from the stack naming
(the deployment's namespace), not from the dashboard module.

Also here: the record function's PutMetricData grant (the deployment's namespace by condition,
nothing broader) and the dashboard URL output. Not testable without AWS: that the console renders
the widgets, and what the SEARCH expressions find at run time (docs/dashboard.md, "Limits").
"""

from __future__ import annotations

import json
import re

import pytest

from wikilake_core import datasets, function_env
from wikilake_core.contract import Outputs

from .conftest import VARIANTS

# (variant, its deployment's <prefix>-<stage>): tests/infra/conftest.py's configurations.
DEPLOYMENTS = {"default": "Wikilake-dev", "full": "Full-prod", "serverless": "Sls-prod", "byo": "Byo-dev"}
RUN_METRICS = ("RunSeconds", "RowsWritten", "RunCostUSD")
EXECUTION_METRICS = ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionTime")


def _placeholder(reference: dict) -> str:
    if "Ref" in reference:
        return f"<Ref {reference['Ref']}>"
    (function, argument), *_ = reference.items()
    return f"<{function} {json.dumps(argument)}>".replace('"', "'")


def _joined(value) -> str:
    """A Fn::Join (or a plain string) as text, each reference written as a placeholder."""
    if isinstance(value, str):
        return value
    separator, parts = value["Fn::Join"]
    return separator.join(part if isinstance(part, str) else _placeholder(part) for part in parts)


def _resources(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _dashboard(template: dict) -> dict:
    ((_, dashboard),) = _resources(template, "AWS::CloudWatch::Dashboard").items()
    return dashboard["Properties"]


def _body(template: dict) -> dict:
    return json.loads(_joined(_dashboard(template)["DashboardBody"]))


def _metric_rows(body: dict) -> list[list]:
    return [row for w in body["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]


def _named(body: dict) -> set[tuple]:
    """(namespace, metric, dimension, value) of every plain metric the widgets graph."""
    return {tuple(row[:4]) for row in _metric_rows(body) if isinstance(row[0], str)}


def _expressions(body: dict) -> list[str]:
    return [row[0]["expression"] for row in _metric_rows(body) if isinstance(row[0], dict)]


def _pipeline_functions(template: dict) -> set[str]:
    """The template's own Lambda functions (handlers in wikilake_functions), not CDK's providers."""
    return {
        name
        for name, f in _resources(template, "AWS::Lambda::Function").items()
        if f["Properties"].get("Handler", "").startswith("wikilake_functions.")
    }


@pytest.mark.parametrize("variant", list(DEPLOYMENTS))
def test_the_widgets_name_the_state_machine_every_function_and_the_run_metrics(synthesized, variant):
    template = synthesized.template_json(variant, "processing")
    body = _body(template)
    named = _named(body)
    ((machine, _),) = _resources(template, "AWS::StepFunctions::StateMachine").items()
    functions = _pipeline_functions(template)
    assert len(functions) == 5  # plan, ingest, record, day lease, reap

    for metric in EXECUTION_METRICS:
        assert ("AWS/States", metric, "StateMachineArn", f"<Ref {machine}>") in named
    for function in functions:
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, "FunctionName", f"<Ref {function}>") in named
    namespace = f"wikilake/{DEPLOYMENTS[variant]}"
    for dataset in datasets.DATASETS:
        for metric in RUN_METRICS:
            assert (namespace, metric, "Dataset", dataset) in named
    # nothing else: every plain metric is one of those
    assert {n[0] for n in named} == {"AWS/States", "AWS/Lambda", namespace}


@pytest.mark.parametrize("variant", ["default", "full", "byo"])
def test_emr_on_ec2_graphs_yarn_memory_and_pending_containers_of_the_clusters(synthesized, variant):
    body = _body(synthesized.template_json(variant, "processing"))
    assert sorted(_expressions(body)) == [
        "SEARCH('{AWS/ElasticMapReduce,JobFlowId} MetricName=\"ContainerPending\"', 'Maximum', 300)",
        "SEARCH('{AWS/ElasticMapReduce,JobFlowId} MetricName=\"YARNMemoryAvailablePercentage\"', 'Minimum', 300)",
    ]
    # and says next to them which clusters those are
    (note,) = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert "every EMR cluster in this account and region" in note
    assert f"`{DEPLOYMENTS[variant]}-<dataset>-<dt>`" in note


def test_emr_serverless_graphs_its_application_instead(synthesized):
    template = synthesized.template_json("serverless", "processing")
    body = _body(template)
    ((application, _),) = _resources(template, "AWS::EMRServerless::Application").items()
    expressions = _expressions(body)
    assert not any("ElasticMapReduce" in e for e in expressions)
    app = f"ApplicationId=\"<Fn::GetAtt ['{application}', 'ApplicationId']>\""
    found = {
        re.search(r'MetricName="(\w+)"', e)[1] for e in expressions if 'Namespace="AWS/EMRServerless"' in e and app in e
    }
    assert found == {"CPUAllocated", "MaxCPUAllowed", "RunningWorkerCount", "PendingCreationWorkerCount", "PendingJobs"}
    assert len(expressions) == len(found)
    assert not [w for w in body["widgets"] if w["type"] == "text"]


def _record_statements(template: dict) -> list[dict]:
    ((record, function),) = [
        (name, f)
        for name, f in _resources(template, "AWS::Lambda::Function").items()
        if f["Properties"].get("Handler") == "wikilake_functions.record.handler"
    ]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for p in _resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


@pytest.mark.parametrize("variant", list(DEPLOYMENTS))
def test_put_metric_data_is_granted_in_the_deployment_s_namespace_only(synthesized, variant):
    template = synthesized.template_json(variant, "processing")
    namespace = f"wikilake/{DEPLOYMENTS[variant]}"
    statements = _record_statements(template)
    (grant,) = [s for s in statements if any(a.startswith("cloudwatch:") for a in _actions(s))]
    assert grant == {
        "Sid": "PublishRunMetrics",
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}},
    }
    # the function publishes there, and the dashboard reads there
    (record,) = [
        f
        for f in _resources(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "wikilake_functions.record.handler"
    ]
    assert record["Properties"]["Environment"]["Variables"][function_env.METRICS_NAMESPACE] == namespace
    # no other statement of the stack lets anyone publish metrics without a namespace condition
    for policy in _resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if {"cloudwatch:PutMetricData", "cloudwatch:*", "*"} & set(_actions(statement)):
                assert statement["Condition"]["StringEquals"]["cloudwatch:namespace"], statement


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_dashboard_url_is_an_output_naming_the_dashboard_in_its_region(synthesized, variant):
    template = synthesized.template_json(variant, "processing")
    ((dashboard, properties),) = [
        (n, r["Properties"]) for n, r in _resources(template, "AWS::CloudWatch::Dashboard").items()
    ]
    deployment = {**DEPLOYMENTS, "interactive": "Interactive-dev"}[variant]
    # dashboards are global to an account: the region tells two regions' deployments apart
    assert _joined(properties["DashboardName"]) == f"{deployment}-pipeline-<Ref AWS::Region>"
    url = _joined(template["Outputs"][Outputs.DASHBOARD_URL]["Value"])
    assert url == (
        "https://<Ref AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<Ref AWS::Region>"
        f"#dashboards:name=<Ref {dashboard}>"
    )
