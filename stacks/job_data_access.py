"""What a Spark job's role may touch, whichever runtime runs it: the lake prefixes the jobs read
and write, this app's Glue tables and the lake's key. One definition for the EMR nodes' instance
role (stacks/emr_roles.py) and the EMR Serverless execution role (stacks/serverless_app.py); each
adds its own log prefix and whatever else its runtime needs.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from stacks import nag
from wikilake_core import layout

READ_PREFIXES = (layout.RAW, layout.PROCESSED, layout.REJECTED, layout.RUN_MANIFESTS)
OUTPUT_PREFIXES = (layout.PROCESSED, layout.REJECTED, layout.RUN_MANIFESTS)
# Why a job needs every object under each prefix (keys are generated at run time).
PREFIX_USES = {
    layout.RAW: "the jobs read the day's dump files, named by Wikimedia",
    layout.PROCESSED: "the jobs replace dt partitions of their tables (Spark part-file names)",
    layout.REJECTED: "the jobs write the records they reject, per dataset and dt",
    layout.RUN_MANIFESTS: "the jobs write their run's manifest (per dataset, dt and run); the publisher copies it",
}
GLUE_READ_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
]
# The whole lake's key names, and the data key (kms=true): what every role reading the lake gets,
# under these statement ids (stacks/function_grants.py too).
LIST_LAKE = "ListLake"
USE_DATA_KEY = "UseDataKey"
DATA_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
# The Glue metastore client checks for (and creates, when missing) the `default` database at start.
GLUE_DEFAULT_DATABASE = "default"


def under(prefixes: Iterable[str]) -> list[str]:
    return [f"{prefix}/*" for prefix in prefixes]


def allow(role: iam.IRole, sid: str, actions: list[str], resources: list[str], conditions: dict | None = None) -> None:
    role.add_to_principal_policy(
        iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions)
    )


def glue_arn(stack: Stack, resource: str, name: str | None = None) -> str:
    return stack.format_arn(
        service="glue", resource=resource, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
    )


def grant_job_data(
    role: iam.IRole,
    *,
    bucket: s3.IBucket,
    data_key: kms.IKey | None,
    log_prefix: str,
    database: str,
    table_names: Iterable[str],
) -> None:
    """List, read and write the lake prefixes a job uses (plus ``log_prefix``, the runtime's own
    logs), use the lake's key, and read this app's Glue database and tables."""
    writes = (*OUTPUT_PREFIXES, log_prefix)
    # The whole bucket's key names, no condition: S3 answers a HEAD of a missing key with 404 only
    # to a caller allowed s3:ListBucket on the bucket, and with 403 otherwise (Amazon S3 API
    # Reference, HeadObject, "Permissions"). A HEAD carries no s3:prefix, so a ListBucket limited by
    # s3:prefix does not count. Spark's filesystems probe a path with HEAD before they list it
    # (does processed/<table>/dt=<dt> exist yet?); Hadoop's S3A reports a 403 as
    # AccessDeniedException, not as "no such file", and EMRFS (closed source) is taken to do the
    # same: a prefix-limited listing would fail the first run of every dt. Reading and writing
    # objects stays limited to the lake prefixes below.
    allow(role, LIST_LAKE, ["s3:ListBucket"], [bucket.bucket_arn])
    allow(role, "ReadLake", ["s3:GetObject"], [bucket.arn_for_objects(p) for p in under(READ_PREFIXES)])
    allow(
        role,
        "WriteJobOutputs",
        ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        [bucket.arn_for_objects(p) for p in under(writes)],
    )
    if data_key:
        allow(role, USE_DATA_KEY, DATA_KEY_ACTIONS, [data_key.key_arn])
    stack = Stack.of(role)
    allow(
        role,
        "ReadCatalog",
        GLUE_READ_ACTIONS,
        [
            glue_arn(stack, "catalog"),
            glue_arn(stack, "database", database),
            glue_arn(stack, "database", GLUE_DEFAULT_DATABASE),
            *(glue_arn(stack, "table", f"{database}/{table}") for table in table_names),
        ],
    )
    allow(
        role,
        "CreateDefaultDatabase",
        ["glue:CreateDatabase"],
        [glue_arn(stack, "catalog"), glue_arn(stack, "database", GLUE_DEFAULT_DATABASE)],
    )


def acknowledge_lake_prefixes(role: iam.IRole, bucket_nag_name: str, log_prefix: str, log_use: str) -> None:
    """cdk-nag's IAM5 finding for each prefix's objects, with why the job needs all of them."""
    for prefix, use in {**PREFIX_USES, log_prefix: log_use}.items():
        nag.acknowledge(
            role,
            nag.lake_objects_finding(bucket_nag_name, prefix),
            f"Objects under {prefix}/ of the lake bucket only: {use}.",
        )


def grant_spark_event_logs(role: iam.IRole, bucket: s3.IBucket, bucket_nag_name: str) -> None:
    """EMR on EC2: the job's Spark writes the run's event log under logs/spark-events/ (its own
    folder per run, wikilake_core/event_logs.py). Spark writes <app>.inprogress and renames it at
    the end; on S3 a rename is a copy (GetObject of the source) and a delete."""
    allow(
        role,
        "WriteSparkEventLogs",
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        [bucket.arn_for_objects(f"{layout.SPARK_EVENT_LOGS}/*")],
    )
    nag.acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket_nag_name}/{layout.SPARK_EVENT_LOGS}/*]",
        f"Objects under {layout.SPARK_EVENT_LOGS}/ of the lake bucket only: the job's Spark writes (and "
        "renames) its run's event log in the run's folder, named at run time.",
    )
