"""Verify and record a run (the state machine's last state, after the job step completed and
the cluster was told to terminate): read the dt's manifest, check its invariants, estimate the
cluster's cost, write the run record into the manifest under "run" and return it (the
execution's output).

Event: {"run": <normalized execution input>, "cluster_id": "j-..."}.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone

import botocore.exceptions

from wikilake.pipeline import common
from wikilake.pipeline.common import VerificationFailed
from wikilake_core import datasets, layout, prices

log = common.logger(__name__)
RUNTIME = "emr-ec2"


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
        raise VerificationFailed(f"{where}: {len(missing)} of 24 hours missing ({', '.join(map(str, missing[:6]))}"
                                 f"{' ...' if len(missing) > 6 else ''}); rerun with allow_missing_hours to accept")


def cluster_cost(emr, cluster_id: str, now: datetime | None = None) -> dict:
    """The run's cluster: hours from creation to its end (or now, while it terminates), priced
    with wikilake_core.prices; EMR's own NormalizedInstanceHours when it reports them."""
    cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    timeline = cluster["Status"].get("Timeline", {})
    created = timeline.get("CreationDateTime")
    ended = timeline.get("EndDateTime") or now or datetime.now(timezone.utc)
    hours = max((ended - created).total_seconds(), 60) / 3600 if created else 0.0
    groups = [prices.InstanceGroup(g["InstanceType"], g.get("Market", "ON_DEMAND"),
                                   g.get("RequestedInstanceCount") or g.get("RunningInstanceCount") or 0)
              for g in emr.list_instance_groups(ClusterId=cluster_id)["InstanceGroups"]]
    cost = prices.cluster_cost(groups, hours).as_record()
    if cluster.get("NormalizedInstanceHours"):
        cost["normalized_instance_hours"] = cluster["NormalizedInstanceHours"]
    cost["hours"] = round(hours, 3)
    return cost


def handle(event: Mapping, env: Mapping[str, str], s3=None, emr=None) -> dict:
    run, cluster_id = event["run"], event["cluster_id"]
    s3, emr = s3 or common.client("s3"), emr or common.client("emr")
    bucket = common.require(env, common.BUCKET)
    key = layout.manifest_path("", run["dataset"], run["dt"]).lstrip("/")
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise VerificationFailed(f"{run['dataset']} dt={run['dt']}: the job wrote no manifest "
                                     f"(s3://{bucket}/{key})") from None
        raise
    check_manifest(manifest, run)
    record = {
        "dataset": run["dataset"], "dt": run["dt"], "status": "SUCCEEDED", "cluster_id": cluster_id,
        "runtime": RUNTIME,
        **{k: manifest[k] for k in ("input_records", "valid_records", "rejected_records", "rows_written")},
        "cost": cluster_cost(emr, cluster_id),
    }
    manifest["run"] = record
    s3.put_object(Bucket=bucket, Key=key, Body=(json.dumps(manifest, indent=2) + "\n").encode(),
                  ContentType="application/json")
    log.info("recorded %s", common.dumps(record))
    return record


def handler(event, context):
    return handle(event, os.environ)
