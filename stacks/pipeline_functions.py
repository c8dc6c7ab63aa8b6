"""The pipeline's five Lambda functions (plan, ingest, record, day lease, reap), each with its own
log group and the least privilege it needs (stacks/function_grants.py).

The functions' asset is the `functions/` folder as it stands (handlers, and links to the packages
they share, their targets copied in). Byte code is left out: it differs between machines and
would change the asset's hash, and Lambda compiles what it imports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack, SymlinkFollowMode
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as lambda_destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks import function_grants, nag
from stacks.lease_table import LeaseTable
from stacks.run_clusters import RunClusters
from stacks.serverless_app import ServerlessApp
from wikilake_core import function_env as env_keys
from wikilake_core import http_budget, run_sizing
from wikilake_core.paths import PROJECT_ROOT
from wikilake_core.submit import JobScripts

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14  # the latest (cdk-nag L1)
# The functions' asset: the folder as it stands (the handlers, and links to the packages they share,
# whose targets are copied in). Byte code stays out: it differs between machines and would change the
# asset's hash, and Lambda compiles what it imports.
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
FUNCTIONS_BYTE_CODE = ["**/__pycache__", "**/*.pyc"]
# At most http_budget.MAX_DOWNLOADS downloads at once across every execution (a backfill runs
# several): the download slots of the lease table enforce it (stacks/lease_table.py), a reserved
# concurrency only when opted in (ingest_reserved_concurrency).
INGEST_TIMEOUT = Duration.seconds(http_budget.LAMBDA_MAX_TIMEOUT_SECONDS)  # a pageviews hour is ~50 MB
# A download slot's hold outlives the function holding it by this much (clock skew, cold start).
LEASE_MARGIN_SECONDS = 60
RECORD_TIMEOUT = Duration.minutes(5)  # verify, repoint 3 partitions, tag up to ~1000 objects
# A day's writer lease outlives the run's timeout by this much: the backstop if neither the
# state machine nor the reap function gives it back.
DAY_LEASE_MARGIN = Duration.minutes(15)
DAY_LEASE_SECONDS = run_sizing.RUN_TIMEOUT_SECONDS + int(DAY_LEASE_MARGIN.to_seconds())


@dataclass(frozen=True)
class FunctionsProps:
    """What the functions are given: where the lake and its catalog are, what a run may get, and
    the runtime's compute (run clusters, or the EMR Serverless application: exactly one)."""

    name: str  # the app's base name: descriptions, and the run clusters' name prefix
    bucket: s3.IBucket
    lake_nag_name: str  # how cdk-nag spells the bucket's name (stacks/lake_bucket.py)
    database_name: str
    leases: LeaseTable
    alerts: sns.ITopic  # the record function publishes failing `warn` quality checks to it
    dead_letters: sqs.IQueue  # the reap function's asynchronous invocations that gave up
    job_scripts: JobScripts
    run_bounds: run_sizing.RunBounds
    metrics_namespace: str  # the record function publishes each run's metrics there (wikilake_core/run_metrics.py)
    clusters: RunClusters | None = None
    serverless: ServerlessApp | None = None
    data_key: kms.IKey | None = None
    contact: str | None = None  # for the downloads' User-Agent
    ingest_reserved_concurrency: int | None = None
    interactive_cluster: bool = False  # EMR on EC2: a run may name the stack's interactive cluster

    def __post_init__(self) -> None:
        if (self.clusters is None) == (self.serverless is None):
            raise ValueError("FunctionsProps: set either clusters (EMR on EC2) or serverless (EMR Serverless)")
        if self.interactive_cluster and self.clusters is None:
            raise ValueError("FunctionsProps: the interactive cluster is EMR on EC2 (set clusters)")


