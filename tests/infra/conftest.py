"""Synthesis fixtures for the infra tests: each app is synthesized once per test session.

jsii makes every synth cost seconds, so the three configurations under test live side by side
(different stack prefixes) in one app: `default` (cdk.json as is), `full` (prod with every option
on), `byo` (existing VPC and key pair, the other release label) and `serverless`
(runtime=emr-serverless, prod, with a KMS data key); and the opt-in delivery pipeline (`delivery`,
prefix Dlv) with its dev and prod stages.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.once_per_run import built_once
from wikilake_core.paths import PROJECT_ROOT

# jsii runs `node` from PATH: use the venv's Node 24, not the machine's end-of-life Node 20.
VENV_BIN = str(Path(sys.executable).parent)
os.environ["PATH"] = os.pathsep.join([VENV_BIN, str(PROJECT_ROOT / "node_modules" / ".bin"), os.environ["PATH"]])
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

CDK_JSON = PROJECT_ROOT / "cdk.json"
ROLES = ("storage", "catalog", "processing")
VARIANTS: dict[str, dict] = {
    "default": {},
    "full": {
        "stage": "prod",
        "stack_prefix": "Full",
        "cost_center": "data-platform",
        "kms": True,
        "bucket_name": "wikilake-full-test",
        "ssh_cidrs": "203.0.113.7/32, 2001:db8::/48",
        "core_instance_count": 2,
        "task_instance_count": 2,
        "task_spot": True,
        "managed_scaling_max": 6,
        "idle_timeout_minutes": 30,
        "athena_bytes_scanned_cutoff_gb": 1,
        "steps": "edits@2015-09-12,pageviews@2015-09-12",
        "interactive_cluster": True,
        "schedule": "pageviews, edits@cron(0 6 ? * MON,WED *)",
        "alert_email": "alerts@example.com",
        "contact": "https://example.org/data-team",
        "budget_monthly_usd": 50,
        "budget_email": "team@example.com",
        "tls_certificates_s3_uri": "s3://wikilake-certs/emr/certs.zip",
        "ingest_reserved_concurrency": 3,
        "run_core_nodes_max": 12,
        "run_target_minutes": 45,
    },
    "byo": {
        "stack_prefix": "Byo",
        "vpc_id": "vpc-0abc1234def567890",
        "subnet_id": "subnet-0abc1234def56789a",
        "key_pair_name": "ops-key",
        "task_instance_count": 1,
        "task_spot": "false",
        "release_label": "emr-spark-8.0.0",
        "interactive_cluster": True,
    },
    "serverless": {
        "stage": "prod",
        "stack_prefix": "Sls",
        "runtime": "emr-serverless",
        "kms": True,
        "serverless_max_vcpu": 48,
        "serverless_max_memory_gb": 192,
        "idle_timeout_minutes": 15,
        "budget_monthly_usd": 20,
        "budget_email": "team@example.com",
    },
    # The defaults plus the opt-in long-lived cluster.
    "interactive": {"stack_prefix": "Interactive", "interactive_cluster": True},
}
# The opt-in delivery pipeline (stacks/delivery_stack.py), with its dev and prod stages.
DELIVERY = "delivery"
DELIVERY_CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
DELIVERY_CONTEXT = {
    "stack_prefix": "Dlv",
    "delivery_repo": "my-org/wikilake",
    "delivery_connection_arn": DELIVERY_CONNECTION,
    "contact": "ops@example.org",
    "tls_certificates_s3_uri": "s3://wikilake-certs/emr/certs.zip",
}


def cdk_context() -> dict:
    return json.loads(CDK_JSON.read_text())["context"]


def variant_config(variant: str):
    from wikilake_settings.config import WikilakeConfig

    return WikilakeConfig.from_context({**cdk_context(), **VARIANTS[variant]})


def build_app(outdir: Path, with_nag: bool):
    """An app with every variant's stacks, as app.py builds them (plus nag when asked)."""
    import aws_cdk as cdk

    from stacks import nag
    from stacks.wikilake_app import add_wikilake

    app = cdk.App(outdir=str(outdir), context=cdk_context())
    stacks = {variant: add_wikilake(app, variant_config(variant)) for variant in VARIANTS}
    stacks[DELIVERY] = add_delivery_variant(app)
    if with_nag:
        nag.register_checks(app)
    return app, stacks


def add_delivery_variant(app):
    from stacks.delivery_stack import add_delivery
    from wikilake_settings.config import WikilakeConfig, delivery_stage_configs

    context = {**cdk_context(), **DELIVERY_CONTEXT}
    return add_delivery(app, WikilakeConfig.from_context(context), delivery_stage_configs(context), context)


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    stack_names: dict[tuple[str, str], str]  # (variant, role) -> stack name
    delivery_stack_name: str

    def template_path(self, variant: str, role: str) -> Path:
        return self.outdir / f"{self.stack_names[variant, role]}.template.json"

    def template_json(self, variant: str, role: str) -> dict:
        return json.loads(self.template_path(variant, role).read_text())

    def template(self, variant: str, role: str):
        from aws_cdk.assertions import Template

        return Template.from_json(self.template_json(variant, role))

    def all_templates(self) -> dict[tuple[str, str], dict]:
        return {key: self.template_json(*key) for key in self.stack_names}

    @property
    def delivery_template_path(self) -> Path:
        return self.outdir / f"{self.delivery_stack_name}.template.json"

    def delivery_template_json(self) -> dict:
        return json.loads(self.delivery_template_path.read_text())

    def stage_template_paths(self) -> list[Path]:
        """The templates of the delivery's dev and prod stages (nested cloud assemblies)."""
        return sorted(self.outdir.glob(f"assembly-{self.delivery_stack_name}-*/*.template.json"))


def _synthesize(outdir: Path) -> dict:
    app, stacks = build_app(outdir, with_nag=False)
    app.synth()
    names = [[variant, role, getattr(stacks[variant], role).stack_name] for variant in VARIANTS for role in ROLES]
    return {"stacks": names, "delivery": stacks[DELIVERY].stack_name}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory, worker_id) -> Synthesized:
    """Every variant, synthesized once per `make test` run without cdk-nag (Template assertions
    need that)."""
    outdir, names = built_once(tmp_path_factory, worker_id, "cdk-out", _synthesize)
    return Synthesized(outdir, {(variant, role): name for variant, role, name in names["stacks"]}, names["delivery"])


@pytest.fixture(scope="session")
def templates(synthesized):
    """Lazily built aws_cdk.assertions.Template per (variant, role), shared by all tests."""
    cache = {}

    def template(variant: str, role: str):
        if (variant, role) not in cache:
            cache[variant, role] = synthesized.template(variant, role)
        return cache[variant, role]

    return template
