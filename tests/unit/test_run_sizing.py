"""Sizing a pipeline run from the bytes it reads (wikilake_core/run_sizing.py), the measured rates
it uses (checked against the bench's own results), and the plan function's HTTP budget (against
urllib3's Retry, which the downloads use)."""

from __future__ import annotations

import json
import math
import statistics

import pytest
from urllib3.util.retry import Retry

from wikilake_core import datasets, http_budget, run_sizing
from wikilake_core.paths import PROJECT_ROOT
from wikilake_core.run_sizing import RunBounds, RunTooLarge, size_run

GB, MB = 1_000_000_000, 1_000_000
BOUNDS = RunBounds(
    runtime="emr-ec2",
    core_instance_type="m5.xlarge",
    core_nodes_min=1,
    core_nodes_max=8,
    target_seconds=3600,
    run_timeout_seconds=4 * 3600,
    serverless_max_vcpu=32,
    serverless_max_memory_gb=128,
)
AFTER_INGEST = 4 * 3600 - 30 * 60  # 30 minutes of the run spent before the cluster


def test_a_full_articles_day_gets_more_nodes_and_a_longer_deadline_than_a_small_one():
    """By hand, at 350,000 bytes/s per vCPU and 3 working vCPUs per m5.xlarge (4 x 0.75):
    22 GB = 62,857 vCPU-s; an hour on n nodes does 10,800 n: 6 nodes; the job ~60 + 62,857/18
    = 3,552 s; the deadline 1,200 + 3 x 3,552 = 11,857 s (3.3 h).
    100 MB = 286 vCPU-s: 1 node; ~60 + 286/3 = 155 s; the deadline 1,200 + 3 x 155.2 = 1,666 s."""
    full = size_run("articles", 22 * GB, BOUNDS, seconds_left=AFTER_INGEST)
    small = size_run("articles", 100 * MB, BOUNDS, seconds_left=AFTER_INGEST)

    assert (full.core_nodes, full.estimated_seconds, full.timeout_seconds) == (6, 3553, 11857)
    assert (small.core_nodes, small.estimated_seconds, small.timeout_seconds) == (1, 156, 1666)
    assert full.core_nodes > small.core_nodes and full.timeout_seconds > small.timeout_seconds


def test_the_bounds_hold():
    assert size_run("pageviews", 0, BOUNDS, seconds_left=AFTER_INGEST).core_nodes == 1
    with_more = RunBounds(**{**BOUNDS.__dict__, "core_nodes_min": 2, "core_nodes_max": 3})
    assert size_run("pageviews", 1, with_more, seconds_left=AFTER_INGEST).core_nodes == 2
    # 40 GB of articles wants 11 nodes for an hour; 3 take ~3.5 h after 20 min of start: too long
    with pytest.raises(RunTooLarge) as raised:
        size_run("articles", 40 * GB, with_more, seconds_left=AFTER_INGEST)
    assert "raise run_core_nodes_max" in str(raised.value) and "\n" not in str(raised.value)


def test_the_deadline_never_outlasts_the_run():
    late = size_run("articles", 22 * GB, BOUNDS, seconds_left=4 * 3600 - 2 * 3600)
    assert late.timeout_seconds == 2 * 3600  # 11,857 s would outlast the 7,200 s left


def test_a_bigger_target_means_fewer_nodes_and_the_rate_decides():
    relaxed = RunBounds(**{**BOUNDS.__dict__, "target_seconds": 3 * 3600})
    assert size_run("articles", 22 * GB, relaxed, seconds_left=AFTER_INGEST).core_nodes == 2
    # the same bytes of pageviews (1 MB/s per vCPU) are less work than of articles (0.35 MB/s)
    assert size_run("pageviews", 22 * GB, BOUNDS, seconds_left=AFTER_INGEST).core_nodes == 3


def test_serverless_gets_executors_within_the_application_capacity():
    """articles' JobSize: driver 2 vCPU / 4 GB heap, executors 4 vCPU / 8 GB heap (8.8 GB billed):
    32 vCPU and 128 GB hold (32 - 2) // 4 = 7 executors beside the driver. 22 GB wants
    ceil(62,857 / (3,600 x 3)) = 6; 44 GB wants 12, capped at 7."""
    serverless = RunBounds(**{**BOUNDS.__dict__, "runtime": "emr-serverless"})
    assert size_run("articles", 22 * GB, serverless, seconds_left=AFTER_INGEST).executors == 6
    assert run_sizing.serverless_executor_cap("articles", serverless) == 7
    small = size_run("articles", 100 * MB, serverless, seconds_left=AFTER_INGEST)
    assert small.executors == 1 and small.timeout_minutes == 18  # 600 + 3 x 155.2 = 1,066 s


