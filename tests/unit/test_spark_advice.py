"""Each advice rule (wikilake_core/spark_advice.py) on hand-built profiles: it fires and names the
setting and its value, it stays quiet without a reason, and at the edge of its threshold."""

from __future__ import annotations

import pytest

from wikilake_core import spark_advice
from wikilake_core.spark_advice import CONTEXT, ENV, SPARK, Setting

MiB = 1024 * 1024


def stage(number=1, *, tasks=8, seconds=10.0, max_task=1.0, median=1.0, read=0, shuffled=0, spilled=0, name="x"):
    return {
        "stage": number,
        "name": name,
        "seconds": seconds,
        "tasks": tasks,
        "task_seconds": tasks * median,
        "max_task_seconds": max_task,
        "median_task_seconds": median,
        "input_bytes": read,
        "shuffle_read_bytes": shuffled,
        "spill_bytes": spilled,
    }


def profile(**fields) -> dict:
    """A cluster run of 600 s on 4 hosts of 4 cores, 80% busy, no spill, no GC, one even stage."""
    base = {
        "wall_seconds": 600.0,
        "executors": 4,
        "hosts": 4,
        "cores": 16,
        "core_seconds_available": 9600.0,
        "task_seconds": 7680.0,
        "utilization": 0.8,
        "gc_seconds": 0.0,
        "input_bytes": 10**9,
        "shuffle_bytes": 0,
        "spill_bytes": 0,
        "settings": {"spark.executor.memory": "9g", "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "64"},
        "stages": [stage()],
    }
    return {**base, **fields}


def settings(advice) -> list[Setting]:
    return list(advice.settings)


# --- low utilization ---


def test_low_utilization_on_ec2_names_the_core_nodes_for_the_busy_cores():
    """25% of 16 cores over 600 s: 4 cores busy on average = 1 host of 4 cores."""
    advice = spark_advice.low_utilization(profile(utilization=0.25, task_seconds=2400.0), "emr-ec2")
    assert settings(advice) == [Setting("run_core_nodes_max", "1", CONTEXT)]
    assert advice.text().startswith(
        "25% of the cores' time ran tasks (4.0 of 16 cores busy on average): set -c run_core_nodes_max=1"
    )


def test_low_utilization_on_serverless_names_the_vcpus():
    """4 busy cores + the driver's 1 = 5, raised to the 6 a job needs at least."""
    advice = spark_advice.low_utilization(profile(utilization=0.25, task_seconds=2400.0), "emr-serverless")
    assert settings(advice) == [Setting("serverless_max_vcpu", "6", CONTEXT)]


def test_low_utilization_is_quiet_when_busy_locally_or_short():
    assert spark_advice.low_utilization(profile(), "emr-ec2") is None  # 80% busy
    idle = profile(utilization=0.25, task_seconds=2400.0)
    assert spark_advice.low_utilization(idle, "local") is None  # a machine's cores are what they are
    short = profile(utilization=0.25, task_seconds=14.75, wall_seconds=59.0)
    assert spark_advice.low_utilization(short, "emr-ec2") is None  # mostly start-up


def test_low_utilization_at_its_edges():
    assert spark_advice.low_utilization(profile(utilization=0.5, task_seconds=4800.0), "emr-ec2") is None
    # 49% busy = 7.8 cores = 2 hosts of 4: fewer than the 4 it had
    advice = spark_advice.low_utilization(profile(utilization=0.49, task_seconds=4704.0), "emr-ec2")
    assert settings(advice) == [Setting("run_core_nodes_max", "2", CONTEXT)]
    # a one-node cluster cannot be smaller: nothing to advise
    one = profile(hosts=1, cores=4, utilization=0.3, task_seconds=720.0)
    assert spark_advice.low_utilization(one, "emr-ec2") is None


# --- spill ---


def test_spill_after_a_shuffle_names_more_partitions_and_more_executor_memory():
    spilled = [stage(3, shuffled=10**9, spilled=300 * MiB)]
    advice = spark_advice.spill(profile(spill_bytes=300 * MiB, stages=spilled), "emr-ec2")
    assert settings(advice) == [
        Setting("spark.sql.shuffle.partitions", "128", SPARK),
        Setting("spark.executor.memory", "18g", SPARK),
    ]
    assert "314.6 MB spilled (memory and disk) in stage 3" in advice.text()


def test_spill_in_a_local_run_names_the_driver_memory_variable():
    spilled = [stage(2, read=10**9, spilled=100 * MiB)]  # a scan: no shuffle partitions to change
    advice = spark_advice.spill(profile(spill_bytes=100 * MiB, stages=spilled), "local")
    assert settings(advice) == [Setting("WIKILAKE_DRIVER_MEMORY", "8g", ENV)]
    assert "WIKILAKE_DRIVER_MEMORY=8g" in advice.text()


def test_spill_at_its_edge():
    assert spark_advice.spill(profile(), "emr-ec2") is None
    assert spark_advice.spill(profile(spill_bytes=64 * MiB - 1), "emr-ec2") is None
    at_edge = spark_advice.spill(profile(spill_bytes=64 * MiB, stages=[stage(spilled=64 * MiB)]), "emr-ec2")
    assert settings(at_edge) == [Setting("spark.executor.memory", "18g", SPARK)]


# --- skew ---


def test_skew_after_a_shuffle_names_the_stage_and_the_skew_settings():
    stages = [stage(1), stage(5, max_task=60.0, median=5.0, shuffled=10**8, name="parquet at pageviews.py:210")]
    advice = spark_advice.skew(profile(stages=stages), "emr-ec2")
    assert advice.finding.startswith("stage 5 (parquet at pageviews.py:210) is skewed: its slowest task took 60.0 s")
    assert settings(advice) == [
        Setting("spark.sql.adaptive.skewJoin.skewedPartitionFactor", "2", SPARK),
        Setting("spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes", str(64 * MiB), SPARK),
    ]


def test_skew_in_a_scan_names_even_splits():
    stages = [stage(0, tasks=4, max_task=80.0, median=10.0, read=400 * MiB)]
    advice = spark_advice.skew(profile(stages=stages), "local")
    assert settings(advice) == [Setting("spark.sql.files.maxPartitionBytes", str(100 * MiB), SPARK)]


def test_skew_at_its_edges():
    assert spark_advice.skew(profile(), "emr-ec2") is None  # even tasks
    one_task = [stage(tasks=1, max_task=100.0, median=100.0)]
    assert spark_advice.skew(profile(stages=one_task), "emr-ec2") is None
    ratio_short = [stage(max_task=39.9, median=10.0)]  # 10 s longer, but under 4x
    assert spark_advice.skew(profile(stages=ratio_short), "emr-ec2") is None
    small = [stage(max_task=9.0, median=0.5)]  # 18x, but 8.5 s: not worth a setting
    assert spark_advice.skew(profile(stages=small), "emr-ec2") is None
    at_edge = [stage(max_task=13.0, median=3.0, shuffled=1)]  # 4.3x and exactly 10 s
    assert spark_advice.skew(profile(stages=at_edge), "emr-ec2") is not None


# --- too few tasks ---


def test_a_long_scan_with_fewer_tasks_than_cores_names_the_split_size():
    stages = [stage(0, tasks=3, seconds=300.0, read=1600 * MiB, name="text at extract.py:34")]
    advice = spark_advice.too_few_tasks(profile(stages=stages), "emr-ec2")
    assert settings(advice) == [Setting("spark.sql.files.maxPartitionBytes", str(100 * MiB), SPARK)]
    assert advice.finding == "stage 0 (text at extract.py:34) ran 3 tasks on 16 cores for 300 s (50% of the run)"


def test_a_long_shuffle_stage_with_too_few_partitions_names_more():
    stages = [stage(4, tasks=8, seconds=200.0, shuffled=10**9)]
    few = profile(stages=stages, settings={"spark.sql.shuffle.partitions": "8"})
    assert settings(spark_advice.too_few_tasks(few, "emr-ec2")) == [
        Setting("spark.sql.shuffle.partitions", "32", SPARK)
    ]
    # enough partitions configured: adaptive execution merged a small shuffle, nothing to set
    assert spark_advice.too_few_tasks(profile(stages=stages), "emr-ec2") is None


def test_too_few_tasks_at_its_edges():
    assert spark_advice.too_few_tasks(profile(stages=[stage(tasks=3, seconds=149.9, read=1)]), "emr-ec2") is None
    assert spark_advice.too_few_tasks(profile(stages=[stage(tasks=3, seconds=150.0, read=1)]), "emr-ec2") is not None
    assert spark_advice.too_few_tasks(profile(stages=[stage(tasks=16, seconds=600.0, read=1)]), "emr-ec2") is None
    one_core = profile(cores=1, stages=[stage(tasks=1, seconds=600.0, read=1)])
    assert spark_advice.too_few_tasks(one_core, "local") is None


# --- GC ---


def test_gc_names_half_as_much_heap_again():
    advice = spark_advice.gc(profile(gc_seconds=1536.0), "emr-serverless")  # 20% of 7,680 s
    assert settings(advice) == [Setting("spark.executor.memory", "14g", SPARK)]
    assert advice.finding == "20% of task time was garbage collection"
    local = spark_advice.gc(profile(gc_seconds=1536.0), "local")
    assert settings(local) == [Setting("WIKILAKE_DRIVER_MEMORY", "6g", ENV)]


def test_gc_at_its_edges():
    assert spark_advice.gc(profile(gc_seconds=767.9), "emr-ec2") is None
    assert spark_advice.gc(profile(gc_seconds=768.0), "emr-ec2") is not None  # exactly 10%
    short = profile(task_seconds=59.0, gc_seconds=30.0)
    assert spark_advice.gc(short, "emr-ec2") is None  # too little task time to judge
    unknown = profile(gc_seconds=2000.0, settings={})
    assert spark_advice.gc(unknown, "emr-ec2") is None  # no memory setting known to raise


@pytest.mark.parametrize("text, gib", [("9g", 9), ("4096m", 4), ("2048", 2), ("1t", 1024), ("bad", None), (None, None)])
def test_memory_sizes_are_read_as_spark_writes_them(text, gib):
    assert spark_advice._gib(text) == gib


def test_advise_lists_only_what_applies_in_rule_order():
    busy_even = profile()
    assert spark_advice.advise(busy_even, "emr-ec2") == []
    troubled = profile(
        utilization=0.25,
        task_seconds=2400.0,
        gc_seconds=600.0,
        spill_bytes=200 * MiB,
        stages=[stage(2, spilled=200 * MiB, shuffled=1)],
    )
    assert [a.rule for a in spark_advice.advise(troubled, "emr-ec2")] == ["low_utilization", "spill", "gc"]
