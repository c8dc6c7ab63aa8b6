"""The app's configuration: CDK context parsed and validated once into a frozen dataclass.

Defaults live in cdk.json (one place, documented in docs/configuration.md); `-c key=value` overrides them.
Values from `-c` arrive as strings, values from cdk.json may be typed: both are accepted. Every
problem raises ConfigError with one line naming the key and the fix, before any construct exists.
Stdlib only (plus wikilake helpers), so the unit tests need no jsii.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from stacks.release_labels import RELEASES, EmrRelease, serverless_labels, supported_labels
from wikilake_core import contract, datasets, run_sizing
from wikilake_core.cluster import ClusterShape, cluster_shape
from wikilake_core.contact import CONTACT, CONTACT_EXAMPLE
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError
from wikilake_core.submit import parse_step_spec

STAGES = ("dev", "prod")
RUNTIMES = ("emr-ec2", "emr-serverless")

KEYS = (
    "stage",
    "stack_prefix",
    "cost_center",
    "bucket_name",
    "kms",
    "ssh_cidrs",
    "key_pair_name",
    "vpc_id",
    "subnet_id",
    "release_label",
    "primary_instance_type",
    "core_instance_type",
    "core_instance_count",
    "task_instance_count",
    "task_spot",
    "idle_timeout_minutes",
    "managed_scaling_max",
    "tls_certificates_s3_uri",
    "athena_bytes_scanned_cutoff_gb",
    "projection_start_date",
    "steps",
    "budget_monthly_usd",
    "budget_email",
    "runtime",
    "serverless_max_vcpu",
    "serverless_max_memory_gb",
    "interactive_cluster",
    "schedule",
    "alert_email",
    "contact",
    "ingest_reserved_concurrency",
    "run_core_nodes_max",
    "run_target_minutes",
)

# Delivery (docs/delivery.md): the opt-in CDK Pipelines stack; empty repo and connection: none.
DELIVERY_KEYS = ("delivery_repo", "delivery_connection_arn", "delivery_branch")
KEYS += DELIVERY_KEYS

# The broadest SSH sources accepted: wider networks are "the internet" for practical purposes.
MIN_SSH_PREFIX = {4: 8, 6: 32}
# EMR auto-termination accepts 60 s .. 7 days of idleness.
IDLE_MINUTES_RANGE = (1, 7 * 24 * 60)
# Athena refuses a per-query cutoff below 10 MB.
MIN_CUTOFF_GB = 0.01
BYTES_PER_GB = 1_000_000_000
# More concurrent downloads than the dumps site allows would only be throttled there.
MAX_INGEST_RESERVATION = 3
# A run's job aims to finish in this many minutes: at least 10, and at most 3/4 of the run's own
# timeout (ingest and cluster start take the rest).
RUN_TARGET_MINUTES_RANGE = (10, run_sizing.RUN_TIMEOUT_SECONDS * 3 // 4 // 60)

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_RESERVED_BUCKET_AFFIXES = (("xn--", "sthree-", "amzn-s3-demo-"), ("-s3alias", "--ol-s3", "--x-s3", "--table-s3"))
# Short enough for the generated bucket name <prefix>-<stage>-<account>-<region> to fit 63 chars.
_STACK_PREFIX = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,19}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8}([0-9a-f]{9})?$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8}([0-9a-f]{9})?$")
_KEY_PAIR_NAME = re.compile(r"^[\x20-\x7e]{1,255}$")
_COST_CENTER = re.compile(r"^[\w .:/=+@-]{1,256}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_S3_ZIP_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+\.zip)$")
# EventBridge Scheduler: cron(min hour day-of-month month day-of-week year) or rate(N unit).
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_RATE = re.compile(r"^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$")
# A bare dataset runs daily at this UTC time, for the previous UTC day (docs/running-daily.md).
DEFAULT_SCHEDULE = "cron(30 4 * * ? *)"
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class ConfigError(WikilakeError):
    """A bad context value; the message is one line: key, problem, fix."""

    def __init__(self, key: str, value: Any, problem: str, fix: str):
        shown = "" if value is None else f"={value!r}"
        super().__init__(f"context {key}{shown}: {problem}; fix: {fix}")


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
        """Parse the app's whole context (cdk.json + `-c`); raises ConfigError on the first problem."""
        _refuse_unknown_keys(context)
        read = _Reader(context)
        stage = read.choice("stage", STAGES)
        vpc_id = read.optional("vpc_id", _VPC_ID, "a VPC id like vpc-0abc1234def567890")
        subnet_id = read.optional("subnet_id", _SUBNET_ID, "a subnet id like subnet-0abc1234def567890")
        if bool(vpc_id) != bool(subnet_id):
            raise ConfigError(
                "subnet_id",
                subnet_id,
                "vpc_id and subnet_id go together",
                "set both (a subnet of that VPC with a route to S3) or neither",
            )
        core_count = read.integer("core_instance_count", minimum=1)
        core_type = read.matching("core_instance_type", _INSTANCE_TYPE, "an EC2 type like m5.xlarge")
        _require_vcpus(core_type)
        task_count = read.integer("task_instance_count", minimum=0)
        budget_usd = read.optional_number("budget_monthly_usd", minimum=1)
        budget_email = read.optional("budget_email", _EMAIL, "an address like team@example.com")
        if bool(budget_usd) != bool(budget_email):
            raise ConfigError(
                "budget_email",
                budget_email,
                "budget_monthly_usd and budget_email go together",
                "set both to get budget alerts, or neither",
            )
        tls_uri = read.optional("tls_certificates_s3_uri", _S3_ZIP_URI, "s3://<bucket>/<key>.zip (PEM certificates)")
        runtime = read.choice("runtime", RUNTIMES)
        if runtime == "emr-serverless":
            _refuse_cluster_only_keys(read)
        # EMR Serverless encrypts its workers' traffic itself: the certificates are for clusters.
        elif stage == "prod" and not tls_uri:
            raise ConfigError(
                "tls_certificates_s3_uri",
                None,
                "stage=prod requires in-transit encryption",
                "upload a PEM certificate zip (see docs/security.md) and pass "
                "-c tls_certificates_s3_uri=s3://<bucket>/<key>.zip",
            )
        release = _release(read.text("release_label"))
        if runtime == "emr-serverless" and not release.serverless:
            raise ConfigError(
                "release_label",
                release.label,
                "has no EMR Serverless release",
                f"use one of {serverless_labels()} with runtime=emr-serverless, or runtime=emr-ec2",
            )
        max_vcpu, max_memory_gb = _serverless_capacity(read)
        interactive = read.boolean("interactive_cluster")
        if interactive and runtime == "emr-serverless":
            raise ConfigError(
                "interactive_cluster",
                True,
                "the interactive cluster is EMR on EC2",
                "use runtime=emr-ec2 for it, or leave interactive_cluster=false",
            )
        steps = _steps(read.items("steps"))
        if steps and not interactive:
            raise ConfigError(
                "steps",
                ",".join(f"{d}@{dt}" for d, dt in steps),
                "steps run on the interactive cluster, which is off",
                "add -c interactive_cluster=true, or run them with `wikilake run`",
            )
        return cls(
            stage=stage,
            stack_prefix=read.matching(
                "stack_prefix", _STACK_PREFIX, "letters, digits and single hyphens, starting with a letter, at most 20"
            ),
            cost_center=read.matching("cost_center", _COST_CENTER, "a tag value: letters, digits, spaces, _.:/=+-@"),
            bucket_name=_bucket_name(read.text("bucket_name")),
            kms=read.boolean("kms"),
            ssh_cidrs=_ssh_cidrs(read.items("ssh_cidrs")),
            key_pair_name=read.optional("key_pair_name", _KEY_PAIR_NAME, "the name of an existing EC2 key pair"),
            vpc_id=vpc_id,
            subnet_id=subnet_id,
            release=release,
            primary_instance_type=read.matching("primary_instance_type", _INSTANCE_TYPE, "an EC2 type like m5.xlarge"),
            core_instance_type=core_type,
            core_instance_count=core_count,
            task_instance_count=task_count,
            task_spot=read.boolean("task_spot"),
            idle_timeout_minutes=read.integer("idle_timeout_minutes", *IDLE_MINUTES_RANGE),
            managed_scaling_max=_scaling_max(read.integer("managed_scaling_max", minimum=0), core_count + task_count),
            tls_certificates_s3_uri=tls_uri,
            athena_bytes_scanned_cutoff_gb=read.number("athena_bytes_scanned_cutoff_gb", minimum=MIN_CUTOFF_GB),
            projection_start_date=_past_date("projection_start_date", read.text("projection_start_date")),
            steps=steps,
            budget_monthly_usd=budget_usd,
            budget_email=budget_email,
            runtime=runtime,
            serverless_max_vcpu=max_vcpu,
            serverless_max_memory_gb=max_memory_gb,
            interactive_cluster=interactive,
            schedule=_schedule(read.text("schedule")),
            alert_email=read.optional("alert_email", _EMAIL, "an address like team@example.com"),
            contact=read.optional("contact", CONTACT, CONTACT_EXAMPLE),
            ingest_reserved_concurrency=_ingest_reservation(read),
            run_core_nodes_max=_run_core_nodes_max(read.integer("run_core_nodes_max", minimum=1), core_count),
            run_target_minutes=read.integer("run_target_minutes", *RUN_TARGET_MINUTES_RANGE),
            delivery=_delivery(read),
        )

    @property
    def is_serverless(self) -> bool:
        return self.runtime == "emr-serverless"

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
        return self.stage == "prod"

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


