"""How each context key's value is read and checked on its own: the parsers of the settings table.

A parser takes the reader, the key and the key's help text (what a good value looks like, the fix
of an `invalid` error) and returns the typed value or raises a one-line ConfigError. Checks that
need two keys are in wikilake_settings/rules.py.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from wikilake_core import datasets, run_sizing
from wikilake_core.dates import parse_date
from wikilake_core.errors import WikilakeError
from wikilake_core.release_labels import RELEASES, EmrRelease, supported_labels
from wikilake_core.submit import parse_step_spec
from wikilake_settings.context_reader import ConfigError, ContextReader

Parse = Callable[[ContextReader, str, str], Any]

INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# The broadest SSH sources accepted: wider networks are "the internet" for practical purposes.
MIN_SSH_PREFIX = {4: 8, 6: 32}
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_RESERVED_BUCKET_AFFIXES = (("xn--", "sthree-", "amzn-s3-demo-"), ("-s3alias", "--ol-s3", "--x-s3", "--table-s3"))
# EventBridge Scheduler: cron(min hour day-of-month month day-of-week year) or rate(N unit).
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_RATE = re.compile(r"^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$")
# A bare dataset runs daily at this UTC time, for the previous UTC day (docs/running-daily.md).
DEFAULT_SCHEDULE = "cron(30 4 * * ? *)"


# --- parsers of one kind of value, set up by a row of the table ----------------------------------
# Objects rather than closures: their work happens when a context is read (so mutation testing,
# which mutates what runs under the tests, reaches it), the row only gives their bounds.


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]

    def __call__(self, read: ContextReader, key: str, _help: str) -> str:
        return read.choice(key, self.choices)


@dataclass(frozen=True)
class Matching:
    """A value that matches ``pattern`` (the help text says what looks like); ``optional``: empty is None."""

    pattern: re.Pattern
    optional: bool = False

    def __call__(self, read: ContextReader, key: str, help: str) -> str | None:
        if self.optional:
            return read.optional(key, self.pattern, help)
        return read.matching(key, self.pattern, help)


@dataclass(frozen=True)
class Whole:
    """A whole number from ``minimum`` (to ``maximum``); ``optional``: empty is None."""

    minimum: int
    maximum: int | None = None
    optional: bool = False

    def __call__(self, read: ContextReader, key: str, _help: str) -> int | None:
        if self.optional and not read.text(key):
            return None
        return read.integer(key, self.minimum, self.maximum)


@dataclass(frozen=True)
class Number:
    """A finite number from ``minimum``; ``optional``: empty is None."""

    minimum: float
    optional: bool = False

    def __call__(self, read: ContextReader, key: str, _help: str) -> float | None:
        if self.optional:
            return read.optional_number(key, self.minimum)
        return read.number(key, self.minimum)


def boolean(read: ContextReader, key: str, _help: str) -> bool:
    return read.boolean(key)


# --- parsers of one key's own value --------------------------------------------------------------


def sized_instance_type(read: ContextReader, key: str, help: str) -> str:
    """An EC2 instance type whose vCPUs its size name tells: the pipeline sizes its runs in them."""
    instance_type = read.matching(key, INSTANCE_TYPE, help)
    try:
        run_sizing.instance_vcpus(instance_type)
    except WikilakeError:
        raise ConfigError(
            key,
            instance_type,
            "the pipeline cannot tell its vCPUs from the size name",
            "use a size like large, xlarge or 2xlarge (e.g. m5.xlarge)",
        ) from None
    return instance_type


def bucket_name(read: ContextReader, key: str, _help: str) -> str | None:
    name = read.text(key)
    if not name:
        return None
    starts, ends = _RESERVED_BUCKET_AFFIXES
    if "." in name:
        raise ConfigError(
            key, name, "dots break TLS for virtual-hosted-style requests", "use lower-case letters, digits and hyphens"
        )
    if not _BUCKET_NAME.match(name) or name.startswith(starts) or name.endswith(ends):
        raise ConfigError(
            key,
            name,
            "not a valid S3 bucket name",
            "use 3-63 lower-case letters, digits and hyphens, starting and ending with a "
            "letter or digit (or leave it empty for a generated name)",
        )
    return name


def ssh_cidrs(read: ContextReader, key: str, _help: str) -> tuple[str, ...]:
    """Normalized and deduplicated; a host address or an internet-wide network is refused."""
    cidrs: list[str] = []
    for item in read.items(key):
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError as err:
            fix = (
                f"use the network address {ipaddress.ip_network(item, strict=False)}"
                if "host bits set" in str(err)
                else "use CIDRs like 203.0.113.7/32, comma-separated"
            )
            raise ConfigError(key, item, "not a valid CIDR", fix) from None
        if network.prefixlen < MIN_SSH_PREFIX[network.version]:
            raise ConfigError(
                key,
                item,
                "SSH open to the internet (or close to it) is refused",
                f"allow only your own networks (IPv{network.version} prefix >= "
                f"/{MIN_SSH_PREFIX[network.version]}), e.g. -c ssh_cidrs=203.0.113.7/32",
            )
        if str(network) not in cidrs:
            cidrs.append(str(network))
    return tuple(cidrs)


def release(read: ContextReader, key: str, _help: str) -> EmrRelease:
    label = read.text(key)
    if label not in RELEASES:
        raise ConfigError(
            key,
            label,
            "not a supported EMR release",
            f"use one of {supported_labels()} (wikilake_core/release_labels.py)",
        )
    return RELEASES[label]


def past_date(read: ContextReader, key: str, _help: str) -> str:
    text = read.text(key)
    try:
        day = parse_date(text)
    except WikilakeError:
        raise ConfigError(key, text, "not a date", "use YYYY-MM-DD, e.g. 2015-05-01") from None
    if date.fromisoformat(day) > date.today():
        raise ConfigError(
            key, text, "in the future: Athena would project no partitions", "use the first date you have data for"
        )
    return day


def steps(read: ContextReader, key: str, _help: str) -> tuple[tuple[str, str], ...]:
    items = read.items(key)
    parsed = []
    for item in items:
        try:
            parsed.append(parse_step_spec(item))
        except WikilakeError as err:
            raise ConfigError(
                key, item, str(err), "write dataset@YYYY-MM-DD, comma-separated, e.g. edits@2015-09-12"
            ) from None
    if len(set(parsed)) != len(parsed):
        raise ConfigError(key, ",".join(items), "the same step twice", "list each dataset@date once")
    return tuple(parsed)


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses (cron day lists like MON,WED stay whole)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def schedule(read: ContextReader, key: str, _help: str) -> tuple[tuple[str, str], ...]:
    """``pageviews, edits@cron(0 6 * * ? *)`` -> ((pageviews, DEFAULT_SCHEDULE), (edits, cron(...)))."""
    text = read.text(key)
    fix = (
        f"write dataset or dataset@<cron(...)|rate(...)>, comma-separated, e.g. "
        f"pageviews or pageviews@cron(30 4 * * ? *) (datasets: {', '.join(datasets.DATASETS)})"
    )
    entries = []
    for item in _split_top_level(text):
        name, sep, expression = item.partition("@")
        name, expression = name.strip(), " ".join(expression.split())
        if name not in datasets.REGISTRY:
            raise ConfigError(key, item, f"unknown dataset {name!r}", fix)
        if sep and not (_CRON.match(expression) or _RATE.match(expression)):
            raise ConfigError(key, item, "not an EventBridge Scheduler cron() or rate() expression", fix)
        entries.append((name, expression if sep else DEFAULT_SCHEDULE))
    if len({name for name, _ in entries}) != len(entries):
        raise ConfigError(key, text, "the same dataset twice", "schedule each dataset once")
    return tuple(entries)


# The EMR Serverless application's maximum capacity (the cost guard) must hold every dataset's
# driver and one executor, or that job could never start. Read whatever the runtime, so a typo
# fails on either.


def vcpus_for_every_job(read: ContextReader, key: str, _help: str) -> int:
    max_vcpu = read.integer(key, minimum=1)
    for dataset in datasets.REGISTRY.values():
        size = dataset.size
        if max_vcpu < size.smallest_vcpu:
            raise ConfigError(
                key,
                max_vcpu,
                f"below the {size.smallest_vcpu} vCPUs of the {dataset.name} job's driver and one executor",
                f"use at least {size.smallest_vcpu} (its peak is {size.peak_vcpu})",
            )
    return max_vcpu


def memory_for_every_job(read: ContextReader, key: str, _help: str) -> int:
    max_memory_gb = read.integer(key, minimum=1)
    for dataset in datasets.REGISTRY.values():
        size = dataset.size
        if max_memory_gb < size.smallest_memory_gb:
            need = math.ceil(size.smallest_memory_gb)
            raise ConfigError(
                key,
                max_memory_gb,
                f"below the {need} GB of the {dataset.name} job's driver and one executor",
                f"use at least {need} (its peak is {math.ceil(size.peak_memory_gb)})",
            )
    return max_memory_gb
