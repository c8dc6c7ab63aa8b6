"""The cluster sizing arithmetic, on a round rate worked out by hand."""

from __future__ import annotations

import pytest

from bench import sizing


def test_a_day_on_the_default_cluster_worked_by_hand():
    # 180M lines at 100k lines/s per vCPU = 1800 vCPU-seconds: 900 s of scan, 900 s of the rest.
    estimate = sizing.estimate(100_000, day_lines=180_000_000)
    one_core_node = estimate["options"][0]
    assert estimate["day_vcpu_hours"] == pytest.approx(0.5)
    # 1 core node = 4 vCPUs at 75% = 3 working vCPUs; plus 60 s of Spark start-up
    assert one_core_node["day_wall_s"] == pytest.approx(60 + 900 / 3 + 900 / 3)
    # primary + core node at $0.24 an hour each, for cluster start-up + the day
    assert one_core_node["day_cost_usd"] == pytest.approx(2 * 0.24 / 3600 * (600 + 660))
    assert one_core_node["month_wall_s"] == pytest.approx(30 * 660)


def test_the_scan_stops_scaling_at_one_task_per_hourly_file():
    estimate = sizing.estimate(100_000, day_lines=180_000_000)
    walls = {o["core_nodes"]: o["day_wall_s"] for o in estimate["options"]}
    # 6 core nodes = 18 working vCPUs, under the 24-file cap: everything scales
    assert walls[6] == pytest.approx(60 + 1800 / 18)
    assert sizing.day_wall_seconds(1800, core_nodes=12) == pytest.approx(60 + 900 / 24 + 900 / 36)


def test_rows_per_vcpu_second_excludes_nothing_but_what_it_is_given():
    assert sizing.rows_per_vcpu_second(1_000_000, 10.0, 2) == 50_000
    with pytest.raises(ValueError):
        sizing.rows_per_vcpu_second(1, 0, 2)
