"""The pipeline: one Step Functions state machine that runs (dataset, dt) end to end on compute
that exists only for the run, its Lambda functions, the alerts topic, the optional schedules.

    TakeDayLease (one writer per (dataset, dt): the day's lease, stacks/day_publishing.py,
    docs/atomic-days.md) -> Plan -> Ingest (Map, 3 at a time, one Lambda per dump file) -> SizeRun
    (the plan function again: core nodes and the job's deadline from the day's bytes under raw/) ->
    CreateCluster (RunJobFlow with the job step and the sized core nodes; no keep-alive, step
    failure terminates, idle auto-termination) -> poll ListSteps until the step ends or the
    deadline passes -> Terminate -> Verify+publish+record (Lambda) -> ReleaseDay ; any failure
    after the cluster exists (a step past its deadline too) -> Terminate -> ReleaseDayAfterFailure
    -> Notify (SNS) -> Fail.

Each run that ends badly alerts once: caught failures from NotifyFailure; failures no Catch sees
(States.Runtime, ...), a failed publish (AlertNotSent), timeouts and stops from EventBridge. What
an asynchronous delivery gives up on lands in the failure sink (stacks/failure_sink.py).

runtime=emr-serverless replaces the cluster states with one: StartJobRun (.sync) on the EMR
Serverless application (stacks/serverless_job.py) with the sized executors and deadline ->
Verify+record; a failed (or cancelled at its deadline) job run -> Notify.

Only aws-sdk EMR integrations (no .sync exists for them, and moto's interpreter runs them), so
the tests execute this very definition (tests/pipeline/). docs/running-daily.md explains it.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack, SymlinkFollowMode
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as lambda_destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import day_publishing, nag, run_profile_access, serverless_job
from stacks.config import WikilakeConfig
from stacks.failure_sink import FailureSink
from stacks.job_code import JobCode
from stacks.lake_bucket import lake_bucket_nag_name
from stacks.lease_table import LeaseTable
from stacks.log_groups import audit_log_group
from stacks.serverless_app import ServerlessApp
from wikilake_core import contract, http_budget, layout, run_sizing, runs
from wikilake_core import function_env as env_keys
from wikilake_core.cluster import ClusterDefinition
from wikilake_core.paths import PROJECT_ROOT

RUN_TIMEOUT = Duration.seconds(run_sizing.RUN_TIMEOUT_SECONDS)
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14  # the latest (cdk-nag L1)
# The dumps site allows a few connections per client: at most 3 downloads at once across every
# execution (a backfill runs several); the download slots of the lease table enforce it
# (stacks/lease_table.py), a reserved concurrency only when opted in (ingest_reserved_concurrency).
MAX_DOWNLOADS = 3
INGEST_TIMEOUT = Duration.minutes(15)  # Lambda's maximum; a pageviews hour is ~50 MB
# A download slot's hold outlives the function holding it by this much (clock skew, cold start).
LEASE_MARGIN_SECONDS = 60
# All slots held: the ingest function fails fast with SlotsBusy, retried until one frees up
# (a download takes ~20 s; every retry is one short invocation and one state transition).
SLOTS_BUSY_RETRY = {"interval": Duration.seconds(2), "backoff_rate": 2, "max_delay": Duration.seconds(30)}
SLOTS_BUSY_ATTEMPTS = 500  # > the run's 4 hours at max_delay
# Step Functions names an aws-sdk task's error <Service>.<ErrorName> (Step Functions developer
# guide, "AWS SDK service integrations"); an error EMR's API does not model (throttling by HTTP
# status, a 5xx) comes as the SDK's base exception, Emr.EmrException, as S3's 503 SlowDown comes as
# S3.S3Exception (cdklabs/construct-hub#1904). Retrying a permanent one costs ~2.5 minutes.
EMR_TRANSIENT_ERRORS = [
    "Emr.ThrottlingException",
    "Emr.InternalServerErrorException",
    "Emr.InternalServerException",
    "Emr.EmrException",
]
# RunJobFlow is retried only when throttled (the request was refused, nothing was created): after
# a 5xx (or an unmodelled Emr.EmrException) the cluster may exist, and a second one would write
# the same run folder.
EMR_REFUSED_ERRORS = ["Emr.ThrottlingException"]
# A day's writer lease outlives the run's timeout by this much: the backstop if neither the
# state machine nor the reap function gives it back.
DAY_LEASE_MARGIN = Duration.minutes(15)
RECORD_TIMEOUT = Duration.minutes(5)  # verify, repoint 3 partitions, tag up to ~1000 objects
LAMBDA_TRANSIENT_ERRORS = [
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
]
STEP_FAILED_STATES = ["FAILED", "CANCELLED", "INTERRUPTED"]
# A run whose own alert could not be published ends under this error; EventBridge alerts it instead.
ALERT_NOT_SENT = "AlertNotSent"
# Errors no catcher runs for (States.ALL does not catch States.Runtime or States.DataLimitExceeded):
# the run ends under them without publishing its alert.
UNCAUGHT_ERROR_PREFIX = "States."
# The services RunJobFlow passes the cluster roles to (the instance profile's role goes to EC2).
EMR_SERVICE = "elasticmapreduce.amazonaws.com"
EC2_SERVICE = "ec2.amazonaws.com"
EMR_CLEANUP_ROLE = "AWSServiceRoleForEMRCleanup"  # EMR's service-linked role, created at the first cluster
_PASS_ROLE_SIDS = {EMR_SERVICE: "PassServiceRoleToEmr", EC2_SERVICE: "PassInstanceRoleToEc2"}
# The functions' asset: the folder as it stands (handlers, and links to the packages they share), with
# the packages' targets copied in. Byte code is left out: it differs between machines and would change
# the asset's hash, and Lambda compiles what it imports.
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
FUNCTIONS_BYTE_CODE = ["**/__pycache__", "**/*.pyc"]


def run_bounds(config: WikilakeConfig) -> run_sizing.RunBounds:
    """What the plan function may give a run (context keys), for its SizeRun state."""
    return run_sizing.RunBounds(
        runtime=config.runtime,
        core_instance_type=config.core_instance_type,
        core_nodes_min=config.core_instance_count,
        core_nodes_max=config.run_core_nodes_max,
        target_seconds=config.run_target_minutes * 60,
        run_timeout_seconds=run_sizing.RUN_TIMEOUT_SECONDS,
        serverless_max_vcpu=config.serverless_max_vcpu,
        serverless_max_memory_gb=config.serverless_max_memory_gb,
        task_nodes=config.task_instance_count,
        managed_scaling_max=config.managed_scaling_max,
        task_spot=config.task_spot,
    )


class Pipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: WikilakeConfig,
        bucket: s3.IBucket,
        data_key: kms.IKey | None,
        job_code: JobCode,
        definition: ClusterDefinition | None,
        pass_roles: list[tuple[iam.IRole, str]],
        removal_policy: RemovalPolicy,
        serverless: ServerlessApp | None = None,
        leases: LeaseTable,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config, self.bucket, self.data_key = config, bucket, data_key
        self.serverless = serverless  # runtime=emr-serverless: the application the job runs on
        self._stack = Stack.of(self)
        self._removal = removal_policy
        self.alerts = self._alerts_topic()
        self.failures = FailureSink(self, "Failures", name=config.name, alerts=self.alerts)
        code = lambda_.Code.from_asset(
            str(FUNCTIONS_DIR), exclude=FUNCTIONS_BYTE_CODE, follow_symlinks=SymlinkFollowMode.ALWAYS
        )
        scripts = job_code.scripts
        common_env = {env_keys.BUCKET: bucket.bucket_name}
        self.plan_function = self._function(
            "PlanFunction",
            code,
            "plan",
            # Above the worst case of its HTTP retries (wikilake_core/http_budget.py).
            Duration.seconds(http_budget.plan_timeout_seconds()),
            {
                **common_env,
                env_keys.JOB_SCRIPTS: self._stack.to_json_string(
                    {"package_url": scripts.package_url, "entrypoint_urls": scripts.entrypoint_urls}
                ),
                env_keys.CLUSTER_NAME_PREFIX: config.name,
                env_keys.RUN_SIZING: run_bounds(config).to_json(),
                **({env_keys.CONTACT: config.contact} if config.contact else {}),
            },
            "plans a run: reads the dump's checksums, builds the job step, sizes the run",
        )
        self.ingest_function = self._function(
            "IngestFunction",
            code,
            "ingest_file",
            INGEST_TIMEOUT,
            {
                **common_env,
                **({env_keys.CONTACT: config.contact} if config.contact else {}),
                env_keys.LEASE_TABLE: leases.table.table_name,
                env_keys.DOWNLOAD_SLOTS: str(MAX_DOWNLOADS),
                env_keys.LEASE_SECONDS: str(INGEST_TIMEOUT.to_seconds() + LEASE_MARGIN_SECONDS),
            },
            "ingests one dump file into raw/ (MD5-verified multipart upload)",
            memory=512,
            reserved_concurrency=config.ingest_reserved_concurrency,
        )
        record_env = {
            **common_env,
            env_keys.ALERTS_TOPIC: self.alerts.topic_arn,  # failing `warn` quality checks
            **({env_keys.SERVERLESS_APPLICATION_ID: serverless.application.attr_application_id} if serverless else {}),
        }
        self.record_function = self._function(
            "RecordFunction",
            code,
            "record",
            RECORD_TIMEOUT,
            {**record_env, env_keys.DATABASE: config.database_name},
            "verifies a run's manifest, estimates its cost, publishes and records it",
        )
        lease_env = {env_keys.LEASE_TABLE: leases.table.table_name}
        self.day_lease_function = self._function(
            "DayLeaseFunction",
            code,
            "day_lease",
            Duration.minutes(1),
            {**lease_env, env_keys.DAY_LEASE_SECONDS: str((RUN_TIMEOUT.plus(DAY_LEASE_MARGIN)).to_seconds())},
            "takes and gives back a day's writer lease (one run per dataset and dt)",
        )
        # runtime=emr-serverless has no cluster to reap (a stopped .sync task cancels its job run,
        # and EMR Serverless cancels one that outlives ExecutionTimeoutMinutes): its reap function
        # only gives the day's lease back.
        self.reap_function = self._function(
            "ReapFunction",
            code,
            "reap",
            Duration.minutes(2),
            lease_env if serverless else {**lease_env, env_keys.CLUSTER_NAME_PREFIX: config.name},
            "gives back the day and ends the cluster of a run that timed out or was stopped",
        )
        if self.reap_function:
            # EventBridge invokes it asynchronously: when every attempt fails, keep the event.
            self.reap_function.configure_async_invoke(
                on_failure=lambda_destinations.SqsDestination(self.failures.queue), retry_attempts=2
            )
        self._grant_functions()
        self._grant_quality_checks()
        leases.grant_hold(self.ingest_function)
        leases.grant_hold(self.day_lease_function)
        leases.grant_release(self.reap_function)
        day_publishing.grant_read_holder(self.day_lease_function, leases.table.table_arn)
        day_publishing.grant_publish(self.record_function, bucket, config.database_name, lake_bucket_nag_name(config))
        run_profile_access.grant_run_profiles(
            self.plan_function, self.record_function, bucket, lake_bucket_nag_name(config), serverless=bool(serverless)
        )
        self.state_machine = self._state_machine(definition, pass_roles)
        self._events()
        for dataset, expression in config.schedule:
            self._schedule(dataset, expression)

    # --- functions ---

    def _function(
        self,
        construct_id: str,
        code: lambda_.Code,
        module: str,
        timeout: Duration,
        environment: dict,
        purpose: str,
        memory: int = 256,
        reserved_concurrency: int | None = None,
    ) -> lambda_.Function:
        # Operational logs (the execution history, an audit log group, is what is kept in prod).
        log_group = logs.LogGroup(
            self,
            f"{construct_id}Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=self.data_key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        function = lambda_.Function(
            self,
            construct_id,
            runtime=LAMBDA_RUNTIME,
            code=code,
            handler=f"wikilake_functions.{module}.handler",
            timeout=timeout,
            memory_size=memory,
            environment=environment,
            log_group=log_group,
            reserved_concurrent_executions=reserved_concurrency,
            description=f"{self.config.name}: {purpose}",
            architecture=lambda_.Architecture.ARM_64,
        )
        function.node.default_child.add_metadata(
            "checkov",
            {
                "skip": [
                    {
                        "id": "CKV_AWS_173",
                        "comment": "The environment holds names and URLs (bucket, asset URLs, cluster name "
                        "prefix, contact), no secret; Lambda encrypts it at rest with its own key.",
                    }
                ]
            },
        )
        nag.acknowledge(
            function,
            nag.managed_policy_finding("service-role/AWSLambdaBasicExecutionRole"),
            "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; "
            "every other permission is an inline statement scoped to the lake prefixes it uses.",
        )
        return function

    def _grant_functions(self) -> None:
        bucket = self.bucket
        raw = bucket.arn_for_objects(f"{layout.RAW}/*")
        manifests = bucket.arn_for_objects(f"{layout.MANIFESTS}/*")
        run_manifests = bucket.arn_for_objects(f"{layout.RUN_MANIFESTS}/*")
        self.ingest_function.add_to_role_policy(
            iam.PolicyStatement(
                sid="WriteRaw",
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resources=[raw],
            )
        )
        # ListBucket without a prefix condition: S3 answers HeadObject/GetObject of a missing key
        # with 404 only to a caller allowed to list the bucket (a HEAD carries no s3:prefix), 403
        # otherwise; the sink and the record function read 404 as "not there yet".
        self.ingest_function.add_to_role_policy(
            iam.PolicyStatement(sid="ListLake", actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        self.record_function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ReadWriteManifests", actions=["s3:GetObject", "s3:PutObject"], resources=[manifests]
            )
        )
        # The run's manifest, which the job wrote: read to verify and publish the run.
        self.record_function.add_to_role_policy(
            iam.PolicyStatement(sid="ReadRunManifests", actions=["s3:GetObject"], resources=[run_manifests])
        )
        self.record_function.add_to_role_policy(
            iam.PolicyStatement(sid="ListLake", actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        # The plan function lists the day under raw/: a dataset without a dump site must have it
        # there, and SizeRun sums its bytes. A listing only: no HEAD of a missing key is made.
        self.plan_function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ListRaw",
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{layout.RAW}/*"]}},
            )
        )
        if self.serverless:
            self.record_function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="ReadJobRuns",
                    actions=["emr-serverless:GetJobRun"],
                    resources=[serverless_job.job_runs_arn(self.serverless)],
                )
            )
        else:
            self.record_function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="DescribeRunClusters",
                    actions=["elasticmapreduce:DescribeCluster", "elasticmapreduce:ListInstanceGroups"],
                    resources=[self._cluster_arns()],
                    conditions=self._app_clusters_only(),
                )
            )
            self.reap_function.add_to_role_policy(
                iam.PolicyStatement(sid="FindRunClusters", actions=["elasticmapreduce:ListClusters"], resources=["*"])
            )
            self.reap_function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="EndRunClusters",
                    actions=["elasticmapreduce:DescribeCluster", "elasticmapreduce:TerminateJobFlows"],
                    resources=[self._cluster_arns()],
                    conditions=self._app_clusters_only(),
                )
            )
            nag.acknowledge(
                self.reap_function,
                "AwsSolutions-IAM5[Resource::*]",
                "elasticmapreduce:ListClusters has no resource-level permissions; describing and "
                "terminating are limited to clusters tagged with this app's Project and Stage.",
            )
            nag.acknowledge(
                self.reap_function,
                f"AwsSolutions-IAM5[{self._cluster_arn_finding()}]",
                "The run's cluster id is known only from its tags at run time; DescribeCluster and "
                "TerminateJobFlows only on clusters tagged with this app's Project and Stage.",
            )
        if self.data_key:
            # The lease table is encrypted with the data key too (kms=true).
            for function in (self.ingest_function, self.record_function, self.day_lease_function, self.reap_function):
                function.add_to_role_policy(
                    iam.PolicyStatement(
                        sid="UseDataKey",
                        actions=["kms:Decrypt", "kms:GenerateDataKey"],
                        resources=[self.data_key.key_arn],
                    )
                )
        lake = lake_bucket_nag_name(self.config)
        nag.acknowledge(
            self.ingest_function,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{lake}/raw/*]",
            "The ingest function writes dump files named by Wikimedia under raw/<dataset>/dt=<dt>/, "
            "known only at run time; nothing outside raw/.",
        )
        nag.acknowledge(
            self.record_function,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{lake}/{layout.MANIFESTS}/*]",
            "The record function reads the dataset's day manifests (the quality checks' history) and "
            "writes manifests/<dataset>/dt=<dt>/manifest.json of the run it publishes; nothing outside manifests/.",
        )
        nag.acknowledge(
            self.record_function,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{lake}/{layout.RUN_MANIFESTS}/*]",
            "The record function reads run-manifests/<dataset>/dt=<dt>/run=<id>/manifest.json of the run "
            "it verifies (run ids known at run time); read only, nothing outside run-manifests/.",
        )
        if self.serverless:
            nag.acknowledge(
                self.record_function,
                self._job_runs_finding(),
                "Job runs get their ids at run time; GetJobRun only (the billed resource "
                "utilization of the run it records), on this app's one application.",
            )
        else:
            nag.acknowledge(
                self.record_function,
                f"AwsSolutions-IAM5[{self._cluster_arn_finding()}]",
                "Run clusters get their ids at run time; DescribeCluster and ListInstanceGroups only, "
                "and only on clusters tagged with this app's Project and Stage.",
            )

    def _grant_quality_checks(self) -> None:
        """The record function's quality step: it reads the dataset's earlier manifests (the
        ReadWriteManifests statement), writes the day's quality rows and publishes warnings."""
        self.record_function.add_to_role_policy(
            iam.PolicyStatement(
                sid="WriteQuality",
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects(f"{layout.QUALITY}/*")],
            )
        )
        # The alerts topic is not KMS-encrypted (see _alerts_topic): Publish on it is all it takes.
        self.record_function.add_to_role_policy(
            iam.PolicyStatement(
                sid="PublishQualityWarnings", actions=["sns:Publish"], resources=[self.alerts.topic_arn]
            )
        )
        nag.acknowledge(
            self.record_function,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{lake_bucket_nag_name(self.config)}/"
            f"{layout.QUALITY}/*]",
            "The record function writes quality/<dataset>/dt=<dt>/checks.json of the run it records; "
            "nothing else under quality/ or outside it.",
        )

    def _cluster_arns(self) -> str:
        return self._stack.format_arn(service="elasticmapreduce", resource="cluster", resource_name="*")

    def _cluster_arn_finding(self) -> str:
        return "Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*"

    def _job_runs_finding(self) -> str:
        return serverless_job.job_runs_finding(self.serverless, self._stack.get_logical_id(self.serverless.application))

    def _app_tags_requested(self) -> dict:
        tags = self.config.tags
        return {
            "StringEquals": {
                f"aws:RequestTag/{contract.TAG_PROJECT}": tags[contract.TAG_PROJECT],
                f"aws:RequestTag/{contract.TAG_STAGE}": tags[contract.TAG_STAGE],
            }
        }

    def _app_clusters_only(self) -> dict:
        tags = self.config.tags
        return {
            "StringEquals": {
                f"aws:ResourceTag/{contract.TAG_PROJECT}": tags[contract.TAG_PROJECT],
                f"aws:ResourceTag/{contract.TAG_STAGE}": tags[contract.TAG_STAGE],
            }
        }

    # --- alerts ---

    def _alerts_topic(self) -> sns.Topic:
        topic = sns.Topic(self, "Alerts", display_name=f"{self.config.name} pipeline alerts", enforce_ssl=True)
        if self.config.alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.config.alert_email))
        topic.node.default_child.add_metadata(
            "checkov",
            {
                "skip": [
                    {
                        "id": "CKV_AWS_26",
                        "comment": "Alerts carry run ids and error messages, no lake data; EventBridge can "
                        "publish to an encrypted topic only with a customer-managed key whose policy admits "
                        "events.amazonaws.com. Publishing requires TLS (enforce_ssl).",
                    }
                ]
            },
        )
        return topic

    def _alert(self) -> events_targets.SnsTopic:
        """The alerts topic as a rule target; what EventBridge cannot deliver lands in the sink."""
        return events_targets.SnsTopic(self.alerts, dead_letter_queue=self.failures.queue)

    def _events(self) -> None:
        if self.serverless:
            events.Rule(
                self,
                "JobRunFailedRule",
                description=f"{self.config.name}: a job run of this app failed",
                event_pattern=events.EventPattern(
                    source=["aws.emr-serverless"],
                    detail_type=["EMR Serverless Job Run State Change"],
                    detail={"state": ["FAILED"], "applicationId": [self.serverless.application.attr_application_id]},
                ),
                targets=[self._alert()],
            )
        else:
            self._cluster_failed_rule()
        ended = lambda detail: events.EventPattern(  # noqa: E731
            source=["aws.states"],
            detail_type=["Step Functions Execution Status Change"],
            detail={**detail, "stateMachineArn": [self.state_machine.state_machine_arn]},
        )
        # TIMED_OUT and ABORTED end without running another state: no NotifyFailure.
        events.Rule(
            self,
            "RunTimedOutRule",
            description=f"{self.config.name}: a pipeline run timed out or was stopped",
            event_pattern=ended({"status": ["TIMED_OUT", "ABORTED"]}),
            targets=[self._alert()],
        )
        # A FAILED run alerts exactly once. Every caught failure publishes from NotifyFailure and
        # ends under a name of ours (never States.*: see OwnError?); these two did not publish: an
        # error no catcher runs for (States.Runtime, States.DataLimitExceeded) and a publish that
        # failed. The message is the whole event: "the detail section in the event data provides the
        # same information as the DescribeExecution API" (Step Functions developer guide, events),
        # whose answer carries error, cause, executionArn and input (Step Functions API reference).
        events.Rule(
            self,
            "RunFailedUnalertedRule",
            description=f"{self.config.name}: a pipeline run failed without publishing its alert",
            event_pattern=ended({"status": ["FAILED"], "error": [{"prefix": UNCAUGHT_ERROR_PREFIX}, ALERT_NOT_SENT]}),
            targets=[self._alert()],
        )
        if self.reap_function:
            events.Rule(
                self,
                "ReapRule",
                description=f"{self.config.name}: end the cluster of a run that did not",
                event_pattern=ended({"status": ["TIMED_OUT", "ABORTED", "FAILED"]}),
                targets=[
                    events_targets.LambdaFunction(
                        self.reap_function, retry_attempts=4, dead_letter_queue=self.failures.queue
                    )
                ],
            )

    def _cluster_failed_rule(self) -> None:
        events.Rule(
            self,
            "ClusterFailedRule",
            description=f"{self.config.name}: a cluster of this app failed",
            event_pattern=events.EventPattern(
                source=["aws.emr"],
                detail_type=["EMR Cluster State Change"],
                detail={"state": ["TERMINATED_WITH_ERRORS"], "name": [{"prefix": self.config.name}]},
            ),
            targets=[self._alert()],
        )

    # --- schedule ---

    def _schedule(self, dataset: str, expression: str) -> None:
        scheduler.Schedule(
            self,
            f"Schedule{dataset.title()}",
            description=f"{self.config.name}: run {dataset} for the previous UTC day",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object(runs.scheduled_input(dataset)),
                retry_attempts=2,
                max_event_age=Duration.hours(2),
                dead_letter_queue=self.failures.queue,
            ),
        )

    # --- the state machine ---

    def _emr(
        self,
        construct_id: str,
        action: str,
        parameters: dict,
        *,
        result_selector: dict | None = None,
        result_path: str | None = None,
    ) -> tasks.CallAwsService:
        iam_action = "elasticmapreduce:" + action[0].upper() + action[1:]
        task = tasks.CallAwsService(
            self,
            construct_id,
            service="emr",
            action=action,
            iam_action=iam_action,
            iam_resources=["*"] if action == "runJobFlow" else [self._cluster_arns()],
            parameters=parameters,
            result_selector=result_selector,
            result_path=result_path if result_path is not None else sfn.JsonPath.DISCARD,
        )
        retried = EMR_REFUSED_ERRORS if action == "runJobFlow" else EMR_TRANSIENT_ERRORS
        task.add_retry(errors=retried, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
        # The task grants its action in one statement without conditions (CDK's taskPolicies): RunJobFlow
        # only for a cluster tagged as this app's, the rest only on such clusters. Both condition keys
        # are listed for these actions in the Service Authorization Reference (Amazon EMR).
        (statement,) = task._task_policies
        statement.add_conditions(self._app_tags_requested() if action == "runJobFlow" else self._app_clusters_only())
        return task

    def _invoke(self, construct_id: str, function: lambda_.IFunction, payload: dict, **kwargs) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            construct_id,
            lambda_function=function,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            retry_on_service_exceptions=False,
            **kwargs,
        )
        task.add_retry(
            errors=LAMBDA_TRANSIENT_ERRORS,
            interval=Duration.seconds(5),
            backoff_rate=2,
            max_attempts=8,
            jitter_strategy=sfn.JitterType.FULL,
        )
        return task

    def _day_lease(self, construct_id: str, action: str) -> tasks.LambdaInvoke:
        """Take or give back the execution's day (functions/wikilake_functions/day_lease.py); the state's
        input passes through unchanged."""
        J = sfn.JsonPath
        return self._invoke(
            construct_id,
            self.day_lease_function,
            {
                "action": action,
                "input": J.object_at("$$.Execution.Input"),
                "started_at": J.string_at("$$.Execution.StartTime"),
                "execution": J.string_at("$$.Execution.Id"),
            },
            result_path=J.DISCARD,
        )

    def _state_machine(
        self, definition: ClusterDefinition, pass_roles: list[tuple[iam.IRole, str]]
    ) -> sfn.StateMachine:
        J = sfn.JsonPath
        error = "$.error"

        # Our errors (IngestFailed, JobFailed, VerificationFailed, Emr.*) end the run under their own
        # name; Step Functions' own (States.Runtime, ...) may not be re-raised by a Fail state.
        fail = (
            sfn.Choice(self, "OwnError?")
            .when(
                sfn.Condition.string_matches("$.error.Error", "States.*"),
                sfn.Fail(self, "RunFailedInternally", error="PipelineError", cause_path="$.error.Cause"),
            )
            .otherwise(sfn.Fail(self, "RunFailed", error_path="$.error.Error", cause_path="$.error.Cause"))
        )
        notify = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=self.alerts,
            subject=f"{self.config.name}: pipeline run failed",
            message=sfn.TaskInput.from_text(
                J.format(
                    "wikilake run failed: {} ({}). Execution: {}. Input: {}",
                    J.string_at("$.error.Error"),
                    J.string_at("$.error.Cause"),
                    J.string_at("$$.Execution.Id"),
                    J.json_to_string(J.object_at("$$.Execution.Input")),
                )
            ),
            result_path=J.DISCARD,
        )
        notify.add_retry(
            errors=["SNS.ThrottledException", "SNS.InternalErrorException"],
            interval=Duration.seconds(5),
            backoff_rate=2,
            max_attempts=5,
        )
        # The alert could not be published: end under ALERT_NOT_SENT, which EventBridge alerts.
        alert_not_sent = sfn.Fail(
            self,
            "RunFailedUnalerted",
            error=ALERT_NOT_SENT,
            cause_path=J.format("{}: {}", J.string_at("$.error.Error"), J.string_at("$.error.Cause")),
        )
        notify.add_catch(alert_not_sent, errors=["States.ALL"], result_path="$.notify_error")
        notify.next(fail)
        # Every failure gives the day back first (the release is conditional: never another's hold).
        on_failure = self._day_lease("ReleaseDayAfterFailure", "release")
        on_failure.add_catch(notify, errors=["States.ALL"], result_path="$.release_error")
        on_failure.next(notify)
        take_day = self._day_lease("TakeDayLease", "take")
        take_day.add_catch(notify, errors=["States.ALL"], result_path=error)
        release_day = self._day_lease("ReleaseDay", "release")

        plan = self._invoke(
            "Plan",
            self.plan_function,
            {
                "input": J.object_at("$"),
                "started_at": J.string_at("$$.Execution.StartTime"),
                "run_id": J.string_at("$$.Execution.Name"),
            },
            result_path="$.plan",
        )
        plan.add_catch(on_failure, errors=["States.ALL"], result_path=error)

        ingest_one = self._invoke(
            "IngestFile",
            self.ingest_function,
            {
                "dataset": J.string_at("$.dataset"),
                "dt": J.string_at("$.dt"),
                "file": J.object_at("$.file"),
                "execution": J.string_at("$$.Execution.Id"),
            },
        )
        ingest_one.add_retry(
            errors=["SlotsBusy"],
            max_attempts=SLOTS_BUSY_ATTEMPTS,
            jitter_strategy=sfn.JitterType.FULL,
            **SLOTS_BUSY_RETRY,
        )
        ingest = sfn.Map(
            self,
            "Ingest",
            items_path="$.plan.files",
            max_concurrency=MAX_DOWNLOADS,
            item_selector={
                "dataset": J.string_at("$.plan.run.dataset"),
                "dt": J.string_at("$.plan.run.dt"),
                "file": J.string_at("$$.Map.Item.Value"),
            },
            result_path=J.DISCARD,
        )
        ingest.item_processor(ingest_one)
        ingest.add_catch(on_failure, errors=["States.ALL"], result_path=error)
        # The day is under raw/: its bytes size the job's compute and deadline (plan.size).
        size_run = self._invoke(
            "SizeRun",
            self.plan_function,
            {"size": {"run": J.object_at("$.plan.run"), "started_at": J.string_at("$$.Execution.StartTime")}},
            result_path="$.plan.size",
        )
        size_run.add_catch(on_failure, errors=["States.ALL"], result_path=error)

        if self.serverless:  # runtime=emr-serverless: one job-run state instead of the cluster's
            job = serverless_job.start_job_run(self, "RunJob", app=self.serverless)
            job.add_catch(on_failure, errors=["States.ALL"], result_path=error)
            record = self._invoke(
                "VerifyAndRecord",
                self.record_function,
                {"run": J.object_at("$.plan.run"), "job_run": J.object_at("$.job_run")},
            )
            record.add_catch(on_failure, errors=["States.ALL"], result_path=error)
            chain = take_day.next(plan).next(ingest).next(size_run).next(job).next(record).next(release_day)
            return self._machine(chain, "job run on the EMR Serverless application")

        terminate_on_failure = self._emr(
            "TerminateAfterFailure", "terminateJobFlows", {"JobFlowIds": J.array(J.string_at("$.cluster.ClusterId"))}
        )
        terminate_on_failure.add_catch(on_failure, errors=["States.ALL"], result_path="$.cleanup_error")
        terminate_on_failure.next(on_failure)

        tags = (
            (contract.TAG_RUN_DATASET, J.string_at("$.plan.run.dataset")),
            (contract.TAG_RUN_DT, J.string_at("$.plan.run.dt")),
            (contract.TAG_RUN_EXECUTION, J.string_at("$$.Execution.Id")),
        )
        request = definition.run_job_flow_request(
            name=J.string_at("$.plan.cluster_name"),
            steps=J.list_at("$.plan.steps"),
            extra_tags=tags,
            core_count=J.number_at("$.plan.size.core_nodes"),
            compute_limits=J.object_at("$.plan.size.compute_limits") if definition.managed_scaling else None,
        )
        create = self._emr(
            "CreateCluster",
            "runJobFlow",
            request,
            result_selector={"ClusterId": J.string_at("$.JobFlowId")},
            result_path="$.cluster",
        )
        create.add_catch(on_failure, errors=["States.ALL"], result_path=error)

        wait = sfn.Wait(self, "WaitForJob", time=sfn.WaitTime.seconds_path("$.plan.poll_seconds"))
        poll = self._emr(
            "PollJob",
            "listSteps",
            {"ClusterId": J.string_at("$.cluster.ClusterId")},
            result_selector={"State": J.string_at("$.Steps[0].Status.State"), "Id": J.string_at("$.Steps[0].Id")},
            result_path="$.step",
        )
        poll.add_catch(terminate_on_failure, errors=["States.ALL"], result_path=error)
        job_failed = sfn.Pass(
            self,
            "JobFailed",
            result_path=error,
            parameters={
                "Error": "JobFailed",
                "Cause": J.format(
                    "job step {} on cluster {} ended {}; step logs under {}{}/steps/{}/",
                    J.string_at("$.step.Id"),
                    J.string_at("$.cluster.ClusterId"),
                    J.string_at("$.step.State"),
                    definition.log_uri,
                    J.string_at("$.cluster.ClusterId"),
                    J.string_at("$.step.Id"),
                ),
            },
        )
        job_failed.next(terminate_on_failure)
        # EMR steps have no timeout: the poll loop counts down the polls the plan's deadline allows.
        start_deadline = sfn.Pass(
            self,
            "StartJobDeadline",
            parameters={"polls_left": J.number_at("$.plan.size.deadline_polls")},
            result_path="$.deadline",
        )
        count_poll = sfn.Pass(
            self,
            "CountPoll",
            parameters={"polls_left": J.math_add(J.number_at("$.deadline.polls_left"), -1)},
            result_path="$.deadline",
        )
        job_timed_out = sfn.Pass(
            self,
            "JobTimedOut",
            result_path=error,
            parameters={
                "Error": "JobTimedOut",
                "Cause": J.format(
                    "job step {} on cluster {} still {} at its deadline, {} s after the cluster was requested "
                    "(sized for {} bytes: ~{} s of job on {} core nodes); the cluster is terminated",
                    J.string_at("$.step.Id"),
                    J.string_at("$.cluster.ClusterId"),
                    J.string_at("$.step.State"),
                    J.string_at("$.plan.size.timeout_seconds"),
                    J.string_at("$.plan.size.input_bytes"),
                    J.string_at("$.plan.size.estimated_seconds"),
                    J.string_at("$.plan.size.core_nodes"),
                ),
            },
        )
        job_timed_out.next(terminate_on_failure)
        deadline = (
            sfn.Choice(self, "DeadlinePassed?")
            .when(sfn.Condition.number_less_than_equals("$.deadline.polls_left", 1), job_timed_out)
            .otherwise(count_poll.next(wait))
        )

        terminate = self._emr(
            "TerminateCluster", "terminateJobFlows", {"JobFlowIds": J.array(J.string_at("$.cluster.ClusterId"))}
        )
        terminate.add_catch(terminate_on_failure, errors=["States.ALL"], result_path=error)
        record = self._invoke(
            "VerifyAndRecord",
            self.record_function,
            {"run": J.object_at("$.plan.run"), "cluster_id": J.string_at("$.cluster.ClusterId")},
        )
        record.add_catch(terminate_on_failure, errors=["States.ALL"], result_path=error)

        job_done = (
            sfn.Choice(self, "JobDone?")
            .when(sfn.Condition.string_equals("$.step.State", "COMPLETED"), terminate.next(record).next(release_day))
            .when(
                sfn.Condition.or_(*(sfn.Condition.string_equals("$.step.State", s) for s in STEP_FAILED_STATES)),
                job_failed,
            )
            .otherwise(deadline)
        )
        chain = (
            take_day.next(plan)
            .next(ingest)
            .next(size_run)
            .next(create)
            .next(start_deadline)
            .next(wait)
            .next(poll)
            .next(job_done)
        )
        machine = self._machine(chain, "job on a transient EMR cluster")
        self._grant_pass_cluster_roles(machine, pass_roles)
        self._grant_tag_run_clusters(machine, request["Tags"])
        nag.acknowledge(
            machine,
            "AwsSolutions-IAM5[Resource::*]",
            "RunJobFlow has no resource-level permissions (the cluster does not exist yet); CloudWatch "
            "Logs delivery and X-Ray tracing for the state machine take * as AWS documents.",
        )
        nag.acknowledge(
            machine,
            f"AwsSolutions-IAM5[{self._cluster_arn_finding()}]",
            "Run clusters get their ids at run time: ListSteps, TerminateJobFlows and AddTags on "
            "EMR clusters of this account and region tagged with this app's Project and Stage only.",
        )
        return machine

    def _grant_tag_run_clusters(self, machine: sfn.StateMachine, tags: list[dict]) -> None:
        """RunJobFlow with Tags is also authorized as elasticmapreduce:AddTags (Service Authorization
        Reference, Amazon EMR: the API operations table lists AddTags, RunJobFlow and iam:PassRole for
        RunJobFlow). AddTags takes aws:RequestTag, aws:TagKeys and aws:ResourceTag: only this app's
        Project and Stage, only the keys a run's request carries, and never onto a cluster of another
        project or stage. (No plain aws:ResourceTag condition: a cluster being created has no tags
        yet; IfExists lets that case through.)"""
        app = self.config.tags
        machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="TagRunClusters",
                actions=["elasticmapreduce:AddTags"],
                resources=[self._cluster_arns()],
                conditions={
                    **self._app_tags_requested(),
                    "ForAllValues:StringEquals": {"aws:TagKeys": sorted(t["Key"] for t in tags)},
                    "StringEqualsIfExists": {
                        f"aws:ResourceTag/{contract.TAG_PROJECT}": app[contract.TAG_PROJECT],
                        f"aws:ResourceTag/{contract.TAG_STAGE}": app[contract.TAG_STAGE],
                    },
                },
            )
        )

    def _grant_pass_cluster_roles(self, machine: sfn.StateMachine, pass_roles: list[tuple[iam.IRole, str]]) -> None:
        """RunJobFlow passes each role to the service that assumes it; EMR may create its cleanup role.

        AWS's AmazonEMRFullAccessPolicy_v2 passes the service role only to elasticmapreduce.amazonaws.com
        and the instance role only to ec2.amazonaws.com (statement PassRoleForEC2), and lets the caller
        create the AWSServiceRoleForEMRCleanup service-linked role, which EMR creates at the first
        cluster of an account (docs.aws.amazon.com/aws-managed-policy/latest/reference/
        AmazonEMRFullAccessPolicy_v2.html; .../emr/latest/ManagementGuide/using-service-linked-roles-cleanup.html).
        """
        for role, service in pass_roles:
            machine.add_to_role_policy(
                iam.PolicyStatement(
                    sid=_PASS_ROLE_SIDS[service],
                    actions=["iam:PassRole"],
                    resources=[role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": service}},
                )
            )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="CreateEmrCleanupRole",
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    f"arn:{self._stack.partition}:iam::{self._stack.account}:role/aws-service-role/"
                    f"{EMR_SERVICE}/{EMR_CLEANUP_ROLE}"
                ],
                conditions={"StringEquals": {"iam:AWSServiceName": EMR_SERVICE}},
            )
        )

    def _machine(self, chain: sfn.IChainable, job: str) -> sfn.StateMachine:
        log_group = audit_log_group(self, "ExecutionLogs", config=self.config, data_key=self.data_key)
        machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            timeout=RUN_TIMEOUT,
            tracing_enabled=True,
            comment=f"{self.config.name}: one run of (dataset, dt): ingest, {job}, verify, record",
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        invoked = (self.day_lease_function, self.plan_function, self.ingest_function, self.record_function)
        for function in invoked:  # invoked by the machine
            nag.acknowledge(
                machine,
                f"AwsSolutions-IAM5[Resource::<{self._stack.get_logical_id(function.node.default_child)}.Arn>:*]",
                "lambda:InvokeFunction on the function's versions and aliases (CDK's grantInvoke "
                "adds <arn>:*); only the pipeline's own four functions.",
            )
        if self.serverless:
            serverless_job.grant_start_job_run(machine.role, self.serverless)
            nag.acknowledge(
                machine,
                self._job_runs_finding(),
                "Job runs get their ids at run time: StartJobRun (with its tags), GetJobRun and "
                "CancelJobRun for the .sync integration, on this app's one application only.",
            )
            nag.acknowledge(
                machine,
                "AwsSolutions-IAM5[Resource::*]",
                "CloudWatch Logs delivery and X-Ray tracing for the state machine take * as AWS "
                "documents; the job-run permissions are scoped to the application.",
            )
        return machine
