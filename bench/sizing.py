"""What a real day of each dataset costs on AWS, worked out from the throughput the benchmark measured.

Two estimates per dataset: EMR on EC2 (the default cluster's instance types from cdk.json, 1-6
core nodes, started for the day) and EMR Serverless (the dataset's JobSize from the registry at
its peak). Each assumption is a named constant below or is read from the one place it lives: the
share of a vCPU doing task work, the Spark start and the cluster's (billed) provisioning from
wikilake_core/run_sizing.py (the pipeline sizes its runs with the same ones), the prices from
wikilake_core/prices.py, the sizes and the hours of a day from wikilake_core/datasets.py. The
estimate prints them all; docs/performance.md quotes the estimate of the committed results files.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from wikilake_core import cluster, datasets, prices, run_sizing
from wikilake_core.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from bench.report import SummaryRow

# --- the default EMR cluster of this project: cdk.json's instance types, on demand.
_CONTEXT = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
PRIMARY_TYPE = _CONTEXT["primary_instance_type"]
CORE_TYPE = _CONTEXT["core_instance_type"]
CORE_NODE_OPTIONS = (1, 2, 4, 6)
# EMR Serverless bills each worker from its start to the job's end; workers take ~30 s to start
# (docs/runtimes.md, "Cost of one day").
SERVERLESS_WORKER_START_S = 30


@dataclass(frozen=True)
class RealDay:
    """A real day's input of a dataset (articles: one dump), counted in what the bench's rate of
    that dataset counts: input records (``lines``, ``events``) or compressed input ``bytes``."""

    label: str  # what the estimate calls it
    unit: str
    amount: int
    amount_range: tuple[int, int] | None  # the plausible low and high; None: not known
    # The most tasks the scan can run at once (one per gzip file: gzip is not splittable) and the
    # share of the job's work in that scan; None: the input splits (bzip2), nothing caps it.
    scan_tasks: int | None
    scan_share: float
    runs_per_month: int
    source: str

    @property
    def counts_bytes(self) -> bool:
        return self.unit == "bytes"


REAL_DAYS: dict[str, RealDay] = {
    "pageviews": RealDay(
        label="a real day",
        unit="lines",
        amount=180_000_000,
        amount_range=(145_000_000, 215_000_000),  # 1.0 and 1.5 GB at ~7 bytes a line
        scan_tasks=len(datasets.get("pageviews").hours),
        # 88 of 176 task-seconds in the Spark event log of the pageviews job on pageviews-day 1x
        # (local[2], 2026-11-26).
        scan_share=0.5,
        runs_per_month=30,
        source="dataset spec: 24 files, roughly 1-1.5 GB gzip; real lines compress to ~7 bytes (sorted "
        "titles share prefixes), so 1.25 GB is ~180M lines",
    ),
    "edits": RealDay(
        label="a day like the bench's",
        unit="events",
        amount=3_924_400,
        amount_range=None,
        scan_tasks=10,
        scan_share=0.5,  # assumed as measured for pageviews: not measured for edits
        runs_per_month=30,
        source="the bench's edits-100x day (10 gzip files); no real day of the wikiticker feed was measured",
    ),
    "articles": RealDay(
        label="one whole enwiki dump",
        unit="bytes",
        amount=22_000_000_000,
        amount_range=None,
        scan_tasks=None,  # bzip2 splits: ~350 splits of 64 MB in a whole dump
        scan_share=0.0,
        runs_per_month=1,  # an example: how often a dump is processed is the deployment's choice
        source="enwiki pages-articles, one whole dump of ~22 GB of bzip2 (docs/performance.md, assumed)",
    ),
}


@dataclass(frozen=True)
class SizingOption:
    core_nodes: int
    vcpus: int
    day_wall_s: float
    day_cost_usd: float  # one day on a cluster started for it (startup billed)
    month_wall_s: float  # the month's runs one after another on one cluster
    month_cost_usd: float


def node_usd_per_hour(instance_type: str) -> float:
    """EC2 + EMR for one on-demand instance-hour (wikilake_core.prices)."""
    price = prices.hourly_usd(instance_type, cluster.ON_DEMAND)
    if price is None:
        raise ValueError(f"{instance_type} is not in wikilake_core.prices.PRICES")
    return price


def day_wall_seconds(vcpu_seconds: float, working_vcpus: float, day: RealDay) -> float:
    """The scan stage cannot use more tasks than it has (one per gzip file); the rest of the
    work, and a splittable input's scan, can use every working vCPU."""
    scan_vcpus = working_vcpus if day.scan_tasks is None else min(working_vcpus, day.scan_tasks)
    scan, rest = vcpu_seconds * day.scan_share, vcpu_seconds * (1 - day.scan_share)
    return run_sizing.SPARK_START_SECONDS + scan / scan_vcpus + rest / working_vcpus


