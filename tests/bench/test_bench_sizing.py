"""The sizing and cost arithmetic of a real day, on round rates worked out by hand, and on the
committed results files."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bench import sizing
from bench.report import SummaryRow
from wikilake_core import datasets
from wikilake_core.paths import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
PAGEVIEWS = sizing.REAL_DAYS["pageviews"]


def _committed(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def test_every_dataset_has_a_real_day_and_a_serverless_size():
    assert set(sizing.REAL_DAYS) == set(datasets.DATASETS)
    for name in datasets.DATASETS:
        estimate = sizing.estimate(name, 1_000_000)
        assert estimate["options"] and estimate["serverless"]["executors"] >= 1


def test_a_day_on_the_default_cluster_worked_by_hand():
    # 180M lines at 100k lines/s per vCPU = 1800 vCPU-seconds: 900 s of scan, 900 s of the rest.
    estimate = sizing.estimate("pageviews", 100_000, replace(PAGEVIEWS, amount=180_000_000))
    one_core_node = estimate["options"][0]
    assert estimate["day_vcpu_hours"] == pytest.approx(0.5)
    # 1 core node = 4 vCPUs at 75% = 3 working vCPUs; plus 60 s of Spark start-up
    assert one_core_node["day_wall_s"] == pytest.approx(60 + 900 / 3 + 900 / 3)
    # primary + core m5.xlarge at $0.192 EC2 + $0.048 EMR an hour each, for cluster start-up + the day
    assert one_core_node["day_cost_usd"] == pytest.approx(2 * 0.24 / 3600 * (600 + 660))
    assert one_core_node["month_wall_s"] == pytest.approx(30 * 660)


def test_the_scan_stops_scaling_at_one_task_per_hourly_file():
    estimate = sizing.estimate("pageviews", 100_000, replace(PAGEVIEWS, amount=180_000_000))
    walls = {o["core_nodes"]: o["day_wall_s"] for o in estimate["options"]}
    # 6 core nodes = 18 working vCPUs, under the 24-file cap: everything scales
    assert walls[6] == pytest.approx(60 + 1800 / 18)
    assert sizing.day_wall_seconds(1800, 36, PAGEVIEWS) == pytest.approx(60 + 900 / 24 + 900 / 36)
    # a splittable input (articles' bzip2) has no such cap
    assert sizing.day_wall_seconds(1800, 36, sizing.REAL_DAYS["articles"]) == pytest.approx(60 + 1800 / 36)


def test_a_pageviews_day_on_serverless_is_docs_runtimes_figure():
    """docs/runtimes.md, "Cost of one day": 1,123 vCPU-seconds on 24 executor cores, ~2.0 min;
    1.10 vCPU-h + 2.42 GB-h: ~$0.07 (driver 2 vCPU / 4.4 GB + 6 executors of 4 vCPU / 8.8 GB)."""
    rate = 180_000_000 / 1123
    serverless = sizing.estimate("pageviews", rate)["serverless"]
    wall = 60 + 561.5 / 18 + 561.5 / 18
    assert (serverless["executors"], serverless["vcpu"]) == (6, 26)
    assert serverless["memory_gb"] == pytest.approx(4.4 + 6 * 8.8)
    assert serverless["day_wall_s"] == pytest.approx(wall) == pytest.approx(2.0 * 60, abs=3)
    assert serverless["vcpu_hours"] == pytest.approx(26 * (wall + 30) / 3600) == pytest.approx(1.10, abs=0.01)
    assert serverless["memory_gb_hours"] == pytest.approx(57.2 * (wall + 30) / 3600) == pytest.approx(2.42, abs=0.01)
    assert serverless["usd"] == pytest.approx(1.1006 * 0.052624 + 2.4213 * 0.0057785, abs=1e-3)
    assert round(serverless["usd"], 2) == 0.07


def test_the_committed_pageviews_estimate_is_unchanged():
    """bench/results/2026-11-26.json's sizing (written by the bench of then, pageviews only):
    today's code gives the same rate and cluster figures from that file's own rows."""
    document = _committed("2026-11-26.json")
    rows = [SummaryRow(**row) for row in document["table"]]
    estimates = sizing.of_rows(rows, document["machine"]["cores"])
    assert set(estimates) == {"edits", "pageviews"}
    then, now = document["sizing"], estimates["pageviews"]
    assert now["rate_per_vcpu_s"] == pytest.approx(then["rows_per_vcpu_s"])
    assert now["day"]["amount"] == then["day_lines"] and now["day_vcpu_hours"] == pytest.approx(then["day_vcpu_hours"])
    assert now["options"] == [pytest.approx(option) for option in then["options"]]


def test_articles_is_sized_from_its_committed_bench_run():
    """bench/results/2026-12-06-articles.json: the largest articles input at 1x is
    articles-6x-sample, 10,149,130 bytes of bzip2 in 108.393 s inside the job on 2 vCPUs."""
    document = _committed("2026-12-06-articles.json")
    rows = [SummaryRow(**row) for row in document["table"]]
    articles = sizing.of_rows(rows, document["machine"]["cores"])["articles"]
    rate = 10_149_130 / 108.393 / 2
    work = 22e9 / rate
    assert articles["unit"] == "bytes" and articles["rate_per_vcpu_s"] == pytest.approx(rate)
    one_core_node = articles["options"][0]
    assert one_core_node["day_wall_s"] == pytest.approx(60 + work / 3)
    assert one_core_node["day_cost_usd"] == pytest.approx(2 * 0.24 * (600 + 60 + work / 3) / 3600)
    # EMR Serverless at articles' JobSize: 7 executors x 4 vCPU (28 cores, 21 working) + a 2 vCPU driver
    serverless = articles["serverless"]
    wall = 60 + work / 21
    hours = (wall + 30) / 3600
    assert (serverless["executors"], serverless["vcpu"]) == (7, 30)
    assert serverless["usd"] == pytest.approx(30 * hours * 0.052624 + (4.4 + 7 * 8.8) * hours * 0.0057785, abs=1e-3)


def test_per_vcpu_second_excludes_nothing_but_what_it_is_given():
    assert sizing.per_vcpu_second(1_000_000, 10.0, 2) == 50_000
    with pytest.raises(ValueError):
        sizing.per_vcpu_second(1, 0, 2)
    # the unit of each dataset's real day: records for pageviews, compressed bytes for articles
    assert sizing.measured_rate("pageviews", 1_000_000, 7_000_000, 10.0, 2) == 50_000
    assert sizing.measured_rate("articles", 1_000, 7_000_000, 10.0, 2) == 350_000
