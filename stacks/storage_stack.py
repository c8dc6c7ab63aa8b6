"""StorageStack (stateful): the data-lake bucket, its access-log bucket and the shipped job code."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.job_code import JobCode
from stacks.lake_bucket import DATA_BUCKET_ID, lake_bucket_name_in_stack
from wikilake_core import contract, layout
from wikilake_core.contract import Outputs, job_entrypoint_output
from wikilake_settings.config import WikilakeConfig

ACCESS_LOG_PREFIX = "s3-access/"
ATHENA_RESULTS_DAYS = 7
LOG_DAYS = 30
RAW_TO_INFREQUENT_ACCESS_DAYS = 30
ACCESS_LOG_DAYS = 90  # audit evidence: kept longer than job logs
NONCURRENT_VERSION_DAYS = 30
# A superseded run's objects (tagged by the record function when a newer run of the day is
# published) stay this long: longer than any query that started on them can run (Athena's
# limit is hours), short enough that a rerun does not double a day's storage for long.
SUPERSEDED_RUN_DAYS = 7
INCOMPLETE_UPLOAD_DAYS = 1
# What CloudWatch Logs does with the key of an encrypted log group (AWS's documented key policy).
LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def removal_policy(config: WikilakeConfig) -> RemovalPolicy:
    """dev: `cdk destroy` removes everything; prod: stateful resources outlive their stack."""
    return RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY


def _housekeeping_rule() -> s3.LifecycleRule:
    return s3.LifecycleRule(
        id="housekeeping",
        noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
        abort_incomplete_multipart_upload_after=Duration.days(INCOMPLETE_UPLOAD_DAYS),
        expired_object_delete_marker=True,
    )


def _prefix(path: str) -> str:
    return path + "/"


def data_lifecycle_rules() -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id="expire-athena-results",
            prefix=_prefix(layout.ATHENA_RESULTS),
            expiration=Duration.days(ATHENA_RESULTS_DAYS),
        ),
        s3.LifecycleRule(id="expire-logs", prefix=_prefix(layout.LOGS), expiration=Duration.days(LOG_DAYS)),
        s3.LifecycleRule(
            id="raw-to-infrequent-access",
            prefix=_prefix(layout.RAW),
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(RAW_TO_INFREQUENT_ACCESS_DAYS),
                ),
            ],
        ),
        s3.LifecycleRule(
            id="expire-superseded-runs",
            tag_filters={contract.TAG_SUPERSEDED: contract.SUPERSEDED},
            expiration=Duration.days(SUPERSEDED_RUN_DAYS),
        ),
        _housekeeping_rule(),
    ]


class StorageStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: WikilakeConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = removal_policy(config)
        self.data_key = (
            kms.Key(
                self,
                "DataKey",
                description=f"{config.name} data lake objects and Athena results",
                enable_key_rotation=True,
                removal_policy=removal,
            )
            if config.kms
            else None
        )
        if self.data_key:
            self._let_logs_encrypt_with(self.data_key)

        self.access_log_bucket = self._bucket(
            "AccessLogBucket",
            config,
            encryption=s3.BucketEncryption.S3_MANAGED,  # log delivery needs SSE-S3
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(ACCESS_LOG_DAYS)),
                _housekeeping_rule(),
            ],
        )
        self.bucket = self._bucket(
            DATA_BUCKET_ID,
            config,
            bucket_name=lake_bucket_name_in_stack(config, self),
            encryption=s3.BucketEncryption.KMS if self.data_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=self.data_key,
            bucket_key_enabled=True if self.data_key else None,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
            lifecycle_rules=data_lifecycle_rules(),
        )
        self.job_code = JobCode(self, "JobCode")
        self._outputs()

    def _let_logs_encrypt_with(self, key: kms.Key) -> None:
        """The app's log groups (stacks/log_groups.py) are encrypted with the data key: CloudWatch
        Logs of this region may use it, only for log groups of this account and region (the
        encryption context names the log group)."""
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=LOGS_KEY_ACTIONS,
                resources=["*"],  # in a key policy, "*" is the key itself
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:*"
                        )
                    }
                },
            )
        )

    def _bucket(self, construct_id: str, config: WikilakeConfig, **props) -> s3.Bucket:
        return s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=removal_policy(config),
            auto_delete_objects=not config.is_prod,
            **props,
        )

    def _outputs(self) -> None:
        CfnOutput(self, Outputs.BUCKET, value=self.bucket.bucket_name, description="Data-lake bucket")
        CfnOutput(
            self,
            Outputs.JOBS_PACKAGE_URL,
            value=self.job_code.package.s3_object_url,
            description="Zip of the spark_jobs package (spark-submit --py-files)",
        )
        for dataset, asset in self.job_code.entrypoints.items():
            CfnOutput(
                self,
                job_entrypoint_output(dataset),
                value=asset.s3_object_url,
                description=f"Entrypoint of the {dataset} job",
            )
        CfnOutput(
            self,
            Outputs.DDL_URL,
            value=self.job_code.ddl.s3_object_url,
            description="Zip of athena_ddl/ (tables and named queries)",
        )