def cluster_options(vcpu_seconds: float, day: RealDay) -> list[SizingOption]:
    """Wall time and on-demand cost on the default cluster with 1-6 core nodes."""
    per_node = run_sizing.instance_vcpus(CORE_TYPE)
    options = []
    for core_nodes in CORE_NODE_OPTIONS:
        wall = day_wall_seconds(vcpu_seconds, core_nodes * per_node * run_sizing.TASK_EFFICIENCY, day)
        month = day.runs_per_month * wall
        usd_per_s = (node_usd_per_hour(PRIMARY_TYPE) + core_nodes * node_usd_per_hour(CORE_TYPE)) / 3600
        options.append(
            SizingOption(
                core_nodes=core_nodes,
                vcpus=core_nodes * per_node,
                day_wall_s=wall,
                day_cost_usd=usd_per_s * (run_sizing.CLUSTER_PROVISION_SECONDS + wall),
                month_wall_s=month,
                month_cost_usd=usd_per_s * (run_sizing.CLUSTER_PROVISION_SECONDS + month),
            )
        )
    return options


def serverless_day(dataset: str, vcpu_seconds: float, day: RealDay) -> dict:
    """One job run on EMR Serverless at the dataset's JobSize: dynamic allocation asks for the
    executors the scan's tasks can use, at most ``max_executors``; every worker is billed from its
    start to the job's end (wikilake_core.prices.serverless_cost prices the bill)."""
    size = datasets.get(dataset).size
    wanted = size.max_executors if day.scan_tasks is None else math.ceil(day.scan_tasks / size.executor_vcpu)
    executors = min(size.max_executors, wanted)
    wall = day_wall_seconds(vcpu_seconds, executors * size.executor_vcpu * run_sizing.TASK_EFFICIENCY, day)
    billed_hours = (wall + SERVERLESS_WORKER_START_S) / 3600
    vcpu = size.driver_vcpu + executors * size.executor_vcpu
    memory_gb = size.worker_memory_gb(size.driver_memory_gb) + executors * size.worker_memory_gb(
        size.executor_memory_gb
    )
    bill = {"vCPUHour": vcpu * billed_hours, "memoryGBHour": memory_gb * billed_hours}
    return {
        "executors": executors,
        "vcpu": vcpu,
        "memory_gb": memory_gb,
        "day_wall_s": wall,
        **prices.serverless_cost(bill),
    }


def estimate(dataset: str, rate_per_vcpu_s: float, day: RealDay | None = None) -> dict:
    """A real day of ``dataset`` (default: REAL_DAYS) at the measured rate per vCPU-second."""
    day = day or REAL_DAYS[dataset]
    vcpu_seconds = day.amount / rate_per_vcpu_s
    return {
        "dataset": dataset,
        "unit": day.unit,
        "rate_per_vcpu_s": rate_per_vcpu_s,
        "day": asdict(day),
        "day_vcpu_hours": vcpu_seconds / 3600,
        "instance_type": CORE_TYPE,
        "usd_per_node_hour": {"ec2": prices.PRICES[CORE_TYPE].ec2_on_demand, "emr": prices.PRICES[CORE_TYPE].emr},
        "assumptions": {
            "task_efficiency": run_sizing.TASK_EFFICIENCY,
            "spark_startup_s": run_sizing.SPARK_START_SECONDS,
            "cluster_startup_s": run_sizing.CLUSTER_PROVISION_SECONDS,
            "serverless_worker_start_s": SERVERLESS_WORKER_START_S,
            "vcpus_per_node": run_sizing.instance_vcpus(CORE_TYPE),
            "prices_as_of": prices.PRICES_AS_OF,
        },
        "options": [asdict(option) for option in cluster_options(vcpu_seconds, day)],
        "serverless": serverless_day(dataset, vcpu_seconds, day),
    }


def per_vcpu_second(amount: float, in_job_s: float, cores: int) -> float:
    """Throughput of one vCPU inside the job (JVM start-up excluded: a cluster pays it once)."""
    if in_job_s <= 0 or cores <= 0:
        raise ValueError("need a positive in-job time and core count")
    return amount / in_job_s / cores


def measured_rate(dataset: str, records: int, input_bytes: int, in_job_s: float, cores: int) -> float:
    """The bench's rate of ``dataset`` in the unit its real day is counted in."""
    amount = input_bytes if REAL_DAYS[dataset].counts_bytes else records
    return per_vcpu_second(amount, in_job_s, cores)


def of_rows(rows: list[SummaryRow], cores: int) -> dict[str, dict]:
    """{dataset: its real day's estimate} for each dataset whose job ran at 1x, from the job's
    in-job throughput on the dataset's largest input at 1x (the size with the most repetitions)."""
    rates: dict[str, float] = {}
    for row in sorted(rows, key=lambda r: r.input_gz_bytes):  # a larger input's rate replaces a smaller's
        seconds = row.in_job_median_s
        if row.engine == "spark" and row.scale == 1 and seconds and row.job in REAL_DAYS:
            rates[row.job] = measured_rate(row.job, row.rows, row.input_gz_bytes, seconds, cores)
    return {dataset: estimate(dataset, rate) for dataset, rate in sorted(rates.items())}
