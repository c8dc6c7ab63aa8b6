"""What wikilake's compute costs: one dated price table (EC2 + EMR instances, EMR Serverless,
Athena), the only place a price is written, and the cost of a cluster's instance groups over some
hours, of a Serverless job run, of an Athena query. Used by the pipeline's record function (the
run record and the manifest's ``run.cost``), the CLI's Athena queries and the bench's sizing.

Prices: US East (N. Virginia), Linux, USD per instance-hour.
- EC2 on-demand: the Amazon EC2 On-Demand pricing page (aws.amazon.com/ec2/pricing/on-demand/).
- EMR: the Amazon EMR pricing page, "Amazon EMR on Amazon EC2" (aws.amazon.com/emr/pricing/);
  EMR's uplift is the same for on-demand and spot instances.
- EC2 spot: a typical recent us-east-1 spot price (EC2 console, spot price history). Spot prices
  move hourly: treat spot figures as an estimate, the on-demand ones as list prices.
Billing is per second (EC2 and EMR, one-minute minimum); S3 requests, storage, transfer and the
Lambda/Step Functions charges (cents per month, docs/running-daily.md) are not counted here.
Update PRICES_AS_OF with the table; `wikilake runs` shows the date next to every estimate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from wikilake_core.cluster import SPOT

PRICES_AS_OF = "2026-11-30"


@dataclass(frozen=True)
class InstancePrice:
    ec2_on_demand: float
    ec2_spot: float
    emr: float


PRICES: dict[str, InstancePrice] = {
    # cdk.json's default (primary and core) and the common alternatives.
    "m5.xlarge": InstancePrice(ec2_on_demand=0.192, ec2_spot=0.074, emr=0.048),
    "m5.2xlarge": InstancePrice(ec2_on_demand=0.384, ec2_spot=0.150, emr=0.096),
    "m5.4xlarge": InstancePrice(ec2_on_demand=0.768, ec2_spot=0.300, emr=0.192),
    "m6i.xlarge": InstancePrice(ec2_on_demand=0.192, ec2_spot=0.072, emr=0.048),
    "m6g.xlarge": InstancePrice(ec2_on_demand=0.154, ec2_spot=0.060, emr=0.039),
    "m7g.xlarge": InstancePrice(ec2_on_demand=0.1632, ec2_spot=0.064, emr=0.041),
    "r5.xlarge": InstancePrice(ec2_on_demand=0.252, ec2_spot=0.090, emr=0.063),
    "r5.2xlarge": InstancePrice(ec2_on_demand=0.504, ec2_spot=0.180, emr=0.126),
    "c5.xlarge": InstancePrice(ec2_on_demand=0.170, ec2_spot=0.065, emr=0.043),
    "c5.2xlarge": InstancePrice(ec2_on_demand=0.340, ec2_spot=0.130, emr=0.085),
}

# EMR's normalization factor per instance size (NormalizedInstanceHours: factor x hours).
NORMALIZATION_FACTORS = {
    "small": 1,
    "medium": 2,
    "large": 4,
    "xlarge": 8,
    "2xlarge": 16,
    "4xlarge": 32,
    "8xlarge": 64,
    "9xlarge": 72,
    "12xlarge": 96,
    "16xlarge": 128,
    "18xlarge": 144,
    "24xlarge": 192,
    "32xlarge": 256,
}
_SIZE = re.compile(r"^[a-z0-9-]+\.(?P<size>[a-z0-9]+)$")


@dataclass(frozen=True)
class ComputeUnit:
    """A run's compute figure: its key in the run record's ``cost``, its unit in tables and in
    sentences."""

    key: str
    short: str
    words: str


# EMR's normalized instance hours for a cluster, the billed vCPU hours for an EMR Serverless job run.
NIH = ComputeUnit("normalized_instance_hours", "NIH", "normalized instance hours")
VCPU_HOURS = ComputeUnit("vcpu_hours", "vCPU-h", "vCPU hours")


@dataclass(frozen=True)
class InstanceGroup:
    instance_type: str
    market: str  # cluster.ON_DEMAND | cluster.SPOT
    count: int


@dataclass(frozen=True)
class Cost:
    normalized_instance_hours: float
    usd: float | None  # None when an instance type is not in PRICES (see unpriced)
    unpriced: tuple[str, ...] = ()

    def as_record(self) -> dict:
        record: dict[str, object] = {
            NIH.key: self.normalized_instance_hours,
            "usd": self.usd,
            "prices_as_of": PRICES_AS_OF,
        }
        if self.unpriced:
            record["unpriced_instance_types"] = list(self.unpriced)
        return record


def normalization_factor(instance_type: str) -> int:
    match = _SIZE.match(instance_type)
    return NORMALIZATION_FACTORS.get(match["size"], 0) if match else 0


def hourly_usd(instance_type: str, market: str) -> float | None:
    """EC2 (on-demand or spot) + EMR for one instance-hour; None if the type is not priced."""
    price = PRICES.get(instance_type)
    if price is None:
        return None
    ec2 = price.ec2_spot if market == SPOT else price.ec2_on_demand
    return ec2 + price.emr


def cluster_cost(groups: Iterable[InstanceGroup], hours: float) -> Cost:
    """The cost of running ``groups`` for ``hours`` (per-second billing: fractions count)."""
    groups = list(groups)
    normalized = sum(g.count * normalization_factor(g.instance_type) * hours for g in groups)
    counted = [g for g in groups if g.count]
    priced = [(g.count, rate) for g in counted if (rate := hourly_usd(g.instance_type, g.market)) is not None]
    unpriced = tuple(sorted({g.instance_type for g in counted if g.instance_type not in PRICES}))
    usd = None if unpriced else round(sum(count * rate * hours for count, rate in priced), 4)
    return Cost(round(normalized, 2), usd, unpriced)


# --- EMR Serverless (runtime=emr-serverless) ---
# Amazon EMR pricing page, "Amazon EMR Serverless" (aws.amazon.com/emr/pricing/), us-east-1, as of
# PRICES_AS_OF: USD per vCPU-hour, per GB-hour of memory, per GB-hour of storage beyond the 20 GB
# each worker gets free. The application runs SERVERLESS_ARCHITECTURE workers
# (stacks/serverless_app.py takes it from here); ARM64 is listed for comparison (docs/runtimes.md).
SERVERLESS_ARCHITECTURE = "X86_64"


@dataclass(frozen=True)
class ServerlessPrice:
    vcpu_hour: float
    memory_gb_hour: float
    storage_gb_hour: float


SERVERLESS_PRICES: dict[str, ServerlessPrice] = {
    "X86_64": ServerlessPrice(vcpu_hour=0.052624, memory_gb_hour=0.0057785, storage_gb_hour=0.000111),
    "ARM64": ServerlessPrice(vcpu_hour=0.042094, memory_gb_hour=0.004628, storage_gb_hour=0.000111),
}


def serverless_cost(billed: dict, architecture: str = SERVERLESS_ARCHITECTURE) -> dict:
    """A job run's cost from its ``billedResourceUtilization`` (GetJobRun: vCPUHour, memoryGBHour,
    storageGBHour; EMR Serverless already applies the one-minute minimum and the free 20 GB).
    The run record's ``cost``: the billed amounts, the USD total and the price table's date."""
    price = SERVERLESS_PRICES[architecture]
    vcpu = float(billed.get("vCPUHour") or 0.0)
    memory = float(billed.get("memoryGBHour") or 0.0)
    storage = float(billed.get("storageGBHour") or 0.0)
    usd = vcpu * price.vcpu_hour + memory * price.memory_gb_hour + storage * price.storage_gb_hour
    return {
        VCPU_HOURS.key: vcpu,
        "memory_gb_hours": memory,
        "storage_gb_hours": storage,
        "usd": round(usd, 4),
        "prices_as_of": PRICES_AS_OF,
    }


# --- Athena (`wikilake query --engine athena`) ---
# Athena's list price (us-east-1 and most regions, aws.amazon.com/athena/pricing): $5 per TB
# scanned, billed per MB rounded up, 10 MB minimum per query; DDL and failed queries are free.
# TB and MB are binary here (2^40, 2^20).
ATHENA_USD_PER_TB = 5.0
ATHENA_PRICE_NOTE = f"${ATHENA_USD_PER_TB:g}/TB list"
_MB, _TB = 2**20, 2**40
ATHENA_MIN_BILLED_BYTES = 10 * _MB


def athena_query_usd(bytes_scanned: int) -> float:
    """What Athena bills for a query that scanned ``bytes_scanned`` bytes, at list price."""
    if bytes_scanned <= 0:
        return 0.0
    billed = max(math.ceil(bytes_scanned / _MB) * _MB, ATHENA_MIN_BILLED_BYTES)
    return billed / _TB * ATHENA_USD_PER_TB


def compute_hours(cost: Mapping) -> tuple[float, ComputeUnit] | None:
    """A run record's compute hours and their unit: ``(24, NIH)`` for a run on a cluster,
    ``(3.2, VCPU_HOURS)`` for a job run on EMR Serverless; None when ``cost`` has neither."""
    for unit in (NIH, VCPU_HOURS):
        if cost.get(unit.key) is not None:
            return cost[unit.key], unit
    return None
