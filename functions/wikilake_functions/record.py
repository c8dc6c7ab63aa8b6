"""Verify, publish and record a run (the state machine's last state but the lease release, after the
job step completed; a run's own cluster has been told to terminate): read the run's manifest (in its
run folder under run-manifests/), check its invariants, estimate the cluster's cost, add the run's
Spark profile (wikilake_functions.run_profile), check the run's data quality against the dataset's
published days (wikilake_functions.quality_gate), make the run the day's live one
(functions/wikilake_functions/publish.py: Glue partitions, then the day's manifest with the ``runs``
table's fields, the quality results and the run record under "run", then the day's ``quality``
rows), tag the day's other runs for expiry, publish the run's seconds, rows and USD as CloudWatch
custom metrics (wikilake_core/run_metrics.py: the dashboard graphs them), and return the run record
(the execution's output). A run whose ``fail`` checks fail is published all the same (a check must
not hide data; the day then shows status QualityFailed in the runs table) and the execution ends
QualityFailed after publishing; the state machine's catch releases the day's lease (docs/atomic-
days.md). Event: {"run": <normalized execution input>, "cluster_id": "j-..."} (EMR on EC2: the run's
own cluster), {"run": ..., "cluster_id": "j-...", "step_id": "s-..."} (a run's step on the
interactive cluster: priced as the cluster's instances for the step's duration), or {"run": ...,
"job_run": <the StartJobRun task's output>} (runtime=emr-serverless: the job run's billed resource
utilization, read with GetJobRun, priced with wikilake_core.prices).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

import botocore.exceptions

from wikilake_core import datasets, day_runs, layout, prices, quality, run_history, run_metrics
from wikilake_core.cluster import ON_DEMAND
from wikilake_functions import common, publish, quality_gate, run_profile
from wikilake_functions.common import VerificationFailed

log = common.logger(__name__)
RUNTIME = "emr-ec2"
SERVERLESS_RUNTIME = "emr-serverless"


def check_manifest(manifest: dict, run: Mapping) -> None:
    """The invariants of a finished run; VerificationFailed naming the first one broken."""
    where = f"{run['dataset']} dt={run['dt']}"
    counts = [manifest.get(k) for k in ("input_records", "valid_records", "rejected_records")]
    whole = [n for n in counts if isinstance(n, int)]
    if len(whole) < len(counts):
        raise VerificationFailed(f"{where}: manifest lacks input/valid/rejected record counts")
    total, valid, rejected = whole
    if total != valid + rejected:
        raise VerificationFailed(f"{where}: input_records {total} != valid {valid} + rejected {rejected}")
    written = manifest.get("rows_written") or {}
    empty = [t for t in datasets.get(run["dataset"]).tables if not written.get(t)]
    if empty:
        raise VerificationFailed(f"{where}: no rows written to {', '.join(empty)}")
    missing = manifest.get("hours_missing") or []
    if missing and not run.get("allow_missing_hours"):
        day = len(datasets.get(run["dataset"]).hours)
        raise VerificationFailed(
            f"{where}: {len(missing)} of {day} hours missing ({', '.join(map(str, missing[:6]))}"
            f"{' ...' if len(missing) > 6 else ''}); rerun with allow_missing_hours to accept"
        )


def _hours(timeline: Mapping, start: str, end: str, now: datetime | None) -> float:
    """Hours from ``start`` to ``end`` of an EMR timeline (to now while it lasts; billing's
    one-minute minimum)."""
    started = timeline.get(start)
    ended = timeline.get(end) or now or datetime.now(timezone.utc)
    return max((ended - started).total_seconds(), 60) / 3600 if started else 0.0


def _instance_groups(emr, cluster_id: str) -> list[prices.InstanceGroup]:
    return [
        prices.InstanceGroup(
            g["InstanceType"],
            g.get("Market", ON_DEMAND),
            g.get("RequestedInstanceCount") or g.get("RunningInstanceCount") or 0,
        )
        for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]
    ]


def cluster_cost(emr, cluster_id: str, now: datetime | None = None) -> dict:
    """The run's cluster: hours from creation to its end (or now, while it terminates), priced
    with wikilake_core.prices; EMR's own NormalizedInstanceHours when it reports them."""
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    hours = _hours(cluster["Status"].get("Timeline", {}), "CreationDateTime", "EndDateTime", now)
    cost = prices.cluster_cost(_instance_groups(emr, cluster_id), hours).as_record()
    if cluster.get("NormalizedInstanceHours"):
        cost[prices.NIH.key] = cluster["NormalizedInstanceHours"]
    cost["hours"] = round(hours, 3)
    return cost


def step_cost(emr, cluster_id: str, step_id: str, now: datetime | None = None) -> dict:
    """A run on the interactive cluster: the cluster's instances for as long as its step ran,
    priced like a run's own cluster. The cluster's share while the step held it: the cluster runs
    (and costs) anyway, so its own NormalizedInstanceHours, since creation, are not the run's."""
    step = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]
    hours = _hours(step["Status"].get("Timeline", {}), "StartDateTime", "EndDateTime", now)
    cost = prices.cluster_cost(_instance_groups(emr, cluster_id), hours).as_record()
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


def read_run_manifest(s3, bucket: str, run: Mapping) -> dict:
    """The manifest the job wrote in its run folder; VerificationFailed if it wrote none."""
    key = layout.run_manifest_path("", run["dataset"], run["dt"], run[day_runs.RUN_ID]).lstrip("/")
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise VerificationFailed(
                f"{run['dataset']} dt={run['dt']}: the job wrote no manifest (s3://{bucket}/{key})"
            ) from None
        raise


