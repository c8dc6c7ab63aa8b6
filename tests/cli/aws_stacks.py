"""Stand-ins for what `cdk deploy` leaves behind: CloudFormation stacks in moto whose Outputs carry
the contract's keys. Plain helpers (not fixtures) so tests import them by a unique module name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

FAKE_PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwikilakeTESTKEYnotreal0123456789\n-----END RSA PRIVATE KEY-----\n"
)


@dataclass
class Deployment:
    bucket: str
    cluster_id: str
    outputs: dict[str, str]
    stacks: dict[str, str]


def deploy_stack(cloudformation, name: str, outputs: dict[str, str]) -> None:
    """A CloudFormation stack with the given Outputs (and one small resource, as CFN needs one)."""
    template = {
        "Resources": {
            "Marker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": f"/wikilake-test/{name}", "Type": "String", "Value": "deployed"},
            }
        },
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))


def redeploy(cloudformation, deployment: Deployment, role: str, drop=(), **values) -> None:
    """Replace one of the deployment's stacks by one whose outputs lack ``drop`` and carry ``values``."""
    name = deployment.stacks[role]
    outputs = {
        o["OutputKey"]: o["OutputValue"] for o in cloudformation.describe_stacks(StackName=name)["Stacks"][0]["Outputs"]
    }
    cloudformation.delete_stack(StackName=name)
    deploy_stack(cloudformation, name, {k: v for k, v in {**outputs, **values}.items() if k not in drop})