@pytest.mark.parametrize(
    "instance_type, vcpus",
    [("m5.xlarge", 4), ("m5.2xlarge", 8), ("r5.4xlarge", 16), ("c5.large", 2), ("m7g.medium", 1)],
)
def test_instance_vcpus_from_the_size_name(instance_type, vcpus):
    """EC2's published vCPU counts of these types (docs.aws.amazon.com/ec2/latest/instancetypes/gp.html)."""
    assert run_sizing.instance_vcpus(instance_type) == vcpus


def test_deadline_polls_cover_the_timeout():
    assert run_sizing.deadline_polls(3600, 60) == 60
    assert run_sizing.deadline_polls(3601, 60) == 61
    assert run_sizing.deadline_polls(30, 0) == 30  # polls at least a second apart are counted


def test_the_articles_job_size_comes_from_its_committed_bench_run():
    """bench/results/2026-12-06-articles.json (articles-6x-sample at 1x and 2x, spark-submit
    local[2]): the JVM's peak per core is well under the heap per core articles' executors get,
    and the run's marginal per-core rate (2x minus 1x: no fixed cost) puts a whole 22 GB enwiki
    dump inside the run's 4 hours on the JobSize's executors, the most the default caps hold."""
    bench = json.loads((PROJECT_ROOT / "bench/results/2026-12-06-articles.json").read_text())
    spark = {r["scale"]: r for r in bench["table"] if r["engine"] == "spark" and r["input"] == "articles-6x-sample"}
    cores = bench["machine"]["cores"]
    size = datasets.get("articles").size
    peak_gb_per_core = max(r["peak_rss_bytes"] for r in spark.values()) / cores / 2**30
    assert size.executor_memory_gb / size.executor_vcpu >= 3 * peak_gb_per_core
    more_bytes = spark[2]["input_gz_bytes"] - spark[1]["input_gz_bytes"]
    rate = more_bytes / (spark[2]["in_job_median_s"] - spark[1]["in_job_median_s"]) / cores
    assert rate == pytest.approx(152_910, rel=1e-3)
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    caps = RunBounds(
        **{
            **BOUNDS.__dict__,
            "runtime": "emr-serverless",
            "serverless_max_vcpu": context["serverless_max_vcpu"],
            "serverless_max_memory_gb": context["serverless_max_memory_gb"],
        }
    )
    assert size.max_executors == run_sizing.serverless_executor_cap("articles", caps) == 7
    working_vcpus = size.max_executors * size.executor_vcpu * run_sizing.TASK_EFFICIENCY
    job = run_sizing.SPARK_START_SECONDS + 22 * GB / rate / working_vcpus
    assert run_sizing.SERVERLESS_START_ALLOWANCE_SECONDS + job < run_sizing.RUN_TIMEOUT_SECONDS
    assert job / 3600 == pytest.approx(1.9, abs=0.05)


def test_the_registry_rates_are_the_bench_s():
    """Every dataset has a measured rate, and those taken from bench/results agree with it."""
    bench = json.loads((PROJECT_ROOT / "bench/results/2026-11-26.json").read_text())
    assert all(d.throughput for d in datasets.REGISTRY.values())
    edits = next(i for i in bench["inputs"] if i["name"] == "edits-100x" and i["scale"] == 1)
    seconds = statistics.median(
        r["in_job_s"]
        for r in bench["runs"]
        if r["engine"] == "spark" and r["input"] == "edits-100x" and r["scale"] == 1
    )
    cores = bench["machine"]["cores"]
    assert datasets.get("edits").throughput.bytes_per_vcpu_second == pytest.approx(
        edits["gz_bytes"] / seconds / cores, rel=0.02
    )
    real_bytes_per_line = 7  # docs/performance.md, Cluster sizing
    assert datasets.get("pageviews").throughput.bytes_per_vcpu_second == pytest.approx(
        bench["sizing"]["rows_per_vcpu_s"] * real_bytes_per_line, rel=0.02
    )


def test_the_http_budget_sleeps_as_urllib3_does():
    budget = http_budget.PLAN
    retry = Retry(total=budget.retries, backoff_factor=budget.backoff, backoff_max=budget.backoff_max)
    sleeps = []
    for _ in range(budget.retries):
        retry = retry.increment("GET", "/md5sums.txt", error=ConnectionError("refused"))
        sleeps.append(retry.get_backoff_time())
    assert sleeps == budget.sleeps() == [0, 4, 8, 16, 32]


def test_the_plan_function_outlasts_its_http_retries():
    """Two requests, each 6 attempts of 10 s connect + 30 s read and 60 s of sleeps: 600 s."""
    assert http_budget.PLAN.request_seconds() == 300
    assert http_budget.plan_timeout_seconds() == 660 > http_budget.PLAN_REQUESTS * 300
    with pytest.raises(ValueError):
        http_budget.plan_timeout_seconds(http_budget.DOWNLOAD, requests=3)


