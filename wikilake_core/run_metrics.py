"""The custom CloudWatch metrics of a recorded run: their names, units and dimension, shared by the
record function that publishes them (PutMetricData) and the pipeline's dashboard that graphs them.

Each is published once per recorded run, under the deployment's namespace
(contract.metrics_namespace), with the run's dataset as the one dimension.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DATASET_DIMENSION = "Dataset"


@dataclass(frozen=True)
class RunMetric:
    name: str
    unit: str  # a CloudWatch StandardUnit


RUN_SECONDS = RunMetric("RunSeconds", "Seconds")  # the job's wall clock (its manifest's duration_seconds)
ROWS_WRITTEN = RunMetric("RowsWritten", "Count")  # summed over the dataset's tables
RUN_USD = RunMetric("RunCostUSD", "None")  # the compute's estimated price (wikilake_core/prices.py)


def values(manifest: Mapping, cost: Mapping) -> dict[RunMetric, float]:
    """What a run measured: the job's wall-clock seconds and rows written (its manifest), and
    the priced compute (the record's cost). A value the run lacks (an unpriced instance type,
    a manifest without timings) is left out rather than published as 0."""
    found = {
        RUN_SECONDS: manifest.get("duration_seconds"),
        ROWS_WRITTEN: sum((manifest.get("rows_written") or {}).values()),
        RUN_USD: cost.get("usd"),
    }
    return {metric: float(value) for metric, value in found.items() if value is not None}


def metric_data(dataset: str, measured: Mapping[RunMetric, float]) -> list[dict]:
    """PutMetricData's MetricData for one run of ``dataset``."""
    dimensions = [{"Name": DATASET_DIMENSION, "Value": dataset}]
    return [
        {"MetricName": metric.name, "Dimensions": dimensions, "Value": value, "Unit": metric.unit}
        for metric, value in measured.items()
    ]
