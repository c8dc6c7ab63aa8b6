"""The record function's quality step (after verification and costing): the run's checks against
the dataset's earlier published manifests in the bucket, the day's ``quality`` rows (written once
the run is published), a failing ``warn`` check published to the alerts topic (the run succeeds),
a failing ``fail`` check raised as QualityFailed (the execution ends with it, the checks in its
cause). The data stays."""

from __future__ import annotations

import json
from collections.abc import Mapping

import botocore.exceptions

from wikilake_core import datasets, quality, run_history
from wikilake_core.quality import QualityFailed
from wikilake_functions import common

log = common.logger(__name__)


def bucket_history(s3, bucket: str, dataset: str, dt: str, needed: int) -> list[Mapping]:
    """The dataset's manifests (one listing of manifests/<dataset>/) the run of ``dt`` is
    compared with: the ``needed`` latest earlier dts that count as a baseline."""
    keys = {}
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=run_history.history_prefix(dataset))
    for page in pages:
        for obj in page.get("Contents", []):
            found = run_history.manifest_dt(obj["Key"])
            if found:
                keys[found] = obj["Key"]

    def load(day: str) -> dict | None:
        try:
            return json.loads(s3.get_object(Bucket=bucket, Key=keys[day])["Body"].read())
        except botocore.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None  # rewritten or removed since the listing
            raise

    return run_history.read_history(keys, dt, needed, load)


def evaluate(s3, bucket: str, manifest: dict) -> dict:
    """The manifest with its quality results (see run_history.with_quality); writes nothing."""
    checks = datasets.get(manifest["dataset"]).checks
    history = bucket_history(s3, bucket, manifest["dataset"], manifest["dt"], quality.history_needed(checks))
    recorded, _ = run_history.check_run(manifest, history, checks)
    return recorded


def write_rows(s3, bucket: str, recorded: Mapping) -> None:
    """The day's ``quality`` rows: call it once the run they describe is the day's published one
    (docs/quality.md), so rows never claim a day for a run readers do not see."""
    key = run_history.quality_path("", recorded["dataset"], recorded["dt"]).lstrip("/")
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=run_history.encode_rows(recorded["quality"]).encode(),
        ContentType="application/x-ndjson",
    )


def act(recorded: Mapping, env: Mapping[str, str], sns=None) -> None:
    """Alert on failing ``warn`` checks; raise QualityFailed on failing ``fail`` checks (the
    state machine then alerts, as for every failed run)."""
    if recorded["quality_status"] == quality.FAIL:
        raise QualityFailed(run_history.failure_message(recorded))
    if recorded["quality_status"] == quality.WARN:
        message = run_history.warning_message(recorded)
        log.warning("%s", message)
        topic_arn = common.require(env, common.ALERTS_TOPIC)
        (sns or common.client("sns")).publish(TopicArn=topic_arn, Subject=subject(recorded), Message=message)


def subject(recorded: Mapping) -> str:
    # SNS subjects: at most 100 characters.
    return f"wikilake quality warning: {recorded['dataset']} dt={recorded['dt']}"[:100]