# --- the plan function's SizeRun (listing raw/ runs under moto in tests/pipeline/) ---

STARTED = "2026-12-06T03:00:00Z"
SCRIPTS = '{"package_url": "s3://a/jobs.zip", "entrypoint_urls": {"articles": "s3://a/articles.py"}}'


def _size(monkeypatch, input_bytes: int, bounds: RunBounds, minutes_in: int = 30) -> dict:
    from datetime import datetime, timedelta, timezone

    from wikilake_functions import plan

    monkeypatch.setattr(plan, "raw_bytes", lambda run, env: (input_bytes, 27))
    env = {"WIKILAKE_BUCKET": "lake", "WIKILAKE_JOB_SCRIPTS": SCRIPTS, "WIKILAKE_RUN_SIZING": bounds.to_json()}
    now = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes_in)
    run = {"dataset": "articles", "dt": "2016-05-01", "job_options": [], "allow_missing_hours": False}
    return plan.size({"run": run, "started_at": STARTED}, env, now=now)


def test_size_run_answers_what_the_state_machine_reads(monkeypatch):
    """$.plan.size: the core count RunJobFlow takes, the deadline's polls (60 s apart by default)."""
    sized = _size(monkeypatch, 22 * GB, BOUNDS)
    assert {k: sized[k] for k in ("input_bytes", "input_files", "core_nodes", "timeout_seconds")} == {
        "input_bytes": 22 * GB,
        "input_files": 27,
        "core_nodes": 6,
        "timeout_seconds": 11857,
    }
    assert sized["deadline_polls"] == 198  # ceil(11,857 / 60)
    assert "compute_limits" not in sized and "spark_submit_parameters" not in sized


def test_size_run_with_managed_scaling_gives_the_run_its_limits(monkeypatch):
    """6 core nodes + 2 task nodes, scaling up to 6 (below the 8 the run starts with): min 8, max 8,
    core 6, on-demand 6 (task nodes on spot)."""
    scaling = RunBounds(**{**BOUNDS.__dict__, "task_nodes": 2, "managed_scaling_max": 6, "task_spot": True})
    assert _size(monkeypatch, 22 * GB, scaling)["compute_limits"] == {
        "UnitType": "Instances",
        "MinimumCapacityUnits": 8,
        "MaximumCapacityUnits": 8,
        "MaximumCoreCapacityUnits": 6,
        "MaximumOnDemandCapacityUnits": 6,
    }


def test_size_run_on_serverless_renders_the_sized_executors(monkeypatch):
    serverless = RunBounds(**{**BOUNDS.__dict__, "runtime": "emr-serverless"})
    sized = _size(monkeypatch, 22 * GB, serverless)
    assert sized["executors"] == 6
    assert "--conf spark.dynamicAllocation.maxExecutors=6" in sized["spark_submit_parameters"]
    assert sized["timeout_minutes"] == math.ceil(sized["timeout_seconds"] / 60)


def test_a_day_too_big_for_what_is_left_of_the_run_is_refused_by_name(monkeypatch):
    """Three and a half hours in, 30 minutes are left: 22 GB needs ~59 min on 6 nodes."""
    with pytest.raises(RunTooLarge) as raised:
        _size(monkeypatch, 22 * GB, BOUNDS, minutes_in=210)
    message = str(raised.value)
    assert message.startswith("articles dt=2016-05-01 (22,000,000,000 bytes): the job needs ~60 min on 6 core nodes")
    assert "30 min left" in message and "\n" not in message


@pytest.mark.parametrize(
    "task_spot, peaks",
    [
        # spot task nodes: the most with the fewest core nodes, 6 - 1 = 5; core nodes at the sized 4
        (True, {"MASTER": 1, "CORE": 4, "TASK": 5}),
        # on-demand task nodes: core + task reach at most 6 together, so 2 beside the sized 4 core
        (False, {"MASTER": 1, "CORE": 4, "TASK": 2}),
    ],
)
def test_the_peak_cluster_counts_the_sized_core_nodes(task_spot, peaks):
    """What `wikilake preflight` holds against the vCPU quotas: 1 core node at start, runs sized up
    to 4, task nodes 0 at start with managed scaling up to 6 core + task nodes."""
    from wikilake_core.cluster import cluster_shape

    shape = cluster_shape(
        primary_type="m5.xlarge",
        core_type="m5.xlarge",
        core_count=1,
        task_count=0,
        task_spot=task_spot,
        scaling_max=6,
        core_count_max=4,
    )
    assert {g.role: g.count for g in shape.peak_groups()} == peaks
    assert {g.role: g.count for g in shape.instance_groups} == {"MASTER": 1, "CORE": 1, "TASK": 0}
