"""A stand-in for the pipeline's state machine, run by moto's Step Functions interpreter: it waits
in a state named like the real job step, then fails for the chosen dts and otherwise returns a run
record in the contract's shape. The real definition is tested with the ProcessingStack.
"""

from __future__ import annotations

import json

import urllib3
from aws_stacks import redeploy

from wikilake_core.contract import Outputs

JOB_STATE = "RunJob"
FAILURE = {"Error": "JobFailed", "Cause": "step s-1 FAILED:\n ValueError: bad input"}
RECORD = {
    "status": "SUCCEEDED",
    "cluster_id": "j-RUN",
    "runtime": "emr-ec2",
    "input_records": 1000,
    "valid_records": 990,
    "rejected_records": 10,
    "rows_written": {"edits": 990, "edits_filtered": 120, "edits_by_channel": 7},
    "cost": {"normalized_instance_hours": 24, "usd": 1.234, "prices_as_of": "2026-11-01"},
}


def definition(seconds: int, failing: tuple[str, ...], records: dict[str, dict] | None = None) -> dict:
    """``records``: {dt: the run record returned for that dt} (RECORD for the others)."""
    records = records or {}
    states = {
        JOB_STATE: {"Type": "Wait", "Seconds": seconds, "Next": "Verify"},
        "Record": {
            "Type": "Pass",
            "End": True,
            "Parameters": {"dataset.$": "$.dataset", "dt.$": "$.dt", "run_id.$": "$$.Execution.Name", **RECORD},
        },
        "Failed": {"Type": "Fail", **FAILURE},
    }
    choices = [{"Variable": "$.dt", "StringEquals": dt, "Next": "Failed"} for dt in failing]
    for i, (dt, record) in enumerate(records.items()):
        states[f"Record{i}"] = {"Type": "Pass", "End": True, "Result": record}
        choices.append({"Variable": "$.dt", "StringEquals": dt, "Next": f"Record{i}"})
    states["Verify"] = (
        {"Type": "Choice", "Default": "Record", "Choices": choices} if choices else {"Type": "Pass", "Next": "Record"}
    )
    return {"StartAt": JOB_STATE, "States": states}


def execute_state_machines(endpoint: str, on: bool) -> None:
    """moto runs definitions only when told to (a server-wide setting)."""
    urllib3.request(
        "POST", f"{endpoint}/moto-api/config", body=json.dumps({"stepfunctions": {"execute_state_machine": on}})
    )


class FakePipeline:
    def __init__(self, clients, deployment):
        self.clients, self.deployment = clients, deployment
        self.arn: str | None = None

    def deploy(self, seconds: int = 0, failing: tuple[str, ...] = (), records: dict[str, dict] | None = None) -> str:
        """Create the state machine and put its ARN into the processing stack's outputs."""
        self.arn = self.clients.stepfunctions.create_state_machine(
            name="wikilake-dev-pipeline",
            definition=json.dumps(definition(seconds, failing, records)),
            roleArn="arn:aws:iam::123456789012:role/wikilake-pipeline",
        )["stateMachineArn"]
        redeploy(self.clients.cloudformation, self.deployment, "processing", **{Outputs.STATE_MACHINE_ARN: self.arn})
        return self.arn

    def executions(self) -> list[dict]:
        """Every execution, described, oldest first."""
        sfn = self.clients.stepfunctions
        listed = sfn.list_executions(stateMachineArn=self.arn)["executions"]
        return [
            sfn.describe_execution(executionArn=e["executionArn"]) for e in sorted(listed, key=lambda e: e["startDate"])
        ]