def compute_used(event: Mapping, env: Mapping[str, str], emr=None, emr_serverless=None) -> dict:
    """What ran the job and what it cost: the EMR Serverless job run, the run's step on the
    interactive cluster, or the run's own cluster."""
    if "job_run" in event:  # runtime=emr-serverless: the application stands where the cluster did
        application_id = common.require(env, common.SERVERLESS_APPLICATION_ID)
        run_id = job_run_id(event["job_run"])
        cost = job_run_cost(emr_serverless or common.client("emr-serverless"), application_id, run_id)
        return {"cluster_id": application_id, "job_run_id": run_id, "runtime": SERVERLESS_RUNTIME, "cost": cost}
    cluster_id = event["cluster_id"]
    if "step_id" in event:  # a step on the interactive cluster: the step's share of it
        cost = step_cost(emr or common.client("emr"), cluster_id, event["step_id"])
        return {"cluster_id": cluster_id, "step_id": event["step_id"], "runtime": RUNTIME, "cost": cost}
    return {"cluster_id": cluster_id, "runtime": RUNTIME, "cost": cluster_cost(emr or common.client("emr"), cluster_id)}


def handle(
    event: Mapping, env: Mapping[str, str], s3=None, emr=None, emr_serverless=None, glue=None, sns=None, cloudwatch=None
) -> dict:
    run = {**event["run"], day_runs.RUN_ID: day_runs.check_run_id(event["run"].get(day_runs.RUN_ID, ""))}
    s3 = s3 or common.client("s3")
    bucket = common.require(env, common.BUCKET)
    manifest = read_run_manifest(s3, bucket, run)
    check_manifest(manifest, run)
    compute = compute_used(event, env, emr, emr_serverless)
    record = {
        "dataset": run["dataset"],
        "dt": run["dt"],
        "status": day_runs.SUCCEEDED,
        day_runs.RUN_ID: run[day_runs.RUN_ID],  # the run folder to publish
        "cluster_id": compute["cluster_id"],
        "runtime": compute["runtime"],
        **{k: compute[k] for k in ("job_run_id", "step_id") if k in compute},
        **{k: manifest[k] for k in ("input_records", "valid_records", "rejected_records", "rows_written")},
        "cost": compute["cost"],
    }
    fields = _run_fields(compute, run_profile.read(s3, bucket, run_profile.log_prefix(run, compute)))
    # The run's own dataset and dt: the ones the checks and the quality rows are about. The
    # history read is of published days only (their day manifests under manifests/).
    recorded = quality_gate.evaluate(s3, bucket, {**manifest, "dataset": run["dataset"], "dt": run["dt"], **fields})
    record.update(
        quality_status=recorded["quality_status"],
        failing_checks=run_history.failed_checks(recorded, quality.WARN)
        + run_history.failed_checks(recorded, quality.FAIL),
    )
    _publish(s3, glue or common.client("glue"), bucket, common.require(env, common.DATABASE), recorded, record)
    log.info("recorded %s", common.dumps(record))
    publish_metrics(env, cloudwatch, manifest, record)
    quality_gate.act(recorded, env, sns)
    return record


def _run_fields(compute: Mapping, profile: dict | None) -> dict:
    """The runs table's columns the record function knows: status, compute, cost, profile."""
    return run_history.run_fields(
        status=run_history.SUCCEEDED,
        runtime=compute["runtime"],
        compute_id=compute.get("job_run_id", compute["cluster_id"]),
        cost=compute["cost"],
        profile=profile,
    )


def publish_metrics(env: Mapping[str, str], cloudwatch, manifest: Mapping, record: Mapping) -> None:
    """The run's seconds, rows and USD as custom metrics in the deployment's namespace (the
    dashboard's per-dataset graphs). The run is published by then: a failure is logged, not
    raised, so the day stays live and the execution succeeds with one point missing from the
    graphs. Without a namespace (the function run outside a deployment) nothing is published."""
    namespace = env.get(common.METRICS_NAMESPACE)
    if not namespace:
        log.warning("run metrics not published: %s is not set", common.METRICS_NAMESPACE)
        return
    cloudwatch = cloudwatch or common.client("cloudwatch")
    measured = run_metrics.values(manifest, record["cost"])
    try:
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=run_metrics.metric_data(record["dataset"], measured))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        log.error("%s dt=%s: run metrics not published to %s: %s", record["dataset"], record["dt"], namespace, err)


def _publish(s3, glue, bucket: str, database: str, manifest: dict, record: dict) -> None:
    """The run becomes the day's: partitions first (what Athena reads), then the day's manifest,
    then the day's quality rows (written only once the day they describe is published: a publish
    that fails leaves the previous run's rows, which describe the day readers still see)."""
    dataset, dt, run_id = record["dataset"], record["dt"], record[day_runs.RUN_ID]
    tables = datasets.get(dataset).tables
    publish.repoint(glue, database, {t: publish.run_location(bucket, t, dt, run_id) for t in tables}, dt)
    day = {**manifest, day_runs.RUN_RECORD: record}
    s3.put_object(
        Bucket=bucket,
        Key=layout.manifest_path("", dataset, dt).lstrip("/"),
        Body=run_history.encode(day).encode(),  # one line: the runs table reads it
        ContentType="application/json",
    )
    quality_gate.write_rows(s3, bucket, manifest)
    tagged = publish.tag_superseded(s3, bucket, dataset, tables, dt, run_id)
    log.info("%s dt=%s: run %s is live; %d objects of other runs tagged for expiry", dataset, dt, run_id, tagged)


def handler(event, context):
    return handle(event, os.environ)
