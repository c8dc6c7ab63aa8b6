"""Advice that names the setting: rules over a run's profile (wikilake_core/spark_profile.py), each
a pure function that returns an Advice naming the exact setting and the value to give it, or None
when the profile gives it no reason (advice that does not apply is never shown).

A setting is one of three kinds, each applied its own way (docs/monitoring.md): a context key of
the deployment (``-c key=value`` to `cdk deploy`), a Spark property (``--conf key=value``), or an
environment variable of a local run. Where the knob differs by runtime (a local run's cores are
the machine's; EMR on EC2 sizes by core nodes, EMR Serverless by vCPUs), the rule picks the
runtime's knob, and stays quiet when the runtime has none.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from wikilake_core.run_history import EC2_RUNTIME, LOCAL_RUNTIME, SERVERLESS_RUNTIME

CONTEXT, SPARK, ENV = "context", "spark", "env"
MiB = 1024 * 1024

MIN_WALL_SECONDS = 60  # below this, a run's time is mostly start-up: its utilization says little
LOW_UTILIZATION = 0.5
SPILL_MIN_BYTES = 64 * MiB
SKEW_RATIO = 4  # slowest task / median task
SKEW_MIN_SECONDS = 10  # ... and this much longer than the median
FEW_TASKS_SHARE = 0.25  # a stage with fewer tasks than cores, taking this share of the wall
GC_SHARE = 0.10
GC_MIN_TASK_SECONDS = 60
SERVERLESS_MIN_VCPU = 6  # stacks/config.py: a job's driver and one executor
SPARK_DEFAULT_SHUFFLE_PARTITIONS = 200


@dataclass(frozen=True)
class Setting:
    key: str
    value: str
    kind: str  # CONTEXT | SPARK | ENV

    def text(self) -> str:
        return {CONTEXT: f"-c {self.key}={self.value}", SPARK: f"--conf {self.key}={self.value}"}.get(
            self.kind, f"{self.key}={self.value}"
        )


@dataclass(frozen=True)
class Advice:
    rule: str
    finding: str  # what the profile shows
    settings: tuple[Setting, ...]
    why: str  # what the change does

    def text(self) -> str:
        return f"{self.finding}: set {' and '.join(s.text() for s in self.settings)} ({self.why})"


def _gib(memory: str | None) -> float | None:
    """A Spark memory size (``9g``, ``4096m``, ``2048`` = MiB) in GiB; None if not given."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kmgt]?)b?", (memory or "").strip().lower())
    if not match:
        return None
    return float(match[1]) * {"k": 2**-20, "m": 2**-10, "": 2**-10, "g": 1, "t": 1024}[match[2]]


def _times(memory: str | None, factor: float) -> str | None:
    size = _gib(memory)
    return f"{math.ceil(size * factor)}g" if size else None


def _bytes(count: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count:.0f} B"


def _memory_setting(profile: Mapping, runtime: str, factor: float) -> Setting | None:
    """More memory for the tasks: the driver's locally (every task runs in it), else the executors'."""
    settings = profile.get("settings") or {}
    if runtime == LOCAL_RUNTIME:
        value = _times(settings.get("spark.driver.memory"), factor)
        return Setting("WIKILAKE_DRIVER_MEMORY", value, ENV) if value else None
    value = _times(settings.get("spark.executor.memory"), factor)
    return Setting("spark.executor.memory", value, SPARK) if value else None


def low_utilization(profile: Mapping, runtime: str) -> Advice | None:
    """The run's cores were mostly idle: give its runs fewer (EMR only: a local run's cores are the
    machine's). Core nodes (EC2) or vCPUs (Serverless) for the cores that were busy on average."""
    utilization, wall = profile.get("utilization"), profile.get("wall_seconds") or 0
    if utilization is None or utilization >= LOW_UTILIZATION or wall < MIN_WALL_SECONDS:
        return None
    busy = profile["task_seconds"] / wall
    finding = f"{utilization:.0%} of the cores' time ran tasks ({busy:.1f} of {profile['cores']} cores busy on average)"
    if runtime == EC2_RUNTIME and profile.get("hosts"):
        nodes = max(1, math.ceil(busy / (profile["cores"] / profile["hosts"])))
        if nodes < profile["hosts"]:
            why = "the most core nodes a run's cluster gets; the run sizing stays within it"
            return Advice("low_utilization", finding, (Setting("run_core_nodes_max", str(nodes), CONTEXT),), why)
    if runtime == SERVERLESS_RUNTIME:
        driver = int((profile.get("settings") or {}).get("spark.driver.cores", 1))
        vcpus = max(SERVERLESS_MIN_VCPU, math.ceil(busy) + driver)
        if vcpus < profile["cores"] + driver:
            why = "the application's vCPUs over all its workers; a run's executors are sized within it"
            return Advice("low_utilization", finding, (Setting("serverless_max_vcpu", str(vcpus), CONTEXT),), why)
    return None


