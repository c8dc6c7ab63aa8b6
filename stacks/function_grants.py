"""What each of the pipeline's functions may do, as inline statements scoped to the lake prefixes,
the lease table, the catalog and the compute it uses, with the cdk-nag acknowledgment of each
wildcard a run-time name makes necessary.

Statements are added to each function's role in a fixed order (the template's policy documents
list them in that order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from stacks import day_publishing, nag, run_clusters, run_profile_access, serverless_job
from stacks.job_data_access import DATA_KEY_ACTIONS, LIST_LAKE, USE_DATA_KEY
from wikilake_core import layout

if TYPE_CHECKING:
    from stacks.pipeline_functions import FunctionsProps, PipelineFunctions


def grant(functions: PipelineFunctions, props: FunctionsProps) -> None:
    _grant_ingest(functions.ingest, props)
    _grant_record(functions.record, props)
    _grant_plan(functions.plan, props)
    _grant_reap(functions.reap, props)
    _grant_day_lease(functions.day_lease, props)
    run_profile_access.grant_run_profiles(
        functions.plan, functions.record, props.bucket, props.lake_nag_name, serverless=props.serverless is not None
    )


def _allow(function: lambda_.Function, sid: str, actions: list[str], resources: list[str], **kwargs) -> None:
    function.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources, **kwargs))


def _use_data_key(function: lambda_.Function, props: FunctionsProps) -> None:
    """kms=true: the lake's objects and the lease table are encrypted with the data key."""
    if props.data_key:
        _allow(function, USE_DATA_KEY, DATA_KEY_ACTIONS, [props.data_key.key_arn])


def _grant_ingest(ingest: lambda_.Function, props: FunctionsProps) -> None:
    bucket = props.bucket
    _allow(
        ingest,
        "WriteRaw",
        ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        [bucket.arn_for_objects(f"{layout.RAW}/*")],
    )
    # ListBucket without a prefix condition: S3 answers a HEAD or GET of a missing key with 404 only
    # to a caller allowed to list the bucket, 403 otherwise (stacks/job_data_access.py); the ingest
    # sink and the record function read 404 as "not there yet".
    _allow(ingest, LIST_LAKE, ["s3:ListBucket"], [bucket.bucket_arn])
    _use_data_key(ingest, props)
    props.leases.grant_hold(ingest)  # the download slots
    nag.acknowledge(
        ingest,
        nag.lake_objects_finding(props.lake_nag_name, layout.RAW),
        "The ingest function writes dump files named by Wikimedia under raw/<dataset>/dt=<dt>/, "
        "known only at run time; nothing outside raw/.",
    )


def _grant_record(record: lambda_.Function, props: FunctionsProps) -> None:
    """Verify a run from its manifest, price its compute, check its quality, publish its day."""
    bucket = props.bucket
    _allow(
        record,
        "ReadWriteManifests",
        ["s3:GetObject", "s3:PutObject"],
        [bucket.arn_for_objects(f"{layout.MANIFESTS}/*")],
    )
    # The run's manifest, which the job wrote: read to verify and publish the run.
    _allow(record, "ReadRunManifests", ["s3:GetObject"], [bucket.arn_for_objects(f"{layout.RUN_MANIFESTS}/*")])
    _allow(record, LIST_LAKE, ["s3:ListBucket"], [bucket.bucket_arn])
    _grant_record_compute(record, props)
    _use_data_key(record, props)
    nag.acknowledge(
        record,
        nag.lake_objects_finding(props.lake_nag_name, layout.MANIFESTS),
        "The record function reads the dataset's day manifests (the quality checks' history) and "
        "writes manifests/<dataset>/dt=<dt>/manifest.json of the run it publishes; nothing outside manifests/.",
    )
    nag.acknowledge(
        record,
        nag.lake_objects_finding(props.lake_nag_name, layout.RUN_MANIFESTS),
        "The record function reads run-manifests/<dataset>/dt=<dt>/run=<id>/manifest.json of the run "
        "it verifies (run ids known at run time); read only, nothing outside run-manifests/.",
    )
    _grant_quality_checks(record, props)
    day_publishing.grant_publish(record, bucket, props.database_name, props.lake_nag_name)
    _grant_run_metrics(record, props)


def _grant_run_metrics(record: lambda_.Function, props: FunctionsProps) -> None:
    """PutMetricData in the deployment's namespace only: the action has no resource type, so its
    resource is "*", narrowed by the cloudwatch:namespace condition key (CloudWatch user guide,
    "Using condition keys to limit access to CloudWatch namespaces")."""
    _allow(
        record,
        "PublishRunMetrics",
        ["cloudwatch:PutMetricData"],
        ["*"],
        conditions={"StringEquals": {"cloudwatch:namespace": props.metrics_namespace}},
    )
    nag.acknowledge(
        record,
        nag.iam5_finding("*"),
        "cloudwatch:PutMetricData has no resource-level permissions; the statement is conditioned on "
        "cloudwatch:namespace = the deployment's own namespace (wikilake/<prefix>-<stage>).",
    )


