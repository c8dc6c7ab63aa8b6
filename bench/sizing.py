"""Cluster sizing for real pageview volumes, worked out from the throughput the benchmark measured.

Every assumption is a named constant below and is printed with the estimate; docs/performance.md
quotes the estimate of the committed results file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# --- a real day of pageviews (dataset spec: 24 files, roughly 1-1.5 GB gzip, tens of millions of
# lines an hour at peak). Real lines compress to ~7 bytes (sorted titles share prefixes), so
# 1.25 GB is ~180M lines: ~7.5M an hour on average, 12M+ at peak.
REAL_DAY_LINES = 180_000_000
REAL_DAY_LINES_RANGE = (145_000_000, 215_000_000)  # 1.0 and 1.5 GB at ~7 bytes a line
HOURLY_FILES = 24  # gzip is not splittable: the scan of a day runs as at most 24 tasks
DAYS_PER_MONTH = 30

# --- the default EMR cluster of this project (cdk.json): m5.xlarge primary + m5.xlarge core nodes.
INSTANCE_TYPE = "m5.xlarge"
VCPUS_PER_NODE = 4
# us-east-1 on-demand list prices per instance-hour, as assumed here (check the AWS pricing pages
# before budgeting): EC2 m5.xlarge Linux $0.192, Amazon EMR fee for m5.xlarge $0.048.
EC2_USD_PER_HOUR = 0.192
EMR_USD_PER_HOUR = 0.048
# Share of the job's work in the scan stage (decompress + parse + cache), which runs as one task
# per hourly file: 88 of 176 task-seconds in the Spark event log of the pageviews job on
# pageviews-day 1x (local[2], 2026-11-26).
SCAN_SHARE = 0.5
# Assumed share of a node's vCPUs doing task work (YARN, the node manager, S3 I/O and the
# shuffle take the rest) and fixed times per run.
TASK_EFFICIENCY = 0.75
SPARK_STARTUP_S = 60  # step submission, YARN application and executors coming up
CLUSTER_STARTUP_S = 600  # provisioning and bootstrapping (billed), once per cluster
CORE_NODE_OPTIONS = (1, 2, 4, 6)


@dataclass(frozen=True)
class SizingOption:
    core_nodes: int
    vcpus: int
    day_wall_s: float
    day_cost_usd: float  # one day on a cluster started for it (startup billed)
    month_wall_s: float  # 30 days one after another on one cluster
    month_cost_usd: float


def node_usd_per_hour() -> float:
    return EC2_USD_PER_HOUR + EMR_USD_PER_HOUR


def day_wall_seconds(vcpu_seconds: float, core_nodes: int) -> float:
    """The scan stage cannot use more tasks than hourly files; later stages can use every vCPU."""
    usable = core_nodes * VCPUS_PER_NODE * TASK_EFFICIENCY
    scan, rest = vcpu_seconds * SCAN_SHARE, vcpu_seconds * (1 - SCAN_SHARE)
    return SPARK_STARTUP_S + scan / min(usable, HOURLY_FILES) + rest / usable


def estimate(rows_per_vcpu_s: float, day_lines: int = REAL_DAY_LINES) -> dict:
    """Wall time and on-demand cost for a real day and month at the measured per-vCPU rate."""
    vcpu_seconds = day_lines / rows_per_vcpu_s
    options = []
    for core_nodes in CORE_NODE_OPTIONS:
        nodes = core_nodes + 1  # + the primary node
        day = day_wall_seconds(vcpu_seconds, core_nodes)
        month = DAYS_PER_MONTH * day
        usd_per_s = nodes * node_usd_per_hour() / 3600
        options.append(
            SizingOption(
                core_nodes=core_nodes,
                vcpus=core_nodes * VCPUS_PER_NODE,
                day_wall_s=day,
                day_cost_usd=usd_per_s * (CLUSTER_STARTUP_S + day),
                month_wall_s=month,
                month_cost_usd=usd_per_s * (CLUSTER_STARTUP_S + month),
            )
        )
    return {
        "rows_per_vcpu_s": rows_per_vcpu_s,
        "day_lines": day_lines,
        "day_lines_range": REAL_DAY_LINES_RANGE,
        "day_vcpu_hours": vcpu_seconds / 3600,
        "instance_type": INSTANCE_TYPE,
        "usd_per_node_hour": {"ec2": EC2_USD_PER_HOUR, "emr": EMR_USD_PER_HOUR},
        "assumptions": {
            "task_efficiency": TASK_EFFICIENCY,
            "spark_startup_s": SPARK_STARTUP_S,
            "cluster_startup_s": CLUSTER_STARTUP_S,
            "hourly_files": HOURLY_FILES,
            "days_per_month": DAYS_PER_MONTH,
            "vcpus_per_node": VCPUS_PER_NODE,
            "scan_share": SCAN_SHARE,
        },
        "options": [asdict(option) for option in options],
    }


def rows_per_vcpu_second(records: int, in_job_s: float, cores: int) -> float:
    """Throughput of one vCPU inside the job (JVM start-up excluded: a cluster pays it once)."""
    if in_job_s <= 0 or cores <= 0:
        raise ValueError("need a positive in-job time and core count")
    return records / in_job_s / cores
