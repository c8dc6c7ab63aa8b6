"""Verify and record a run (the state machine's last state, after the job step completed and
the cluster was told to terminate): read the dt's manifest, check its invariants, estimate the
cluster's cost, write the run record into the manifest under "run" (and the ``runs`` table's
fields at its top level), check the run's data quality against the dataset's history
(wikilake.pipeline.quality_gate), and return the record (the execution's output).

Event: {"run": <normalized execution input>, "cluster_id": "j-..."} (EMR on EC2), or
{"run": ..., "job_run": <the StartJobRun task's output>} (runtime=emr-serverless: the job run's
billed resource utilization, read with GetJobRun, priced with wikilake_core.prices).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

import botocore.exceptions

from wikilake.pipeline import common, quality_gate
from wikilake.pipeline.common import VerificationFailed
from wikilake_core import datasets, layout, prices, quality, run_history

log = common.logger(__name__)
RUNTIME = "emr-ec2"
SERVERLESS_RUNTIME = "emr-serverless"


def check_manifest(manifest: dict, run: Mapping) -> None:
    """The invariants of a finished run; VerificationFailed naming the first one broken."""
    where = f"{run['dataset']} dt={run['dt']}"
    counts = [manifest.get(k) for k in ("input_records", "valid_records", "rejected_records")]
    if any(not isinstance(n, int) for n in counts):
        raise VerificationFailed(f"{where}: manifest lacks input/valid/rejected record counts")
    total, valid, rejected = counts
    if total != valid + rejected:
        raise VerificationFailed(f"{where}: input_records {total} != valid {valid} + rejected {rejected}")
    written = manifest.get("rows_written") or {}
    empty = [t for t in datasets.get(run["dataset"]).tables if not written.get(t)]
    if empty:
        raise VerificationFailed(f"{where}: no rows written to {', '.join(empty)}")
    missing = manifest.get("hours_missing") or []
    if missing and not run.get("allow_missing_hours"):
        raise VerificationFailed(
            f"{where}: {len(missing)} of 24 hours missing ({', '.join(map(str, missing[:6]))}"
            f"{' ...' if len(missing) > 6 else ''}); rerun with allow_missing_hours to accept"
        )


def cluster_cost(emr, cluster_id: str, now: datetime | None = None) -> dict:
    """The run's cluster: hours from creation to its end (or now, while it terminates), priced
    with wikilake_core.prices; EMR's own NormalizedInstanceHours when it reports them."""
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    timeline = cluster["Status"].get("Timeline", {})
    created = timeline.get("CreationDateTime")
    ended = timeline.get("EndDateTime") or now or datetime.now(timezone.utc)
    hours = max((ended - created).total_seconds(), 60) / 3600 if created else 0.0
    groups = [
        prices.InstanceGroup(
            g["InstanceType"],
            g.get("Market", "ON_DEMAND"),
            g.get("RequestedInstanceCount") or g.get("RunningInstanceCount") or 0,
        )
        for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]
    ]
    cost = prices.cluster_cost(groups, hours).as_record()
    if cluster.get("NormalizedInstanceHours"):
        cost[prices.NIH.key] = cluster["NormalizedInstanceHours"]
    cost["hours"] = round(hours, 3)
    return cost


def job_run_id(task_output: Mapping) -> str:
    """The job run's id in the StartJobRun task's output: Step Functions' optimised integration
    returns PascalCase names (JobRunId), the EMR Serverless API (and moto) camelCase (jobRunId)."""
    for candidate in (task_output, task_output.get("JobRun") or {}, task_output.get("jobRun") or {}):
        for key in ("JobRunId", "jobRunId"):
            if candidate.get(key):
                return candidate[key]
    raise VerificationFailed(f"no job run id in the job stage's output: {common.dumps(task_output)[:300]}")


def job_run_cost(emr_serverless, application_id: str, run_id: str) -> dict:
    """The job run's billed vCPU, memory and storage hours, priced; the run must have succeeded."""
    job_run = emr_serverless.get_job_run(applicationId=application_id, jobRunId=run_id)["jobRun"]
    if job_run["state"] != "SUCCESS":
        raise VerificationFailed(
            f"job run {run_id} on {application_id} is {job_run['state']}: {job_run.get('stateDetails') or 'no details'}"
        )
    cost = prices.serverless_cost(job_run.get("billedResourceUtilization") or {})
    if job_run.get("totalExecutionDurationSeconds") is not None:
        cost["hours"] = round(job_run["totalExecutionDurationSeconds"] / 3600, 3)
    return cost


def handle(event: Mapping, env: Mapping[str, str], s3=None, emr=None, emr_serverless=None, sns=None) -> dict:
    run = event["run"]
    s3 = s3 or common.client("s3")
    bucket = common.require(env, common.BUCKET)
    key = layout.manifest_path("", run["dataset"], run["dt"]).lstrip("/")
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise VerificationFailed(
                f"{run['dataset']} dt={run['dt']}: the job wrote no manifest (s3://{bucket}/{key})"
            ) from None
        raise
    check_manifest(manifest, run)
    if "job_run" in event:  # runtime=emr-serverless: the application stands where the cluster did
        application_id = common.require(env, common.SERVERLESS_APPLICATION_ID)
        run_id = job_run_id(event["job_run"])
        compute = {
            "cluster_id": application_id,
            "job_run_id": run_id,
            "runtime": SERVERLESS_RUNTIME,
            "cost": job_run_cost(emr_serverless or common.client("emr-serverless"), application_id, run_id),
        }
    else:
        cluster_id = event["cluster_id"]
        compute = {
            "cluster_id": cluster_id,
            "runtime": RUNTIME,
            "cost": cluster_cost(emr or common.client("emr"), cluster_id),
        }
    record = {
        "dataset": run["dataset"],
        "dt": run["dt"],
        "status": "SUCCEEDED",
        "cluster_id": compute["cluster_id"],
        "runtime": compute["runtime"],
        **({"job_run_id": compute["job_run_id"]} if "job_run_id" in compute else {}),
        **{k: manifest[k] for k in ("input_records", "valid_records", "rejected_records", "rows_written")},
        "cost": compute["cost"],
    }
    manifest["run"] = record
    fields = run_history.run_fields(
        status=run_history.SUCCEEDED,
        runtime=compute["runtime"],
        compute_id=compute.get("job_run_id", compute["cluster_id"]),
        cost=compute["cost"],
    )
    # The run's own dataset and dt: the ones the checks and the quality rows are about.
    recorded = quality_gate.check(s3, bucket, {**manifest, "dataset": run["dataset"], "dt": run["dt"], **fields})
    record.update(
        quality_status=recorded["quality_status"],
        failing_checks=run_history.failed_checks(recorded, quality.WARN)
        + run_history.failed_checks(recorded, quality.FAIL),
    )
    recorded["run"] = record
    s3.put_object(Bucket=bucket, Key=key, Body=run_history.encode(recorded).encode(), ContentType="application/json")
    log.info("recorded %s", common.dumps(record))
    quality_gate.act(recorded, env, sns)
    return record


def handler(event, context):
    return handle(event, os.environ)