def _grant_record_compute(record: lambda_.Function, props: FunctionsProps) -> None:
    """What the run's compute cost: the job run's billed resources, or the cluster's instances."""
    if props.serverless:
        _allow(record, "ReadJobRuns", ["emr-serverless:GetJobRun"], [serverless_job.job_runs_arn(props.serverless)])
        nag.acknowledge(
            record,
            serverless_job.job_runs_finding(props.serverless),
            "Job runs get their ids at run time; GetJobRun only (the billed resource "
            "utilization of the run it records), on this app's one application.",
        )
    elif clusters := props.clusters:
        _allow(
            record,
            "DescribeRunClusters",
            ["elasticmapreduce:DescribeCluster", "elasticmapreduce:ListInstanceGroups"],
            [clusters.arns],
            conditions=clusters.tagged(),
        )
        steps = ""
        if props.interactive_cluster:  # a run's step on it: the step's share of the cluster
            _allow(
                record,
                "DescribeInteractiveSteps",
                ["elasticmapreduce:DescribeStep"],
                [clusters.arns],
                conditions=clusters.interactive(),
            )
            steps = "; DescribeStep only on the cluster tagged as this app's interactive cluster"
        nag.acknowledge(
            record,
            run_clusters.NAG_FINDING,
            "Run clusters get their ids at run time; DescribeCluster and ListInstanceGroups only, "
            f"and only on clusters tagged with this app's Project and Stage{steps}.",
        )


def _grant_quality_checks(record: lambda_.Function, props: FunctionsProps) -> None:
    """The record function's quality step: it reads the dataset's earlier manifests (the
    ReadWriteManifests statement), writes the day's quality rows and publishes warnings."""
    _allow(record, "WriteQuality", ["s3:PutObject"], [props.bucket.arn_for_objects(f"{layout.QUALITY}/*")])
    # The alerts topic is not KMS-encrypted (stacks/pipeline_alerts.py): Publish on it is all it takes.
    _allow(record, "PublishQualityWarnings", ["sns:Publish"], [props.alerts.topic_arn])
    nag.acknowledge(
        record,
        nag.lake_objects_finding(props.lake_nag_name, layout.QUALITY),
        "The record function writes quality/<dataset>/dt=<dt>/checks.json of the run it records; "
        "nothing else under quality/ or outside it.",
    )


def _grant_plan(plan: lambda_.Function, props: FunctionsProps) -> None:
    """The plan function lists the day under raw/: a dataset without a dump site must have it
    there, and SizeRun sums its bytes. A listing only: no HEAD of a missing key is made. With the
    interactive cluster, it checks that a run naming a cluster names that one (its tags, state)."""
    _allow(
        plan,
        "ListRaw",
        ["s3:ListBucket"],
        [props.bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{layout.RAW}/*"]}},
    )
    if props.interactive_cluster and (clusters := props.clusters):
        _allow(
            plan,
            "CheckInteractiveCluster",
            ["elasticmapreduce:DescribeCluster"],
            [clusters.arns],
            conditions=clusters.interactive(),
        )
        nag.acknowledge(
            plan,
            run_clusters.NAG_FINDING,
            "The interactive cluster's id is known only at run time (the run's input names it); "
            "DescribeCluster only, on the cluster tagged as this app's interactive cluster.",
        )


def _grant_reap(reap: lambda_.Function, props: FunctionsProps) -> None:
    """Give back the day of a run that ended without doing so; on EMR on EC2, end its cluster (a
    cluster a run made: never the interactive one), or cancel its step on the interactive cluster."""
    if clusters := props.clusters:
        _allow(reap, "FindRunClusters", ["elasticmapreduce:ListClusters"], ["*"])
        _allow(
            reap,
            "EndRunClusters",
            ["elasticmapreduce:DescribeCluster", "elasticmapreduce:TerminateJobFlows"],
            [clusters.arns],
            conditions=clusters.made_by_a_run(),
        )
        steps = ""
        if props.interactive_cluster:
            _allow(
                reap,
                "CancelInteractiveSteps",
                ["elasticmapreduce:ListSteps", "elasticmapreduce:CancelSteps"],
                [clusters.arns],
                conditions=clusters.interactive(),
            )
            steps = "; ListSteps and CancelSteps only on the cluster tagged as this app's interactive cluster"
        nag.acknowledge(
            reap,
            nag.iam5_finding("*"),
            "elasticmapreduce:ListClusters has no resource-level permissions; describing and "
            "terminating are limited to clusters tagged with this app's Project and Stage.",
        )
        nag.acknowledge(
            reap,
            run_clusters.NAG_FINDING,
            "The run's cluster id is known only from its tags at run time; DescribeCluster and "
            "TerminateJobFlows only on clusters tagged with this app's Project and Stage that a run "
            f"made (they carry its execution tag){steps}.",
        )
    _use_data_key(reap, props)
    props.leases.grant_release(reap)


def _grant_day_lease(day_lease: lambda_.Function, props: FunctionsProps) -> None:
    _use_data_key(day_lease, props)
    props.leases.grant_hold(day_lease)
    day_publishing.grant_read_holder(day_lease, props.leases.table.table_arn)
