"""wikilake_core.prices: the run cost against a hand computation."""

import json
from datetime import date

import pytest

from wikilake_core import prices
from wikilake_core.paths import PROJECT_ROOT
from wikilake_core.prices import Cost, InstanceGroup, cluster_cost


def test_default_cluster_for_half_an_hour_by_hand():
    # 1 primary + 1 core m5.xlarge on demand: 2 x ($0.192 EC2 + $0.048 EMR) x 0.5 h = $0.24;
    # normalized: 2 instances x factor 8 (xlarge) x 0.5 h = 8.
    cost = cluster_cost([InstanceGroup("m5.xlarge", "ON_DEMAND", 1), InstanceGroup("m5.xlarge", "ON_DEMAND", 1)], 0.5)
    assert cost == Cost(normalized_instance_hours=8.0, usd=0.24)
    assert cost.as_record() == {"normalized_instance_hours": 8.0, "usd": 0.24, "prices_as_of": prices.PRICES_AS_OF}


def test_spot_task_nodes_pay_the_spot_ec2_price_plus_emr():
    # 2 spot m5.xlarge task nodes for 1 h: 2 x ($0.074 + $0.048) = $0.244; + 1 on-demand r5.2xlarge
    # primary: $0.504 + $0.126 = $0.630 -> $0.874; normalized 2 x 8 + 1 x 16 = 32.
    cost = cluster_cost([InstanceGroup("m5.xlarge", "SPOT", 2), InstanceGroup("r5.2xlarge", "ON_DEMAND", 1)], 1.0)
    assert cost.usd == pytest.approx(0.874)
    assert cost.normalized_instance_hours == 32.0


def test_unknown_instance_type_gives_no_usd_but_says_which():
    cost = cluster_cost([InstanceGroup("x9.huge", "ON_DEMAND", 1), InstanceGroup("m5.xlarge", "ON_DEMAND", 1)], 1)
    assert cost.usd is None and cost.unpriced == ("x9.huge",)
    assert cost.as_record()["unpriced_instance_types"] == ["x9.huge"]


def test_table_covers_cdk_json_defaults_and_is_dated():
    context = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    assert {context["primary_instance_type"], context["core_instance_type"]} <= set(prices.PRICES)
    assert date.fromisoformat(prices.PRICES_AS_OF) <= date.today()
    for price in prices.PRICES.values():
        assert 0 < price.ec2_spot < price.ec2_on_demand and 0 < price.emr < price.ec2_on_demand


def test_serverless_job_run_cost_by_hand():
    # 1.0 vCPU-h x $0.052624 + 4.0 GB-h x $0.0057785 + 10 GB-h x $0.000111 = 0.052624 + 0.023114 + 0.00111
    cost = prices.serverless_cost({"vCPUHour": 1.0, "memoryGBHour": 4.0, "storageGBHour": 10.0})
    assert cost == {
        "vcpu_hours": 1.0,
        "memory_gb_hours": 4.0,
        "storage_gb_hours": 10.0,
        "usd": 0.0768,
        "prices_as_of": prices.PRICES_AS_OF,
    }
    assert prices.serverless_cost({})["usd"] == 0.0  # a run EMR Serverless billed nothing for
    assert prices.serverless_cost({"vCPUHour": 1.0}, "ARM64")["usd"] == 0.0421


def test_a_run_records_compute_hours_come_with_their_runtimes_unit():
    on_cluster = prices.cluster_cost([prices.InstanceGroup("m5.xlarge", "ON_DEMAND", 2)], 1.5).as_record()
    on_serverless = prices.serverless_cost({"vCPUHour": 3.2, "memoryGBHour": 12.8})
    # m5.xlarge normalizes to 8 per instance-hour (EMR's table): 2 x 8 x 1.5 = 24.
    assert prices.compute_hours(on_cluster) == (24.0, prices.NIH)
    assert prices.compute_hours(on_serverless) == (3.2, prices.VCPU_HOURS)
    assert (prices.NIH.short, prices.VCPU_HOURS.short) == ("NIH", "vCPU-h")
    assert prices.compute_hours({"normalized_instance_hours": 0}) == (0, prices.NIH)  # zero is a figure
    assert prices.compute_hours({"usd": 1.0}) is None and prices.compute_hours({"vcpu_hours": None}) is None


def test_an_unknown_size_or_type_counts_zero_normalized_hours():
    assert prices.normalization_factor("m5.9xlarge") == 72 and prices.normalization_factor("r7g.medium") == 2
    assert prices.normalization_factor("m5.hugeish") == 0  # a size EMR's table lacks
    assert prices.normalization_factor("not-an-instance-type") == 0


def test_hours_round_to_cents_of_an_hour_and_usd_to_four_places():
    # 1 m5.xlarge for 1/3 h: 8/3 = 2.6667 normalized hours; (0.192 + 0.048) / 3 = $0.08 exactly,
    # and 1/7 h: $0.0342857... -> 0.0343.
    third = cluster_cost([InstanceGroup("m5.xlarge", "ON_DEMAND", 1)], 1 / 3)
    assert third.normalized_instance_hours == 2.67 and third.usd == 0.08
    assert cluster_cost([InstanceGroup("m5.xlarge", "ON_DEMAND", 1)], 1 / 7).usd == 0.0343


@pytest.mark.parametrize(
    "scanned, dollars",
    [
        (0, 0.0),  # DDL, cached or empty: nothing billed
        (1, 5 * 10 / 1024 / 1024),  # 10 MB minimum
        (25 * 2**20 + 1, 5 * 26 / 1024 / 1024),  # rounded up to the next MB
        (2**40, 5.0),  # 1 TB at $5
    ],
)
def test_cost_at_athena_list_price(scanned, dollars):
    assert prices.athena_query_usd(scanned) == pytest.approx(dollars)
