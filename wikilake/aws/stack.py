"""Read the deployed stacks' CfnOutputs back (DescribeStacks) and merge them into one lookup."""

from __future__ import annotations

from dataclasses import dataclass

import botocore.exceptions

from wikilake_core.errors import WikilakeError

NOT_DEPLOYED = "NOT_DEPLOYED"
DEPLOY_HINT = "deploy with `make deploy`, or check --stack-prefix/--stage/--region"


@dataclass(frozen=True)
class StackInfo:
    name: str
    status: str  # CloudFormation StackStatus, or NOT_DEPLOYED
    outputs: dict[str, str]

    @property
    def usable(self) -> bool:
        # A stack whose creation rolled back, or that is being deleted, has no resources to use.
        return (
            self.status != NOT_DEPLOYED and self.status != "ROLLBACK_COMPLETE" and not self.status.startswith("DELETE_")
        )


@dataclass(frozen=True)
class StackOutputs:
    """The outputs of the deployment's stacks, merged; knows which stacks are missing."""

    region: str
    stacks: tuple[StackInfo, ...]

    @property
    def values(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for stack in self.stacks:
            if stack.usable:
                merged.update(stack.outputs)
        return merged

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def require(self, key: str) -> str:
        """The output's value, or a one-line error naming the stacks that are missing."""
        value = self.values.get(key)
        if value:
            return value
        absent = [s.name for s in self.stacks if s.status == NOT_DEPLOYED]
        broken = [f"{s.name} is {s.status}" for s in self.stacks if s.status != NOT_DEPLOYED and not s.usable]
        if absent or broken:
            if absent:
                broken.insert(0, f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not deployed")
            raise WikilakeError(f"stack output {key} not found: {'; '.join(broken)} in {self.region} ({DEPLOY_HINT})")
        names = ", ".join(s.name for s in self.stacks)
        raise WikilakeError(
            f"stack output {key} not found in {names}: redeploy them with this version of wikilake (`make deploy`)"
        )


def _describe(cloudformation, name: str) -> StackInfo:
    try:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error", {})
        if error.get("Code") == "ValidationError" and "does not exist" in error.get("Message", ""):
            return StackInfo(name, NOT_DEPLOYED, {})
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return StackInfo(name, stack["StackStatus"], outputs)


def read_stack_outputs(cloudformation, stack_names: dict[str, str], region: str) -> StackOutputs:
    """Describe each stack (storage, catalog, processing); missing ones are recorded, not fatal."""
    return StackOutputs(region, tuple(_describe(cloudformation, name) for name in stack_names.values()))