class PipelineFunctions:
    """Builds the functions into ``scope`` (the pipeline's own, so their logical ids stay those of
    one pipeline construct) and exposes them: ``plan``, ``ingest``, ``record``, ``day_lease``, ``reap``."""

    def __init__(self, scope: Construct, props: FunctionsProps) -> None:
        self._scope, self._props = scope, props
        self._code = lambda_.Code.from_asset(
            str(FUNCTIONS_DIR), exclude=FUNCTIONS_BYTE_CODE, follow_symlinks=SymlinkFollowMode.ALWAYS
        )
        self.plan = self._plan()
        self.ingest = self._ingest()
        self.record = self._record()
        self.day_lease = self._function(
            "DayLeaseFunction",
            "day_lease",
            Duration.minutes(1),
            {env_keys.LEASE_TABLE: props.leases.table.table_name, env_keys.DAY_LEASE_SECONDS: str(DAY_LEASE_SECONDS)},
            "takes and gives back a day's writer lease (one run per dataset and dt)",
        )
        self.reap = self._reap()
        function_grants.grant(self, props)

    @property
    def invoked_by_the_state_machine(self) -> tuple[lambda_.Function, ...]:
        return (self.day_lease, self.plan, self.ingest, self.record)

    @property
    def by_label(self) -> dict[str, lambda_.Function]:
        """Every function, labelled by what it does (the dashboard's graphs)."""
        return {
            "plan": self.plan,
            "ingest": self.ingest,
            "record": self.record,
            "day lease": self.day_lease,
            "reap": self.reap,
        }

    def _contact_env(self) -> dict[str, str]:
        return {env_keys.CONTACT: self._props.contact} if self._props.contact else {}

    def _interactive_env(self) -> dict[str, str]:
        """What the interactive cluster carries, for the functions that check or touch it."""
        props = self._props
        if not (props.interactive_cluster and props.clusters):
            return {}
        return {env_keys.INTERACTIVE_CLUSTER_TAGS: json.dumps(props.clusters.interactive_tags(), sort_keys=True)}

    def _plan(self) -> lambda_.Function:
        props, stack = self._props, Stack.of(self._scope)
        scripts = props.job_scripts
        return self._function(
            "PlanFunction",
            "plan",
            # Above the worst case of its HTTP retries (wikilake_core/http_budget.py).
            Duration.seconds(http_budget.plan_timeout_seconds()),
            {
                env_keys.BUCKET: props.bucket.bucket_name,
                env_keys.JOB_SCRIPTS: stack.to_json_string(
                    {"package_url": scripts.package_url, "entrypoint_urls": scripts.entrypoint_urls}
                ),
                env_keys.CLUSTER_NAME_PREFIX: props.name,
                env_keys.RUN_SIZING: props.run_bounds.to_json(),
                **self._contact_env(),
                **self._interactive_env(),
            },
            "plans a run: reads the dump's checksums, builds the job step, sizes the run",
        )

    def _ingest(self) -> lambda_.Function:
        props = self._props
        return self._function(
            "IngestFunction",
            "ingest_file",
            INGEST_TIMEOUT,
            {
                env_keys.BUCKET: props.bucket.bucket_name,
                **self._contact_env(),
                env_keys.LEASE_TABLE: props.leases.table.table_name,
                env_keys.DOWNLOAD_SLOTS: str(http_budget.MAX_DOWNLOADS),
                env_keys.LEASE_SECONDS: str(INGEST_TIMEOUT.to_seconds() + LEASE_MARGIN_SECONDS),
            },
            "ingests one dump file into raw/ (MD5-verified multipart upload)",
            memory=512,
            reserved_concurrency=props.ingest_reserved_concurrency,
        )

    def _record(self) -> lambda_.Function:
        props = self._props
        serverless = props.serverless
        return self._function(
            "RecordFunction",
            "record",
            RECORD_TIMEOUT,
            {
                env_keys.BUCKET: props.bucket.bucket_name,
                env_keys.ALERTS_TOPIC: props.alerts.topic_arn,
                **(
                    {env_keys.SERVERLESS_APPLICATION_ID: serverless.application.attr_application_id}
                    if serverless
                    else {}
                ),
                env_keys.DATABASE: props.database_name,
                env_keys.METRICS_NAMESPACE: props.metrics_namespace,
            },
            "verifies a run's manifest, estimates its cost, publishes and records it",
        )

    def _reap(self) -> lambda_.Function:
        """runtime=emr-serverless has no cluster to reap (a stopped .sync task cancels its job run,
        and EMR Serverless cancels one that outlives ExecutionTimeoutMinutes): its reap function
        only gives the day's lease back."""
        props = self._props
        clusters = {env_keys.CLUSTER_NAME_PREFIX: props.name} if props.clusters else {}
        reap = self._function(
            "ReapFunction",
            "reap",
            Duration.minutes(2),
            {env_keys.LEASE_TABLE: props.leases.table.table_name, **clusters, **self._interactive_env()},
            "gives back the day and ends the cluster of a run that timed out or was stopped",
        )
        # EventBridge invokes it asynchronously: when every attempt fails, keep the event.
        reap.configure_async_invoke(on_failure=lambda_destinations.SqsDestination(props.dead_letters), retry_attempts=2)
        return reap

    def _function(
        self,
        construct_id: str,
        module: str,
        timeout: Duration,
        environment: dict[str, str],
        purpose: str,
        memory: int = 256,
        reserved_concurrency: int | None = None,
    ) -> lambda_.Function:
        # Operational logs (the execution history, an audit log group, is what is kept in prod).
        log_group = logs.LogGroup(
            self._scope,
            f"{construct_id}Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=self._props.data_key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        function = lambda_.Function(
            self._scope,
            construct_id,
            runtime=LAMBDA_RUNTIME,
            code=self._code,
            handler=f"wikilake_functions.{module}.handler",
            timeout=timeout,
            memory_size=memory,
            environment=environment,
            log_group=log_group,
            reserved_concurrent_executions=reserved_concurrency,
            description=f"{self._props.name}: {purpose}",
            architecture=lambda_.Architecture.ARM_64,
        )
        nag.skip_checkov(
            function,
            "CKV_AWS_173",
            "The environment holds names and URLs (bucket, asset URLs, cluster name prefix, contact), "
            "no secret; Lambda encrypts it at rest with its own key.",
        )
        nag.acknowledge(
            function,
            nag.managed_policy_finding("service-role/AWSLambdaBasicExecutionRole"),
            "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; "
            "every other permission is an inline statement scoped to the lake prefixes it uses.",
        )
        return function
