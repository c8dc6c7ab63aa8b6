"""Ingest ONE dump file into raw/<dataset>/dt=<dt>/ (the state machine maps this over the planned
files, 3 at a time): the same code as `wikilake ingest` (wikilake_ingest.transfer), MD5-verified,
invisible until complete (multipart upload), skipped when already there and verified.

Each download holds one of the lease table's download slots (functions/wikilake_functions/lease.py) from
before its first byte until it ends, whatever the outcome: the dumps site's limit holds across
every execution at once. No free slot: SlotsBusy, which the state machine retries with backoff.

Event: {"dataset", "dt", "file": {"name", "url", "md5"}, "execution": the execution's ARN}.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from wikilake_core import http_budget, layout
from wikilake_core.leases import DUMPS_SLOTS
from wikilake_functions import common, lease
from wikilake_functions.common import IngestFailed
from wikilake_functions.plan import http_client
from wikilake_ingest import transfer as ingest
from wikilake_ingest.sinks import S3Sink
from wikilake_ingest.sources import HttpSource

log = common.logger(__name__)


def handle(event: Mapping, env: Mapping[str, str], s3=None, dynamodb=None) -> dict:
    dynamodb = dynamodb or common.client("dynamodb")
    table = common.require(env, common.LEASE_TABLE)
    execution = event.get("execution", "")
    holder = f"{execution}/{event['file']['name']}"
    slot = lease.acquire(
        dynamodb,
        table,
        DUMPS_SLOTS,
        int(common.require(env, common.DOWNLOAD_SLOTS)),
        holder=holder,
        execution=execution,
        seconds=int(common.require(env, common.LEASE_SECONDS)),
    )
    try:
        return _ingest(event, env, s3)
    finally:
        if not lease.release(dynamodb, table, slot, holder=holder):
            log.warning("%s: the hold of %s had lapsed before the download ended", holder, slot)


def _ingest(event: Mapping, env: Mapping[str, str], s3=None) -> dict:
    file = event["file"]
    sink = S3Sink(
        s3 or common.client("s3"),
        common.require(env, common.BUCKET),
        layout.raw_dir("", event["dataset"], event["dt"]).lstrip("/"),
    )
    item = ingest.Item(HttpSource(http_client(env, http_budget.DOWNLOAD), file["url"], name=file["name"]), file["md5"])
    outcome = ingest.ingest_one(item, sink, ingest.LogTracker(log))
    if outcome.status == "failed":
        raise IngestFailed(outcome.error)
    log.info("%s: %s", outcome.name, outcome.status)
    return {
        "name": outcome.name,
        "status": outcome.status,
        "size": outcome.size,
        "md5": outcome.md5,
        "attempts": outcome.attempts,
        "seconds": round(outcome.seconds, 1),
    }


def handler(event, context):
    return handle(event, os.environ)
