"""How big a pipeline run's compute is, and how long its job may take: from the bytes it reads.

The job's work is the day's input bytes (as stored under raw/) over the dataset's measured
throughput per vCPU (wikilake_core/datasets.py, from the bench). EMR on EC2 gets enough core nodes
to do that work in the configured target time, within the configured bounds; EMR Serverless gets
enough executors, within the application's maximum capacity. The job's deadline comes from the
same estimate: cluster (or application) start, plus the estimate with room for slower vCPUs.
A run that could not finish inside the state machine's own timeout even at the upper bound is
refused before any compute starts.

The assumptions are the bench's (bench/results/2026-11-26.json, "sizing.assumptions", and
docs/performance.md, "Cluster sizing"). Stdlib only: the plan function imports it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass

from wikilake_core import datasets
from wikilake_core.errors import WikilakeError

# The state machine's own timeout (stacks/pipeline.py): a run, ingest to record, ends within it.
RUN_TIMEOUT_SECONDS = 4 * 3600
# Share of a node's vCPUs doing task work (YARN, the node manager, S3 and shuffle I/O take the rest).
TASK_EFFICIENCY = 0.75
SPARK_START_SECONDS = 60  # step submission, driver and executors starting
# A transient cluster provisions in ~10 minutes (billed); twice that before its step counts as hung.
CLUSTER_PROVISION_SECONDS = 10 * 60
CLUSTER_START_ALLOWANCE_SECONDS = 2 * CLUSTER_PROVISION_SECONDS
# EMR Serverless starts a stopped application and its workers in a few minutes.
SERVERLESS_START_ALLOWANCE_SECONDS = 10 * 60
# The deadline lets the job run this many times its estimate: the bench ran on 2 shared vCPUs
# (load 1.6-2.6), and a cluster's vCPUs may be slower; a job 3x late is taken for hung.
SLOWDOWN_ALLOWANCE = 3
_SIZE_VCPUS = {"medium": 1, "large": 2, "xlarge": 4}
_INSTANCE_SIZE = re.compile(r"^[a-z][a-z0-9-]*\.(?:(?P<times>\d+)(?=xlarge))?(?P<size>medium|large|xlarge)$")


class RunTooLarge(WikilakeError):
    """The day's input would not be processed inside the run's time even at the upper bound."""


def instance_vcpus(instance_type: str) -> int:
    """vCPUs of an EC2 instance type from its size name (xlarge = 4, 2xlarge = 8, large = 2), as in
    the general purpose, compute and memory families (m, c, r) the cluster uses."""
    match = _INSTANCE_SIZE.match(instance_type)
    if not match:
        raise WikilakeError(f"cannot tell the vCPUs of instance type {instance_type!r} from its size name")
    return _SIZE_VCPUS[match["size"]] * int(match["times"] or 1)


@dataclass(frozen=True)
class RunBounds:
    """What the deployment allows a run (context keys, rendered into the plan function's env)."""

    runtime: str  # emr-ec2 | emr-serverless
    core_instance_type: str
    core_nodes_min: int
    core_nodes_max: int
    target_seconds: int
    run_timeout_seconds: int  # the state machine's own timeout
    serverless_max_vcpu: int
    serverless_max_memory_gb: int
    # The cluster's task nodes and managed scaling (0: off), for the sized run's compute limits.
    task_nodes: int = 0
    managed_scaling_max: int = 0
    task_spot: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunBounds:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class RunSize:
    input_bytes: int
    core_nodes: int  # EMR on EC2 (the bounds' minimum on EMR Serverless)
    executors: int  # EMR Serverless (0 on EMR on EC2)
    estimated_seconds: int  # the job, once its compute is up
    timeout_seconds: int  # compute start + the job, after which the run fails and ends it

    @property
    def timeout_minutes(self) -> int:
        return math.ceil(self.timeout_seconds / 60)


def bytes_per_vcpu_second(dataset: str) -> float:
    """The dataset's measured rate; a dataset not measured yet is taken to be the slowest one."""
    measured = datasets.get(dataset).throughput
    if measured:
        return measured.bytes_per_vcpu_second
    return min(d.throughput.bytes_per_vcpu_second for d in datasets.REGISTRY.values() if d.throughput)


def size_run(dataset: str, input_bytes: int, bounds: RunBounds, *, seconds_left: float) -> RunSize:
    """The run's compute and deadline for ``input_bytes`` of ``dataset``; ``seconds_left`` is what
    remains of the run's own timeout. RunTooLarge if even the upper bound could not make it."""
    work = input_bytes / bytes_per_vcpu_second(dataset)
    if bounds.runtime == "emr-serverless":
        return _serverless(dataset, input_bytes, work, bounds, seconds_left)
    return _cluster(input_bytes, work, bounds, seconds_left)


def _cluster(input_bytes: int, work: float, bounds: RunBounds, seconds_left: float) -> RunSize:
    per_node = instance_vcpus(bounds.core_instance_type) * TASK_EFFICIENCY
    wanted = math.ceil(work / (bounds.target_seconds * per_node))
    nodes = min(max(wanted, bounds.core_nodes_min), bounds.core_nodes_max)
    estimate = SPARK_START_SECONDS + work / (nodes * per_node)
    timeout = _deadline(estimate, CLUSTER_START_ALLOWANCE_SECONDS, seconds_left, f"{nodes} core nodes", bounds)
    return RunSize(input_bytes, nodes, 0, math.ceil(estimate), timeout)


def _serverless(dataset: str, input_bytes: int, work: float, bounds: RunBounds, seconds_left: float) -> RunSize:
    size = datasets.get(dataset).size
    per_executor = size.executor_vcpu * TASK_EFFICIENCY
    wanted = math.ceil(work / (bounds.target_seconds * per_executor))
    executors = min(max(wanted, 1), serverless_executor_cap(dataset, bounds))
    estimate = SPARK_START_SECONDS + work / (executors * per_executor)
    timeout = _deadline(estimate, SERVERLESS_START_ALLOWANCE_SECONDS, seconds_left, f"{executors} executors", bounds)
    return RunSize(input_bytes, bounds.core_nodes_min, executors, math.ceil(estimate), timeout)


def serverless_executor_cap(dataset: str, bounds: RunBounds) -> int:
    """The executors the application's maximum capacity holds beside the driver (at least one:
    wikilake_settings/config.py refuses caps that cannot hold a driver and one executor)."""
    size = datasets.get(dataset).size
    by_vcpu = (bounds.serverless_max_vcpu - size.driver_vcpu) // size.executor_vcpu
    free_memory = bounds.serverless_max_memory_gb - size.worker_memory_gb(size.driver_memory_gb)
    by_memory = int(free_memory // size.worker_memory_gb(size.executor_memory_gb))
    return max(1, min(by_vcpu, by_memory))


def _deadline(estimate: float, start_allowance: int, seconds_left: float, compute: str, bounds: RunBounds) -> int:
    if start_allowance + estimate > seconds_left:
        raise RunTooLarge(
            f"the job needs ~{math.ceil(estimate / 60)} min on {compute} after ~{start_allowance // 60} min of "
            f"start, more than the {math.floor(seconds_left / 60)} min left of the run's "
            f"{bounds.run_timeout_seconds // 3600} h: raise run_core_nodes_max (runtime=emr-ec2) or "
            f"serverless_max_vcpu and serverless_max_memory_gb (runtime=emr-serverless)"
        )
    return math.ceil(min(start_allowance + SLOWDOWN_ALLOWANCE * estimate, seconds_left))


def deadline_polls(timeout_seconds: int, poll_seconds: int) -> int:
    """How many polls of the job step (one every ``poll_seconds``, at least 1 s apart counted) make
    the deadline; each poll also takes its own call time, so the real deadline is a little later."""
    return max(1, math.ceil(timeout_seconds / max(poll_seconds, 1)))