@dataclass(frozen=True)
class DeliverySource:
    """Where the delivery pipeline takes the app from: a GitHub repository through a CodeStar
    (CodeConnections) connection."""

    repo: str  # OWNER/NAME
    connection_arn: str
    branch: str


class _Reader:
    """Typed access to context values, each failure a ConfigError naming the key."""

    def __init__(self, context: Mapping[str, Any]):
        self._context = context

    def raw(self, key: str) -> Any:
        if key not in self._context:
            raise ConfigError(key, None, "not set", f"restore the {key} default in cdk.json (git checkout cdk.json)")
        return self._context[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        return "" if value is None else str(value).strip()

    def matching(self, key: str, pattern: re.Pattern, what: str) -> str:
        value = self.text(key)
        if not pattern.match(value):
            raise ConfigError(key, value, "invalid", f"use {what}")
        return value

    def optional(self, key: str, pattern: re.Pattern, what: str) -> str | None:
        return self.matching(key, pattern, what) if self.text(key) else None

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in choices:
            raise ConfigError(key, value, "unknown value", f"use one of {', '.join(choices)}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigError(key, value, "not a boolean", f"use true or false, e.g. -c {key}=true")

    def integer(self, key: str, minimum: int, maximum: int | None = None) -> int:
        value = self.raw(key)
        text = str(value).strip()
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        if isinstance(value, bool) or not re.fullmatch(r"[+-]?\d+", text):
            raise ConfigError(key, value, "not a whole number", f"use a whole number {bounds}")
        number = int(text)
        if number < minimum or (maximum is not None and number > maximum):
            raise ConfigError(key, value, "out of range", f"use a whole number {bounds}")
        return number

    def number(self, key: str, minimum: float) -> float:
        value = self.raw(key)
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(str(value).strip())
        except ValueError:
            raise ConfigError(key, value, "not a number", f"use a number >= {minimum:g}, e.g. -c {key}=25") from None
        if not minimum <= number < math.inf:  # also false for nan
            raise ConfigError(key, value, "out of range", f"use a number >= {minimum:g}")
        return number

    def optional_number(self, key: str, minimum: float) -> float | None:
        return self.number(key, minimum) if self.text(key) else None

    def items(self, key: str) -> tuple[str, ...]:
        """A list from cdk.json or a comma-separated string from `-c`; blanks dropped."""
        value = self.raw(key)
        parts = value if isinstance(value, list) else str(value or "").split(",")
        return tuple(p for p in (str(part).strip() for part in parts) if p)


def _refuse_unknown_keys(context: Mapping[str, Any]) -> None:
    """A typo such as `-c ssh_cidr=...` would otherwise be ignored silently.

    Only plain snake_case keys are ours: CDK's own keys contain ':' or '/'.
    """
    for key in context:
        if re.fullmatch(r"[a-z][a-z0-9_]*", key) and key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            fix = f"did you mean {close[0]}?" if close else "see docs/configuration.md for the keys"
            raise ConfigError(key, None, "unknown context key", fix)


def _bucket_name(name: str) -> str | None:
    if not name:
        return None
    starts, ends = _RESERVED_BUCKET_AFFIXES
    if "." in name:
        raise ConfigError(
            "bucket_name",
            name,
            "dots break TLS for virtual-hosted-style requests",
            "use lower-case letters, digits and hyphens",
        )
    if not _BUCKET_NAME.match(name) or name.startswith(starts) or name.endswith(ends):
        raise ConfigError(
            "bucket_name",
            name,
            "not a valid S3 bucket name",
            "use 3-63 lower-case letters, digits and hyphens, starting and ending with a "
            "letter or digit (or leave it empty for a generated name)",
        )
    return name


def _ssh_cidrs(items: tuple[str, ...]) -> tuple[str, ...]:
    cidrs = []
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError as err:
            fix = (
                f"use the network address {ipaddress.ip_network(item, strict=False)}"
                if "host bits set" in str(err)
                else "use CIDRs like 203.0.113.7/32, comma-separated"
            )
            raise ConfigError("ssh_cidrs", item, "not a valid CIDR", fix) from None
        if network.prefixlen < MIN_SSH_PREFIX[network.version]:
            raise ConfigError(
                "ssh_cidrs",
                item,
                "SSH open to the internet (or close to it) is refused",
                f"allow only your own networks (IPv{network.version} prefix >= "
                f"/{MIN_SSH_PREFIX[network.version]}), e.g. -c ssh_cidrs=203.0.113.7/32",
            )
        if str(network) not in cidrs:
            cidrs.append(str(network))
    return tuple(cidrs)


def _release(label: str) -> EmrRelease:
    if label not in RELEASES:
        raise ConfigError(
            "release_label",
            label,
            "not a supported EMR release",
            f"use one of {supported_labels()} (stacks/release_labels.py)",
        )
    return RELEASES[label]


# Keys that configure the EMR-on-EC2 cluster only: set with runtime=emr-serverless they would be
# silently ignored, so they are refused (with their cdk.json defaults, empty, they are fine).
CLUSTER_ONLY_KEYS = ("ssh_cidrs", "key_pair_name", "tls_certificates_s3_uri", "steps")


def _refuse_cluster_only_keys(read: _Reader) -> None:
    for key in CLUSTER_ONLY_KEYS:
        if read.items(key):
            raise ConfigError(
                key,
                read.text(key),
                "configures EMR clusters and has no effect with runtime=emr-serverless",
                f"leave {key} empty, or use runtime=emr-ec2",
            )


def _serverless_capacity(read: _Reader) -> tuple[int, int]:
    """The EMR Serverless application's maximum capacity (the cost guard). Read whatever the
    runtime, so a typo fails on either; it must hold every dataset's driver and one executor,
    or that job could never start."""
    max_vcpu = read.integer("serverless_max_vcpu", minimum=1)
    max_memory_gb = read.integer("serverless_max_memory_gb", minimum=1)
    for dataset in datasets.REGISTRY.values():
        size = dataset.size
        if max_vcpu < size.smallest_vcpu:
            raise ConfigError(
                "serverless_max_vcpu",
                max_vcpu,
                f"below the {size.smallest_vcpu} vCPUs of the {dataset.name} job's driver and one executor",
                f"use at least {size.smallest_vcpu} (its peak is {size.peak_vcpu})",
            )
        if max_memory_gb < size.smallest_memory_gb:
            need = math.ceil(size.smallest_memory_gb)
            raise ConfigError(
                "serverless_max_memory_gb",
                max_memory_gb,
                f"below the {need} GB of the {dataset.name} job's driver and one executor",
                f"use at least {need} (its peak is {math.ceil(size.peak_memory_gb)})",
            )
    return max_vcpu, max_memory_gb


def _ingest_reservation(read: _Reader) -> int | None:
    """Empty: no reservation (the default, which a new account can deploy). Lambda needs the
    account's unreserved concurrency to stay >= 100 after any reservation, so only 1..3 make
    sense: the dumps site's limit is 3 downloads, and the lease table enforces it anyway."""
    if not read.text("ingest_reserved_concurrency"):
        return None
    return read.integer("ingest_reserved_concurrency", minimum=1, maximum=MAX_INGEST_RESERVATION)


def _require_vcpus(instance_type: str) -> None:
    """The pipeline sizes its runs in vCPUs of the core instance type, read from its size name."""
    try:
        run_sizing.instance_vcpus(instance_type)
    except WikilakeError:
        raise ConfigError(
            "core_instance_type",
            instance_type,
            "the pipeline cannot tell its vCPUs from the size name",
            "use a size like large, xlarge or 2xlarge (e.g. m5.xlarge)",
        ) from None


def _run_core_nodes_max(maximum: int, core_count: int) -> int:
    if maximum < core_count:
        raise ConfigError(
            "run_core_nodes_max",
            maximum,
            f"below core_instance_count ({core_count}), the fewest core nodes a run gets",
            f"use at least {core_count}",
        )
    return maximum


def _scaling_max(maximum: int, fixed_nodes: int) -> int:
    if 0 < maximum < fixed_nodes:
        raise ConfigError(
            "managed_scaling_max",
            maximum,
            f"below the {fixed_nodes} core + task nodes the cluster starts with",
            f"use 0 (off) or at least {fixed_nodes}",
        )
    return maximum


def _past_date(key: str, text: str) -> str:
    try:
        day = parse_date(text)
    except WikilakeError:
        raise ConfigError(key, text, "not a date", "use YYYY-MM-DD, e.g. 2015-05-01") from None
    if date.fromisoformat(day) > date.today():
        raise ConfigError(
            key, text, "in the future: Athena would project no partitions", "use the first date you have data for"
        )
    return day


def _steps(items: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    steps = []
    for item in items:
        try:
            steps.append(parse_step_spec(item))
        except WikilakeError as err:
            raise ConfigError(
                "steps", item, str(err), "write dataset@YYYY-MM-DD, comma-separated, e.g. edits@2015-09-12"
            ) from None
    if len(set(steps)) != len(steps):
        raise ConfigError("steps", ",".join(items), "the same step twice", "list each dataset@date once")
    return tuple(steps)


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses (cron day lists like MON,WED stay whole)."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _schedule(text: str) -> tuple[tuple[str, str], ...]:
    """``pageviews, edits@cron(0 6 * * ? *)`` -> ((pageviews, DEFAULT_SCHEDULE), (edits, cron(...)))."""
    from wikilake_core import datasets

    fix = (
        f"write dataset or dataset@<cron(...)|rate(...)>, comma-separated, e.g. "
        f"pageviews or pageviews@cron(30 4 * * ? *) (datasets: {', '.join(datasets.DATASETS)})"
    )
    entries = []
    for item in _split_top_level(text):
        name, sep, expression = item.partition("@")
        name, expression = name.strip(), " ".join(expression.split())
        if name not in datasets.REGISTRY:
            raise ConfigError("schedule", item, f"unknown dataset {name!r}", fix)
        if sep and not (_CRON.match(expression) or _RATE.match(expression)):
            raise ConfigError("schedule", item, "not an EventBridge Scheduler cron() or rate() expression", fix)
        entries.append((name, expression if sep else DEFAULT_SCHEDULE))
    if len({name for name, _ in entries}) != len(entries):
        raise ConfigError("schedule", text, "the same dataset twice", "schedule each dataset once")
    return tuple(entries)


# --- Delivery (docs/delivery.md) ------------------------------------------------------------------
# GitHub: owner 1-39 letters, digits, hyphens; repository 1-100 letters, digits, '.', '_', '-'.
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# Connections were renamed CodeConnections in 2024; ARNs of either service name are accepted.
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
)
# A git branch name without the forms git refuses (.., leading '-' or '/', trailing '/' or '.lock').
_BRANCH = re.compile(r"^(?![-/])(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<![/.])(?<!\.lock)$")


def _delivery(read: _Reader) -> DeliverySource | None:
    repo = read.text("delivery_repo")
    connection = read.text("delivery_connection_arn")
    if not repo and not connection:
        return None
    if not (repo and connection):
        missing = "delivery_connection_arn" if repo else "delivery_repo"
        raise ConfigError(
            missing,
            None,
            "delivery_repo and delivery_connection_arn go together",
            "set both to deploy the delivery pipeline (docs/delivery.md), or neither",
        )
    if not _GITHUB_REPO.match(repo) or repo.endswith((".git", "/.", "/..")):
        raise ConfigError(
            "delivery_repo", repo, "invalid", "use the GitHub repository as OWNER/NAME, e.g. my-org/wikilake"
        )
    if not _CONNECTION_ARN.match(connection):
        raise ConfigError(
            "delivery_connection_arn",
            connection,
            "invalid",
            "use the ARN of an AVAILABLE connection, "
            "arn:aws:codeconnections:<region>:<account>:connection/<uuid> (docs/delivery.md)",
        )
    branch = read.matching("delivery_branch", _BRANCH, "a branch name like main")
    # The integration run downloads from Wikimedia's dump site, which wants to know who asks.
    if not read.text("contact"):
        raise ConfigError(
            "contact",
            None,
            "the delivery pipeline's integration run downloads from dumps.wikimedia.org, which wants a contact",
            "set -c contact=<URL or e-mail> (docs/ingest.md)",
        )
    return DeliverySource(repo=repo, connection_arn=connection, branch=branch)


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
