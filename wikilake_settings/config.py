"""The app's configuration: CDK context parsed and validated once into a frozen dataclass.

Defaults live in cdk.json (one place, documented in docs/configuration.md); `-c key=value` overrides them.
SETTINGS is the table of the app's context keys: each row names a key, how its value is read and
checked on its own (wikilake_settings/values.py) and its help text; the checks that combine keys
follow (wikilake_settings/rules.py). Every problem raises ConfigError with one line naming the key and
the fix, before any construct exists. Stdlib only (plus wikilake helpers), so the unit tests need
no jsii.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wikilake_core import contract, run_sizing
from wikilake_core.cluster import ClusterShape, cluster_shape
from wikilake_core.contact import CONTACT, CONTACT_EXAMPLE
from wikilake_core.errors import WikilakeError
from wikilake_core.http_budget import MAX_DOWNLOADS
from wikilake_core.release_labels import EmrRelease
from wikilake_settings import values as kind
from wikilake_settings.context_reader import ConfigError, ContextReader, refuse_unknown_keys
from wikilake_settings.delivery_source import DELIVERY_KEYS, DeliverySource, delivery_source
from wikilake_settings.rules import PROD, RULES, STAGES

# Names other modules import from here.
__all__ = ["KEYS", "ConfigError", "DEFAULT_SCHEDULE", "WikilakeConfig", "context_arguments", "delivery_stage_configs"]
DEFAULT_SCHEDULE = kind.DEFAULT_SCHEDULE

# EMR auto-termination accepts 60 s .. 7 days of idleness.
IDLE_MINUTES_RANGE = (1, 7 * 24 * 60)
# Athena refuses a per-query cutoff below 10 MB.
MIN_CUTOFF_GB = 0.01
BYTES_PER_GB = 1_000_000_000
# More concurrent downloads than the dumps site allows would only be throttled there.
# A run's job aims to finish in this many minutes: at least 10, and at most 3/4 of the run's own
# timeout (ingest and cluster start take the rest).
RUN_TARGET_MINUTES_RANGE = (10, run_sizing.RUN_TIMEOUT_SECONDS * 3 // 4 // 60)

# Short enough for the generated bucket name <prefix>-<stage>-<account>-<region> to fit 63 chars.
_STACK_PREFIX = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,19}$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")
_KEY_PAIR_NAME = re.compile(r"^[\x20-\x7e]{1,255}$")
_COST_CENTER = re.compile(r"^[\w .:/=+@-]{1,256}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_S3_ZIP_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+\.zip)$")
_EC2_TYPE = "an EC2 type like m5.xlarge"
_ADDRESS = "an address like team@example.com"


@dataclass(frozen=True)
class Setting:
    """One context key: how its value is read and checked on its own, what a good value looks like
    (the fix of an `invalid` error; empty when the parser words its own), and the WikilakeConfig
    field it fills (empty: the key's own name; None: read only together with other keys)."""

    key: str
    parse: kind.Parse | None
    help: str = ""
    field: str | None = ""


# One row per context key, in the order the keys are read (and documented, and passed on by
# context_arguments); the defaults are cdk.json's.
SETTINGS = (
    Setting("stage", kind.Choice(STAGES)),
    Setting(
        "stack_prefix",
        kind.Matching(_STACK_PREFIX),
        "letters, digits and single hyphens, starting with a letter, at most 20",
    ),
    Setting("cost_center", kind.Matching(_COST_CENTER), "a tag value: letters, digits, spaces, _.:/=+-@"),
    Setting("bucket_name", kind.bucket_name),
    Setting("kms", kind.boolean),
    Setting("ssh_cidrs", kind.ssh_cidrs),
    Setting("key_pair_name", kind.Matching(_KEY_PAIR_NAME, optional=True), "the name of an existing EC2 key pair"),
    Setting("vpc_id", kind.Matching(_VPC_ID, optional=True), "a VPC id like vpc-0abc1234def567890"),
    Setting("subnet_id", kind.Matching(_SUBNET_ID, optional=True), "a subnet id like subnet-0abc1234def567890"),
    Setting("release_label", kind.release, field="release"),
    Setting("primary_instance_type", kind.Matching(kind.INSTANCE_TYPE), _EC2_TYPE),
    Setting("core_instance_type", kind.sized_instance_type, _EC2_TYPE),
    Setting("core_instance_count", kind.Whole(1)),
    Setting("task_instance_count", kind.Whole(0)),
    Setting("task_spot", kind.boolean),
    Setting("idle_timeout_minutes", kind.Whole(*IDLE_MINUTES_RANGE)),
    Setting("managed_scaling_max", kind.Whole(0)),
    Setting(
        "tls_certificates_s3_uri",
        kind.Matching(_S3_ZIP_URI, optional=True),
        "s3://<bucket>/<key>.zip (PEM certificates)",
    ),
    Setting("athena_bytes_scanned_cutoff_gb", kind.Number(MIN_CUTOFF_GB)),
    Setting("projection_start_date", kind.past_date),
    Setting("steps", kind.steps),
    Setting("budget_monthly_usd", kind.Number(1, optional=True)),
    Setting("budget_email", kind.Matching(_EMAIL, optional=True), _ADDRESS),
    Setting("runtime", kind.Choice(contract.RUNTIMES)),
    Setting("serverless_max_vcpu", kind.vcpus_for_every_job),
    Setting("serverless_max_memory_gb", kind.memory_for_every_job),
    Setting("interactive_cluster", kind.boolean),
    Setting("schedule", kind.schedule),
    Setting("alert_email", kind.Matching(_EMAIL, optional=True), _ADDRESS),
    Setting("contact", kind.Matching(CONTACT, optional=True), CONTACT_EXAMPLE),
    # Empty: no reservation (the default, which a new account can deploy). Lambda needs the
    # account's unreserved concurrency to stay >= 100 after any reservation, so only 1..3 make
    # sense: the dumps site's limit is 3 downloads, and the lease table enforces it anyway.
    Setting("ingest_reserved_concurrency", kind.Whole(1, MAX_DOWNLOADS, optional=True)),
    Setting("run_core_nodes_max", kind.Whole(1)),
    Setting("run_target_minutes", kind.Whole(*RUN_TARGET_MINUTES_RANGE)),
    # Delivery (docs/delivery.md): read together by delivery_source, the branch only when it is on.
    *(Setting(key, None, field=None) for key in DELIVERY_KEYS),
)
KEYS = tuple(setting.key for setting in SETTINGS)


@dataclass(frozen=True)
class WikilakeConfig:
    stage: str
    stack_prefix: str
    cost_center: str
    bucket_name: str | None
    kms: bool
    ssh_cidrs: tuple[str, ...]
    key_pair_name: str | None
    vpc_id: str | None
    subnet_id: str | None
    release: EmrRelease
    primary_instance_type: str
    core_instance_type: str
    core_instance_count: int
    task_instance_count: int
    task_spot: bool
    idle_timeout_minutes: int
    managed_scaling_max: int
    tls_certificates_s3_uri: str | None
    athena_bytes_scanned_cutoff_gb: float
    projection_start_date: str
    steps: tuple[tuple[str, str], ...]
    budget_monthly_usd: float | None
    budget_email: str | None
    runtime: str
    serverless_max_vcpu: int
    serverless_max_memory_gb: int
    # The long-lived cluster (SSH, ad-hoc work); off: a deploy runs no compute at all.
    interactive_cluster: bool
    # (dataset, EventBridge Scheduler expression) per scheduled pipeline run.
    schedule: tuple[tuple[str, str], ...]
    alert_email: str | None
    # Sent in the User-Agent of the pipeline's downloads (wikilake_ingest.user_agent): Wikimedia's
    # policy wants a way to reach whoever runs the pipeline.
    contact: str | None
    # Opt-in: reserve this much Lambda concurrency for the ingest function (None: reserve none,
    # the lease table caps downloads; a reservation needs account headroom, docs/configuration.md).
    ingest_reserved_concurrency: int | None
    # A pipeline run's cluster gets core nodes for its input (wikilake_core/run_sizing.py) from
    # core_instance_count up to this; its job aims to finish in run_target_minutes.
    run_core_nodes_max: int
    run_target_minutes: int
    # The delivery pipeline's source, when both delivery keys are set (None: no delivery stack).
    delivery: DeliverySource | None = None

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> WikilakeConfig:
        """Parse the app's whole context (cdk.json + `-c`); raises ConfigError on the first problem:
        each key on its own in the table's order, then the checks that combine keys."""
        refuse_unknown_keys(context, KEYS)
        read = ContextReader(context)
        values = {s.key: s.parse(read, s.key, s.help) for s in SETTINGS if s.parse}
        for rule in RULES:
            rule(values, read)
        fields = {s.field or s.key: values[s.key] for s in SETTINGS if s.field is not None}
        return cls(**fields, delivery=delivery_source(read))

    @property
    def is_serverless(self) -> bool:
        return self.runtime == contract.RUNTIME_SERVERLESS

    @property
    def cluster_shape(self) -> ClusterShape:
        """The run cluster's instance groups and managed scaling (one rendering for the stack and
        for `wikilake preflight`'s vCPU check, which counts the most core nodes a run may get)."""
        return cluster_shape(
            primary_type=self.primary_instance_type,
            core_type=self.core_instance_type,
            core_count=self.core_instance_count,
            task_count=self.task_instance_count,
            task_spot=self.task_spot,
            scaling_max=self.managed_scaling_max,
            core_count_max=self.run_core_nodes_max,
        )

    @property
    def is_prod(self) -> bool:
        return self.stage == PROD

    @property
    def stack_names(self) -> dict[str, str]:
        return contract.stack_names(self.stack_prefix, self.stage)

    @property
    def name(self) -> str:
        """Base name of named resources (cluster, workgroup, key pair): e.g. Wikilake-dev."""
        return f"{self.stack_prefix}-{self.stage}"

    @property
    def database_name(self) -> str:
        """Glue database name: Glue wants lower case and underscores."""
        return self.name.lower().replace("-", "_")

    @property
    def athena_bytes_scanned_cutoff(self) -> int:
        return int(self.athena_bytes_scanned_cutoff_gb * BYTES_PER_GB)

    @property
    def tags(self) -> dict[str, str]:
        return {
            contract.TAG_PROJECT: contract.APP_NAME,
            contract.TAG_STAGE: self.stage,
            contract.TAG_COST_CENTER: self.cost_center,
        }


class DeliveryStageError(ConfigError):
    """A context value that one of the delivery's stages refuses (e.g. prod without TLS)."""

    def __init__(self, stage: str, error: ConfigError):
        WikilakeError.__init__(self, f"delivery {stage} stage: {error}")


def delivery_stage_configs(context: Mapping[str, Any]) -> tuple[WikilakeConfig, WikilakeConfig]:
    """The dev and prod configurations the delivery pipeline deploys: the context with ``stage``
    set to each (whatever the context's own stage); a problem of either names its stage."""
    configs = []
    for stage in STAGES:
        try:
            configs.append(WikilakeConfig.from_context({**context, "stage": stage}))
        except ConfigError as err:
            raise DeliveryStageError(stage, err) from None
    dev, prod = configs
    return dev, prod


def context_arguments(context: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[str, ...]:
    """``-c key=value`` for each of the app's keys whose value in ``context`` differs from
    ``defaults`` (cdk.json's): what the delivery pipeline's synth passes to reproduce this synth.
    Shell-quoted; lists comma-joined and booleans lower-case, as `-c` writes them."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, list):
            return ",".join(map(str, value))
        return "" if value is None else str(value)

    return tuple(
        f"-c {shlex.quote(f'{key}={text(context[key])}')}"
        for key in KEYS
        if key in context and text(context[key]) != text(defaults.get(key))
    )
