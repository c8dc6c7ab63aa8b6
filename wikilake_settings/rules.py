"""The checks that combine context keys, run in order once every key has been read on its own.

A rule takes the parsed values (by context key) and the reader (for a value as it was written) and
raises a one-line ConfigError naming the key to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wikilake_core.contract import RUNTIME_EC2, RUNTIME_SERVERLESS
from wikilake_core.release_labels import serverless_labels
from wikilake_settings.context_reader import ConfigError, ContextReader

Rule = Callable[[Mapping[str, Any], ContextReader], None]

DEV, PROD = "dev", "prod"
STAGES = (DEV, PROD)

# Keys that configure the EMR-on-EC2 cluster only: set with runtime=emr-serverless they would be
# silently ignored, so they are refused (with their cdk.json defaults, empty, they are fine).
CLUSTER_ONLY_KEYS = ("ssh_cidrs", "key_pair_name", "tls_certificates_s3_uri", "steps")


@dataclass(frozen=True)
class Together:
    """Both keys set or neither; the error names the second key (with its value, if set)."""

    first: str
    second: str
    problem: str
    fix: str

    def __call__(self, values: Mapping[str, Any], _read: ContextReader) -> None:
        if bool(values[self.first]) != bool(values[self.second]):
            raise ConfigError(self.second, values[self.second], self.problem, self.fix)


def cluster_keys_only_on_ec2(values: Mapping[str, Any], read: ContextReader) -> None:
    if values["runtime"] != RUNTIME_SERVERLESS:
        return
    for key in CLUSTER_ONLY_KEYS:
        if read.items(key):
            raise ConfigError(
                key,
                read.text(key),
                "configures EMR clusters and has no effect with runtime=emr-serverless",
                f"leave {key} empty, or use runtime=emr-ec2",
            )


def prod_clusters_encrypt_in_transit(values: Mapping[str, Any], _read: ContextReader) -> None:
    """EMR Serverless encrypts its workers' traffic itself: the certificates are for clusters."""
    if values["runtime"] == RUNTIME_EC2 and values["stage"] == PROD and not values["tls_certificates_s3_uri"]:
        raise ConfigError(
            "tls_certificates_s3_uri",
            None,
            "stage=prod requires in-transit encryption",
            "upload a PEM certificate zip (see docs/security.md) and pass "
            "-c tls_certificates_s3_uri=s3://<bucket>/<key>.zip",
        )


def release_runs_on_runtime(values: Mapping[str, Any], _read: ContextReader) -> None:
    release = values["release_label"]
    if values["runtime"] == RUNTIME_SERVERLESS and not release.serverless:
        raise ConfigError(
            "release_label",
            release.label,
            "has no EMR Serverless release",
            f"use one of {serverless_labels()} with runtime=emr-serverless, or runtime=emr-ec2",
        )


def interactive_cluster_on_ec2(values: Mapping[str, Any], _read: ContextReader) -> None:
    if values["interactive_cluster"] and values["runtime"] == RUNTIME_SERVERLESS:
        raise ConfigError(
            "interactive_cluster",
            True,
            "the interactive cluster is EMR on EC2",
            "use runtime=emr-ec2 for it, or leave interactive_cluster=false",
        )


def steps_need_the_interactive_cluster(values: Mapping[str, Any], _read: ContextReader) -> None:
    if values["steps"] and not values["interactive_cluster"]:
        raise ConfigError(
            "steps",
            ",".join(f"{d}@{dt}" for d, dt in values["steps"]),
            "steps run on the interactive cluster, which is off",
            "add -c interactive_cluster=true, or run them with `wikilake run`",
        )


def scaling_covers_the_starting_nodes(values: Mapping[str, Any], _read: ContextReader) -> None:
    maximum, fixed_nodes = values["managed_scaling_max"], values["core_instance_count"] + values["task_instance_count"]
    if 0 < maximum < fixed_nodes:
        raise ConfigError(
            "managed_scaling_max",
            maximum,
            f"below the {fixed_nodes} core + task nodes the cluster starts with",
            f"use 0 (off) or at least {fixed_nodes}",
        )


def run_nodes_cover_the_core_count(values: Mapping[str, Any], _read: ContextReader) -> None:
    maximum, core_count = values["run_core_nodes_max"], values["core_instance_count"]
    if maximum < core_count:
        raise ConfigError(
            "run_core_nodes_max",
            maximum,
            f"below core_instance_count ({core_count}), the fewest core nodes a run gets",
            f"use at least {core_count}",
        )


RULES: tuple[Rule, ...] = (
    Together(
        "vpc_id",
        "subnet_id",
        "vpc_id and subnet_id go together",
        "set both (a subnet of that VPC with a route to S3) or neither",
    ),
    Together(
        "budget_monthly_usd",
        "budget_email",
        "budget_monthly_usd and budget_email go together",
        "set both to get budget alerts, or neither",
    ),
    cluster_keys_only_on_ec2,
    prod_clusters_encrypt_in_transit,
    release_runs_on_runtime,
    interactive_cluster_on_ec2,
    steps_need_the_interactive_cluster,
    scaling_covers_the_starting_nodes,
    run_nodes_cover_the_core_count,
)
