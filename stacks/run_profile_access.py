"""What the pipeline needs to profile each run from its Spark event log (docs/monitoring.md): the
plan function makes the run's event-log folder exist (EMR on EC2), the record function reads the
log. Least privilege: objects under the event-log prefix of the runtime only, no listing beyond
the ListBucket the record function already has.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from stacks import nag
from wikilake_core import layout


def _objects_finding(lake_nag_name: str, prefix: str) -> str:
    return f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{lake_nag_name}/{prefix}/*]"


def grant_run_profiles(
    plan: lambda_.IFunction, record: lambda_.IFunction, bucket: s3.IBucket, lake_nag_name: str, *, serverless: bool
) -> None:
    """EMR on EC2: the plan writes the run's folder marker under logs/spark-events/, the record
    function reads the log the job's Spark wrote there. EMR Serverless: the record function reads
    the job run's event log under the application's log URI (logs/emr-serverless/)."""
    prefix = layout.EMR_SERVERLESS_LOGS if serverless else layout.SPARK_EVENT_LOGS
    record.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadEventLogs", actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{prefix}/*")]
        )
    )
    nag.acknowledge(
        record,
        _objects_finding(lake_nag_name, prefix),
        f"The record function reads the Spark event log of the run it records under {prefix}/ (folders "
        "named by run or job run id, known at run time) to profile it; read only.",
    )
    if serverless:
        return
    plan.add_to_role_policy(
        iam.PolicyStatement(
            sid="MakeEventLogFolder", actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{prefix}/*")]
        )
    )
    nag.acknowledge(
        plan,
        _objects_finding(lake_nag_name, prefix),
        f"The plan function writes the empty folder marker of the run's event log under {prefix}/<dataset>/"
        "dt=<dt>/run=<id>/ (run ids known at run time): Spark needs the folder to exist; nothing else.",
    )
