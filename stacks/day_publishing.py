"""What the pipeline's functions need to keep one writer per day and publish a verified run
(docs/atomic-days.md): the record function repoints the day's Glue partitions and tags the day's
superseded run folders; the day-lease function reads who holds a day. Least privilege: the Glue
partition actions on this app's database and its processed tables only, tagging on the two lake
prefixes that hold run folders only.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from stacks import nag
from wikilake_core import layout
from wikilake_core.ddl import load_tables
from wikilake_core.run_history import HISTORY_TABLES

# GetTable: the partition's storage descriptor is the table's, with the run's location;
# DeletePartition: only to put back a first day's partition when publishing fails midway.
PARTITION_ACTIONS = [
    "glue:GetTable",
    "glue:GetPartition",
    "glue:CreatePartition",
    "glue:UpdatePartition",
    "glue:DeletePartition",
]
RUN_FOLDER_PREFIXES = (layout.PROCESSED, layout.REJECTED)


def catalog_arns(stack: Stack, database: str) -> list[str]:
    """The catalog, the database and each processed table (not the run history's, which are
    projected): Glue checks all three levels for a partition action
    (docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html)."""
    arn = lambda resource, name=None: stack.format_arn(  # noqa: E731
        service="glue", resource=resource, resource_name=name
    )
    return [
        stack.format_arn(service="glue", resource="catalog"),
        arn("database", database),
        *(arn("table", f"{database}/{table}") for table in load_tables() if table not in HISTORY_TABLES),
    ]


def grant_publish(function: lambda_.Function, bucket: s3.IBucket, database: str, lake_nag_name: str) -> None:
    stack = Stack.of(function)
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="RepointDayPartitions", actions=PARTITION_ACTIONS, resources=catalog_arns(stack, database)
        )
    )
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="TagSupersededRuns",
            actions=["s3:PutObjectTagging"],
            resources=[bucket.arn_for_objects(f"{prefix}/*") for prefix in RUN_FOLDER_PREFIXES],
        )
    )
    for prefix in RUN_FOLDER_PREFIXES:
        nag.acknowledge(
            function,
            nag.lake_objects_finding(lake_nag_name, prefix),
            f"The record function tags the objects of a day's superseded runs under {prefix}/<name>/dt=<dt>/"
            "run=<id>/ (names known at run time) for the lifecycle rule to expire; tagging only.",
        )


def grant_read_holder(function: lambda_.Function, table_arn: str) -> None:
    """GetItem on the lease table: a refused start names the execution holding the day."""
    function.add_to_role_policy(
        iam.PolicyStatement(sid="ReadLeaseHolder", actions=["dynamodb:GetItem"], resources=[table_arn])
    )
