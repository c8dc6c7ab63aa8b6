"""A run on the interactive cluster in the synthesized templates (issue 27): with
interactive_cluster=true the state machine has a branch that adds the run's step to the cluster
the input names, creates and terminates nothing on that branch, and every grant that reaches that
cluster is scoped to the tags the deployed interactive cluster carries; without it nothing of the
branch exists. (Executing the branch: tests/pipeline/test_interactive_run.py.)

Condition keys: Amazon EMR authorizes by cluster tags (aws:ResourceTag) the actions that take a
cluster id (docs.aws.amazon.com/emr/latest/ManagementGuide/emr-fine-grained-cluster-access.html;
Service Authorization Reference, Amazon EMR: AddJobFlowSteps, CancelSteps, DescribeCluster,
DescribeStep, ListSteps, TerminateJobFlows on the cluster resource)."""

import json

import pytest

from wikilake_core import contract, function_env

from .test_pipeline import _policy_statements, definition
from .test_processing import cluster

INTERACTIVE_ACTIONS = {
    "elasticmapreduce:AddJobFlowSteps",
    "elasticmapreduce:DescribeStep",
    "elasticmapreduce:CancelSteps",
}


def _granting(statements: list[dict], action: str) -> list[dict]:
    return [s for s in statements if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def _interactive_cluster_tags(templates, variant: str) -> dict[str, str]:
    """The tags the deployed interactive cluster carries that the grants name (its CloudFormation
    resource, independent of the pipeline's own code)."""
    tags = {t["Key"]: t["Value"] for t in cluster(templates, variant)["Tags"]}
    return {key: tags[key] for key in (contract.TAG_PROJECT, contract.TAG_STAGE, contract.TAG_CLUSTER_ROLE)}


def _reachable(states: dict, start: str) -> set[str]:
    """Every state an execution can reach from ``start``: Next, a Choice's branches, Catch targets."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [state[k] for k in ("Next", "Default") if k in state]
        todo += [c["Next"] for c in state.get("Choices", [])]
        todo += [c["Next"] for c in state.get("Catch", [])]
    return seen


def _resource(state: dict) -> str:
    return state.get("Resource", "")


@pytest.mark.parametrize("variant", ["interactive", "full"])
def test_the_interactive_branch_adds_a_step_and_never_creates_or_terminates(templates, variant):
    states = definition(templates(variant, "processing"))["States"]
    choice = states["OnInteractiveCluster?"]
    assert states["SizeRun"]["Next"] == "OnInteractiveCluster?"
    (when,) = choice["Choices"]
    assert (when["Variable"], when["IsPresent"], choice["Default"]) == ("$.plan.run.cluster_id", True, "CreateCluster")
    branch = when["Next"]

    reached = _reachable(states, branch)
    emr_actions = {r.rsplit(":", 1)[1] for name in reached if ":aws-sdk:emr:" in (r := _resource(states[name]))}
    assert emr_actions == {"addJobFlowSteps", "describeStep", "cancelSteps"}  # no runJobFlow, no terminateJobFlows
    assert {"ReleaseDay", "ReleaseDayAfterFailure", "VerifyAndRecordStep"} <= reached  # as for any run
    add = states[branch]
    assert add["Parameters"] == {"JobFlowId.$": "$.plan.run.cluster_id", "Steps.$": "$.plan.steps"}
    (retry,) = add["Retry"]  # a step may exist after a 5xx: only a refused request is retried
    assert retry["ErrorEquals"] == ["Emr.ThrottlingException"]
    assert states["PollStep"]["Parameters"] == {"ClusterId.$": "$.plan.run.cluster_id", "StepId.$": "$.job_step.StepId"}
    assert states["VerifyAndRecordStep"]["Parameters"] == {
        "run.$": "$.plan.run",
        "cluster_id.$": "$.plan.run.cluster_id",
        "step_id.$": "$.job_step.StepId",
    }
    assert states["VerifyAndRecordStep"]["Next"] == "ReleaseDay"


@pytest.mark.parametrize("variant", ["interactive", "full"])
def test_steps_on_the_interactive_cluster_are_granted_on_its_tags_only(templates, variant):
    processing = templates(variant, "processing")
    tags = _interactive_cluster_tags(templates, variant)
    assert tags[contract.TAG_CLUSTER_ROLE] == contract.INTERACTIVE
    on_it = {"StringEquals": {f"aws:ResourceTag/{k}": v for k, v in tags.items()}}
    machine = _policy_statements(processing, "PipelineStateMachineRole")
    for action in INTERACTIVE_ACTIONS:
        (statement,) = _granting(machine, action)
        assert statement["Condition"] == on_it, action
        assert statement["Resource"]["Fn::Join"][1][-1] == ":cluster/*"
    # Terminating needs a run's execution tag, which the interactive cluster does not carry.
    assert "wikilake:execution" not in {t["Key"] for t in cluster(templates, variant)["Tags"]}
    for statements in (machine, _policy_statements(processing, "PipelineReapFunctionServiceRole")):
        (terminate,) = _granting(statements, "elasticmapreduce:TerminateJobFlows")
        assert terminate["Condition"]["Null"] == {f"aws:ResourceTag/{contract.TAG_RUN_EXECUTION}": "false"}

    plan = _policy_statements(processing, "PipelinePlanFunctionServiceRole")
    (check,) = _granting(plan, "elasticmapreduce:DescribeCluster")
    assert (check["Action"], check["Condition"]) == ("elasticmapreduce:DescribeCluster", on_it)
    (describe,) = _granting(
        _policy_statements(processing, "PipelineRecordFunctionServiceRole"), "elasticmapreduce:DescribeStep"
    )
    assert describe["Condition"] == on_it
    reap = _policy_statements(processing, "PipelineReapFunctionServiceRole")
    (cancel,) = _granting(reap, "elasticmapreduce:CancelSteps")
    assert sorted(cancel["Action"]) == ["elasticmapreduce:CancelSteps", "elasticmapreduce:ListSteps"]
    assert cancel["Condition"] == on_it


def _interactive_env(functions: dict) -> dict[str, dict]:
    """{function logical id prefix: the interactive cluster's tags it is told}."""
    told = {}
    for name, fn in functions.items():
        variables = fn["Properties"].get("Environment", {}).get("Variables", {})
        if function_env.INTERACTIVE_CLUSTER_TAGS in variables:
            told[name.split("Function")[0]] = json.loads(variables[function_env.INTERACTIVE_CLUSTER_TAGS])
    return told


@pytest.mark.parametrize("variant", ["interactive", "full"])
def test_the_functions_recognize_the_cluster_by_the_tags_it_carries(templates, variant):
    tags = _interactive_cluster_tags(templates, variant)
    functions = templates(variant, "processing").find_resources("AWS::Lambda::Function")
    assert _interactive_env(functions) == {"PipelinePlan": tags, "PipelineReap": tags}


@pytest.mark.parametrize("variant", ["default", "byo", "serverless"])
def test_without_the_interactive_cluster_no_run_can_name_one(templates, variant):
    """byo deploys the interactive cluster too; default and serverless do not."""
    processing = templates(variant, "processing")
    states = definition(processing)["States"]
    has_cluster = bool(processing.find_resources("AWS::EMR::Cluster"))
    assert ("OnInteractiveCluster?" in states) is has_cluster
    statements = _policy_statements(processing, "Pipeline")  # the state machine's and functions' roles
    granted = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert bool(INTERACTIVE_ACTIONS & granted) is has_cluster
    assert bool(_interactive_env(processing.find_resources("AWS::Lambda::Function"))) is has_cluster