def spill(profile: Mapping, runtime: str) -> Advice | None:
    """Tasks spilled to disk: more memory per task, and more (smaller) shuffle partitions when
    the spilling stages read a shuffle."""
    if profile.get("spill_bytes", 0) < SPILL_MIN_BYTES:
        return None
    spilling = [s for s in profile.get("stages", ()) if s["spill_bytes"]]
    found = [_memory_setting(profile, runtime, 2)]
    if any(s["shuffle_read_bytes"] for s in spilling):
        current = int(
            (profile.get("settings") or {}).get("spark.sql.shuffle.partitions", SPARK_DEFAULT_SHUFFLE_PARTITIONS)
        )
        found.insert(0, Setting("spark.sql.shuffle.partitions", str(2 * current), SPARK))
    settings = tuple(s for s in found if s)
    if not settings:
        return None
    where = ", ".join(f"stage {s['stage']}" for s in spilling) or "its stages"
    finding = f"{_bytes(profile['spill_bytes'])} spilled (memory and disk) in {where}"
    return Advice("spill", finding, settings, "each task holds less, or has more memory to hold it in")


def skew(profile: Mapping, runtime: str) -> Advice | None:
    """A stage whose slowest task took far longer than its median one: the stage that loses the
    most to it, with the setting for its kind (a shuffle's partitions, or a scan's splits)."""
    skewed = [
        s
        for s in profile.get("stages", ())
        if s["tasks"] >= 2
        and s["max_task_seconds"] >= SKEW_RATIO * s["median_task_seconds"]
        and s["max_task_seconds"] - s["median_task_seconds"] >= SKEW_MIN_SECONDS
    ]
    if not skewed:
        return None
    stage = max(skewed, key=lambda s: s["max_task_seconds"] - s["median_task_seconds"])
    finding = (
        f"stage {stage['stage']} ({stage['name']}) is skewed: its slowest task took "
        f"{stage['max_task_seconds']:.1f} s, the median {stage['median_task_seconds']:.1f} s"
    )
    if stage["shuffle_read_bytes"]:
        settings = (
            Setting("spark.sql.adaptive.skewJoin.skewedPartitionFactor", "2", SPARK),
            Setting("spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes", str(64 * MiB), SPARK),
        )
        why = (
            "adaptive execution splits a join's partitions over twice the median and 64 MiB; "
            "a grouping's key needs salting"
        )
        return Advice("skew", finding, settings, why)
    split = max(MiB, math.ceil(stage["input_bytes"] / stage["tasks"]))
    why = "splittable input is cut into even splits of this size; a gzip file is one task whatever the size"
    return Advice("skew", finding, (Setting("spark.sql.files.maxPartitionBytes", str(split), SPARK),), why)


def too_few_tasks(profile: Mapping, runtime: str) -> Advice | None:
    """A long stage with fewer tasks than cores: the rest of the cores waited. Smaller input
    splits (a scan) or more shuffle partitions (after a shuffle), one task per core at least."""
    cores, wall = profile.get("cores") or 0, profile.get("wall_seconds") or 0
    few = [
        s
        for s in profile.get("stages", ())
        if cores >= 2 and s["tasks"] < cores and wall and s["seconds"] >= FEW_TASKS_SHARE * wall
    ]
    if not few:
        return None
    stage = max(few, key=lambda s: s["seconds"])
    finding = (
        f"stage {stage['stage']} ({stage['name']}) ran {stage['tasks']} tasks on {cores} cores "
        f"for {stage['seconds']:.0f} s ({stage['seconds'] / wall:.0%} of the run)"
    )
    if stage["shuffle_read_bytes"]:
        current = int(
            (profile.get("settings") or {}).get("spark.sql.shuffle.partitions", SPARK_DEFAULT_SHUFFLE_PARTITIONS)
        )
        if current >= cores:
            return None  # adaptive execution merged them: the shuffle was too small to spread
        setting = Setting("spark.sql.shuffle.partitions", str(2 * cores), SPARK)
        return Advice("too_few_tasks", finding, (setting,), "two shuffle partitions per core")
    split = max(MiB, math.ceil(stage["input_bytes"] / cores))
    why = "one split per core (splittable input; the jobs set this from their input files, spark_jobs/extract.py)"
    return Advice("too_few_tasks", finding, (Setting("spark.sql.files.maxPartitionBytes", str(split), SPARK),), why)


def gc(profile: Mapping, runtime: str) -> Advice | None:
    """Tasks spent a large share of their time in garbage collection: a bigger heap."""
    task_seconds = profile.get("task_seconds") or 0
    if task_seconds < GC_MIN_TASK_SECONDS or profile.get("gc_seconds", 0) < GC_SHARE * task_seconds:
        return None
    setting = _memory_setting(profile, runtime, 1.5)
    if setting is None:
        return None
    finding = f"{profile['gc_seconds'] / task_seconds:.0%} of task time was garbage collection"
    why = "half as much heap again (GC is heap pressure; spark.executor.memoryOverhead is off-heap)"
    return Advice("gc", finding, (setting,), why)


RULES: tuple[Callable[[Mapping, str], Advice | None], ...] = (low_utilization, too_few_tasks, skew, spill, gc)


def advise(profile: Mapping, runtime: str) -> list[Advice]:
    """The advice that applies to a run's profile, in the order of RULES."""
    return [found for rule in RULES if (found := rule(profile, runtime)) is not None]
