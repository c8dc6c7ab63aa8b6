"""Which EMR clusters the pipeline may touch: this account's and region's, tagged with the app's
Project and Stage. One place for the ARN pattern, the IAM tag conditions and cdk-nag's spelling of
the wildcard, shared by the state machine (stacks/cluster_job.py) and the functions' grants.

Run clusters get their ids at run time, so every grant is on `cluster/*` narrowed by tags: the
Service Authorization Reference (Amazon EMR) lists aws:ResourceTag and aws:RequestTag for the
cluster actions the pipeline uses. Terminating needs the run's execution tag too (a ``Null``
condition: the key is present), so no grant can end the interactive cluster; steps on the
interactive cluster (a run that names it) are granted only on a cluster carrying its tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Stack
from constructs import Construct

from stacks import nag
from wikilake_core import contract

EMR = "elasticmapreduce"  # the IAM service prefix and ARN service of EMR on EC2
# cdk-nag's IAM5 finding on the clusters' ARN.
NAG_FINDING = nag.iam5_finding("arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*")


@dataclass(frozen=True)
class RunClusters:
    arns: str  # every cluster of the stack's account and region; the tag conditions narrow it
    project: str
    stage: str

    @classmethod
    def of(cls, scope: Construct, app_tags: Mapping[str, str]) -> RunClusters:
        """The run clusters of the app tagged ``app_tags`` (its Project and Stage), in ``scope``'s stack."""
        arns = Stack.of(scope).format_arn(service=EMR, resource="cluster", resource_name="*")
        return cls(arns, app_tags[contract.TAG_PROJECT], app_tags[contract.TAG_STAGE])

    def tagged(self, condition_key: str = "aws:ResourceTag") -> dict[str, dict[str, str]]:
        """Conditions that the cluster (or, with aws:RequestTag, the request) carries the app's tags."""
        return {
            "StringEquals": {
                f"{condition_key}/{contract.TAG_PROJECT}": self.project,
                f"{condition_key}/{contract.TAG_STAGE}": self.stage,
            }
        }

    def requested(self) -> dict[str, dict[str, str]]:
        """Conditions that a request (RunJobFlow, AddTags) tags the cluster with the app's tags."""
        return self.tagged("aws:RequestTag")

    def made_by_a_run(self) -> dict[str, dict[str, str]]:
        """Conditions that the cluster is the app's and was made by a run (it carries the run's
        execution tag, which the interactive cluster never does): what may be terminated."""
        return {**self.tagged(), "Null": {f"aws:ResourceTag/{contract.TAG_RUN_EXECUTION}": "false"}}

    def interactive_tags(self) -> dict[str, str]:
        """The tags of the app's interactive cluster: the app's Project and Stage, and its role."""
        return {
            contract.TAG_PROJECT: self.project,
            contract.TAG_STAGE: self.stage,
            contract.TAG_CLUSTER_ROLE: contract.INTERACTIVE,
        }

    def interactive(self) -> dict[str, dict[str, str]]:
        """Conditions that the cluster is the app's interactive cluster (its three tags)."""
        return {"StringEquals": {f"aws:ResourceTag/{key}": value for key, value in self.interactive_tags().items()}}
