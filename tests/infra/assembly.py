"""Reads a synthesized cloud assembly, nested stage assemblies included: every stack with its
role, template, construct metadata and the configuration it was built from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
LOGICAL_ID = "aws:cdk:logicalId"
DELIVERY_ROLE = "delivery"


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    role: str  # storage | catalog | processing | delivery
    config: object  # the WikilakeConfig it was built from
    template: dict
    # construct path -> metadata entries, as the assembly's <stack>.metadata.json holds them
    metadata: dict[str, list[dict]]
    # the construct path of the stack itself ("Wikilake-dev-Storage", "Dlv-Delivery/Dev/Dlv-dev-Storage")
    path: str

    def relative(self, construct_path: str) -> str:
        """A construct's path under its stack: ``Pipeline/PlanFunction``."""
        return construct_path.strip("/").removeprefix(self.path + "/")

    def entries(self, kind: str) -> Iterator[tuple[str, object]]:
        """(construct path under the stack, data) of every metadata entry of one type."""
        for path, entries in self.metadata.items():
            for entry in entries:
                if entry["type"] == kind:
                    yield self.relative(path), entry["data"]

    def construct_of(self, logical_id: str) -> str:
        """The construct that made a template resource: ``Pipeline/PlanFunction`` (an L2's
        ``Resource`` child is shown as the L2)."""
        paths = [path for path, data in self.entries(LOGICAL_ID) if data == logical_id]
        assert len(paths) == 1, f"{self.name}: {logical_id} has construct paths {paths}"
        return paths[0].removesuffix("/Resource")


def stacks(outdir: Path, roles: dict[str, tuple[str, object]]) -> list[SynthesizedStack]:
    """Every stack of the assembly in ``outdir``; ``roles``: stack name -> (role, config). A
    stack that ``roles`` does not know fails: the docs' tables must see every stack."""
    found = []
    for directory, artifact_id, artifact in _stack_artifacts(outdir):
        name = artifact["properties"].get("stackName", artifact_id)
        assert name in roles, f"stack {name} of the assembly has no role or configuration"
        role, config = roles[name]
        found.append(
            SynthesizedStack(
                name,
                role,
                config,
                json.loads((directory / artifact["properties"]["templateFile"]).read_text()),
                json.loads((directory / artifact["additionalMetadataFile"]).read_text()),
                artifact["displayName"],
            )
        )
    return found


def _stack_artifacts(directory: Path) -> Iterator[tuple[Path, str, dict]]:
    manifest = json.loads((directory / "manifest.json").read_text())
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == STACK_ARTIFACT:
            yield directory, artifact_id, artifact
        elif artifact["type"] == NESTED_ASSEMBLY:
            yield from _stack_artifacts(directory / artifact["properties"]["directoryName"])
