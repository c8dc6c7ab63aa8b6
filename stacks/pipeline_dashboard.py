"""The pipeline's CloudWatch dashboard: its runs (executions started, succeeded, failed, timed out,
and how long they took), its functions' errors and throttles, the compute its runs used, and each
dataset's run seconds, rows and USD that the record function publishes (wikilake_core/run_metrics.py).

The metrics, as AWS publishes them (checked 2026-12 in the services' guides):
- AWS/States ExecutionsStarted/Succeeded/Failed/TimedOut and ExecutionTime (ms), by StateMachineArn;
  AWS/Lambda Errors and Throttles, by FunctionName: through CDK's metric_* helpers.
- AWS/ElasticMapReduce YARNMemoryAvailablePercentage and ContainerPending (EMR management guide,
  "Understanding managed scaling metrics"), every 5 minutes (every minute with managed scaling).
  Their one dimension is JobFlowId, the cluster id ("Dimensions for Amazon EMR metrics"): no name,
  no tag. The run clusters get their ids at run time, so the graphs SEARCH every cluster of the
  account and region; a text widget beside them says so (docs/dashboard.md, "Limits").
- AWS/EMRServerless (runtime=emr-serverless) CPUAllocated, MaxCPUAllowed, RunningWorkerCount,
  PendingCreationWorkerCount and PendingJobs (EMR Serverless guide, "Monitoring EMR Serverless
  applications and jobs"), by ApplicationId with ApplicationName (releases 7.10 and later) and the
  workers' WorkerType and CapacityAllocationType: a SEARCH on the application's id finds them in
  whichever dimension set the release publishes, one line per set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Aws, Duration, Fn
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from wikilake_core import run_metrics

HOURLY = Duration.hours(1)  # a batch pipeline: a few runs a day
DAILY = Duration.days(1)  # the per-dataset metrics: one point per run
SEARCH_PERIOD = Duration.minutes(5)  # how often EMR publishes a cluster's metrics
GRAPH_HEIGHT = 6
FULL_WIDTH = 24  # a dashboard row's grid units
EMR_METRICS = "AWS/ElasticMapReduce"
SERVERLESS_METRICS = "AWS/EMRServerless"
# The EMR metrics graphed, the statistic that shows trouble, and what the line means.
YARN_MEMORY = ("YARNMemoryAvailablePercentage", "Minimum", "YARN memory available (%, lowest in 5 min)")
CONTAINERS_PENDING = ("ContainerPending", "Maximum", "YARN containers pending (most in 5 min)")
# The run metrics' graphs: title and the daily statistic (several runs a day in a backfill).
DATASET_GRAPHS = {
    run_metrics.RUN_SECONDS: ("Longest run of the day, seconds (job wall clock)", cw.Stats.MAXIMUM),
    run_metrics.ROWS_WRITTEN: ("Rows written per day (all the dataset's tables)", cw.Stats.SUM),
    run_metrics.RUN_USD: ("Estimated compute USD per day", cw.Stats.SUM),
}
CLUSTER_SCOPE_NOTE = (
    "**Run clusters.** EMR publishes these per cluster id only (dimension `JobFlowId`): no name or "
    "tag to search by, so the graphs show **every EMR cluster in this account and region**. This "
    "app's run clusters are named `{name}-<dataset>-<dt>`; a run's cluster id is its `compute_id` in "
    "the `runs` table. In an "
    "account (or region) of its own, the graphs are exactly the pipeline's. See docs/dashboard.md."
)


@dataclass(frozen=True)
class DashboardProps:
    name: str  # the deployment's <prefix>-<stage>: the dashboard's title, and its name with the region
    state_machine: sfn.IStateMachine
    functions: Mapping[str, lambda_.IFunction]  # the graphs' label of each function -> the function
    metrics_namespace: str  # where the record function publishes the run metrics
    datasets: Sequence[str]
    serverless_application_id: str | None = None  # runtime=emr-serverless; None: the run clusters


class PipelineDashboard(Construct):
    """``dashboard`` and its console ``url``."""

    def __init__(self, scope: Construct, construct_id: str, props: DashboardProps) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        # Dashboards are global to the account: the region keeps two regions' deployments apart.
        self.dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{props.name}-pipeline-{Aws.REGION}",
            default_interval=Duration.days(7),
        )
        self.dashboard.add_widgets(self._runs(), self._run_durations())
        self.dashboard.add_widgets(*self._functions())
        self.dashboard.add_widgets(*(self._serverless() if props.serverless_application_id else self._clusters()))
        self.dashboard.add_widgets(*self._dataset_metrics())

    @property
    def url(self) -> str:
        """The dashboard in the CloudWatch console (the form the console links to a dashboard with)."""
        region = Aws.REGION
        return Fn.join(
            "",
            [
                f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name=",
                self.dashboard.dashboard_name,
            ],
        )

    def _graph(self, title: str, metrics: Sequence[cw.IMetric], width: int, **kwargs) -> cw.GraphWidget:
        return cw.GraphWidget(title=title, left=list(metrics), width=width, height=GRAPH_HEIGHT, **kwargs)

    def _runs(self) -> cw.GraphWidget:
        machine = self._props.state_machine
        return self._graph(
            "Pipeline runs (per hour)",
            [
                machine.metric_started(label="started", period=HOURLY),
                machine.metric_succeeded(label="succeeded", period=HOURLY),
                machine.metric_failed(label="failed", period=HOURLY),
                machine.metric_timed_out(label="timed out", period=HOURLY),
            ],
            FULL_WIDTH // 2,
        )

    def _run_durations(self) -> cw.GraphWidget:
        machine = self._props.state_machine
        return self._graph(
            "Pipeline run duration (ms)",
            [
                machine.metric_time(label="average", period=HOURLY, statistic=cw.Stats.AVERAGE),
                machine.metric_time(label="longest", period=HOURLY, statistic=cw.Stats.MAXIMUM),
            ],
            FULL_WIDTH // 2,
        )

    def _functions(self) -> list[cw.GraphWidget]:
        functions = self._props.functions.items()
        return [
            self._graph(
                "Function errors (per hour)",
                [function.metric_errors(label=label, period=HOURLY) for label, function in functions],
                FULL_WIDTH // 2,
            ),
            self._graph(
                "Function throttles (per hour)",
                [function.metric_throttles(label=label, period=HOURLY) for label, function in functions],
                FULL_WIDTH // 2,
            ),
        ]

    def _clusters(self) -> list[cw.IWidget]:
        """The run clusters' YARN memory and pending containers (every cluster of the account and region)."""
        width = FULL_WIDTH // 3
        graphs: list[cw.IWidget] = [
            self._graph(title, [_search(f"{{{EMR_METRICS},JobFlowId}} ", metric, statistic)], width)
            for metric, statistic, title in (YARN_MEMORY, CONTAINERS_PENDING)
        ]
        note = cw.TextWidget(
            markdown=CLUSTER_SCOPE_NOTE.format(name=self._props.name), width=width, height=GRAPH_HEIGHT
        )
        return [*graphs, note]

    def _serverless(self) -> list[cw.GraphWidget]:
        """The EMR Serverless application's capacity, workers and waiting jobs."""
        app = f'ApplicationId="{self._props.serverless_application_id}" '

        def search(metric: str, statistic: str) -> cw.SearchExpression:
            return _search(f'Namespace="{SERVERLESS_METRICS}" {app}', metric, statistic)

        return [
            self._graph(
                "EMR Serverless vCPU: allocated and allowed",
                [search("CPUAllocated", "Maximum"), search("MaxCPUAllowed", "Maximum")],
                FULL_WIDTH // 2,
            ),
            self._graph(
                "EMR Serverless workers running and pending; jobs pending",
                [
                    search("RunningWorkerCount", "Maximum"),
                    search("PendingCreationWorkerCount", "Maximum"),
                    search("PendingJobs", "Maximum"),
                ],
                FULL_WIDTH // 2,
            ),
        ]

    def _dataset_metrics(self) -> list[cw.GraphWidget]:
        """Each run metric, one line per dataset, one point per day (the record function publishes
        one value per run)."""
        return [
            self._graph(
                title,
                [
                    cw.Metric(
                        namespace=self._props.metrics_namespace,
                        metric_name=metric.name,
                        dimensions_map={run_metrics.DATASET_DIMENSION: dataset},
                        statistic=statistic,
                        period=DAILY,
                        label=dataset,
                    )
                    for dataset in self._props.datasets
                ],
                FULL_WIDTH // len(DATASET_GRAPHS),
            )
            for metric, (title, statistic) in DATASET_GRAPHS.items()
        ]


def _search(scope: str, metric: str, statistic: str) -> cw.SearchExpression:
    """A SEARCH for ``metric`` narrowed by ``scope`` (a metric schema or search terms); one line
    per metric found, labelled with its dimensions."""
    period = int(SEARCH_PERIOD.to_seconds())
    return cw.SearchExpression(
        expression=f"SEARCH('{scope}MetricName=\"{metric}\"', '{statistic}', {period})",
        label=metric,
    )
